"""PIN entry with the on-screen pad (the profile decides whether a PIN is needed)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Center
from textual.widgets import Button, Static

from kiosk.session import Cancelled, PinEntered
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.widgets.pin_pad import PinPad


class PinScreen(KioskScreen):
    def body(self) -> ComposeResult:
        yield Static(self.t("ui.pin_title"), classes="title")
        with Center():
            yield PinPad(self.t("ui.pin_clear"), self.t("ui.pin_ok"))
        with Center():
            yield Button(self.t("ui.cancel"), id="cancel", classes="wide")

    @on(PinPad.Submitted)
    def _submitted(self, event: PinPad.Submitted) -> None:
        self.kiosk.send(PinEntered(event.pin))

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.send(Cancelled())
