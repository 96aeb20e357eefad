"""A card that cannot be used: every reason, and the way to the desk."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Center
from textual.widgets import Button, Static

from kiosk.session import FinishRequested
from kiosk.ui.screens.base import KioskScreen


class BlockedScreen(KioskScreen):
    def body(self) -> ComposeResult:
        yield Static(self.t("ui.blocked_title"), classes="title error-title")
        for index, reason in enumerate(self.kiosk.session.blocked_reasons):
            yield Static(f"• {self.kiosk.t.reason(reason)}", classes="reason", id=f"reason-{index}")
        yield Static(self.t("ui.blocked_help"), classes="hint")
        with Center():
            yield Button(self.t("ui.finish"), id="finish", variant="primary", classes="wide")

    @on(Button.Pressed, "#finish")
    def _finish(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.send(FinishRequested())
