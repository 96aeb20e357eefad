"""Goodbye: a thank-you and a reminder to take the card; nothing of the patron remains."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.widgets import Static

from kiosk.session import GoodbyeDone
from kiosk.ui.screens.base import KioskScreen


class GoodbyeScreen(KioskScreen):
    def __init__(self, message_key: str) -> None:
        super().__init__()
        self.message_key = message_key

    def body(self) -> ComposeResult:
        yield Static(self.t("ui.goodbye_title"), classes="title")
        if self.message_key:
            yield Static(self.t(self.message_key), classes="hint big", id="goodbye-message")
        yield Static(self.t("ui.goodbye_card"), classes="hint big")

    def on_mount(self) -> None:
        self.set_timer(self.kiosk.settings.goodbye_seconds, self._done)

    def on_click(self, event: events.Click) -> None:
        self._done()

    def _done(self) -> None:
        if self.is_current:
            self.kiosk.send(GoodbyeDone())
