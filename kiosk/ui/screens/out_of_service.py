"""Out of service: the technician's message and where to go instead."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button, Static

from kiosk.ui.screens.base import KioskScreen


class OutOfServiceScreen(KioskScreen):
    def body(self) -> ComposeResult:
        yield Static(self.t("ui.oos_title"), classes="title error-title")
        message = self.kiosk.session.service_message
        if message:
            yield Static(message, classes="hint big", id="oos-message")
        yield Static(self.t("ui.oos_text"), classes="hint big")
        yield Button("⚙", id="technician", classes="corner")

    @on(Button.Pressed, "#technician")
    def _technician(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.open_technician_login()
