"""Dialogs over a patron screen: ask staff, "are you still there?", renew an item you have."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Button, Static

from kiosk.session import RenewAnswered
from kiosk.ui.screens.base import KioskModal


class AskStaffDialog(KioskModal):
    def compose(self) -> ComposeResult:
        with self.dialog():
            yield Static(self.t("ui.ask_staff"), classes="dialog-title")
            yield Static(self.t("ui.ask_staff_text"))
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("ui.close"), id="close", variant="primary")

    @on(Button.Pressed, "#close")
    def _close(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(None)


class TimeoutDialog(KioskModal):
    """WCAG 2.2.1: warn, count down, one touch to continue."""

    remaining: reactive[int] = reactive(0)

    def __init__(self, seconds: float) -> None:
        super().__init__()
        self.seconds = seconds
        self.set_reactive(TimeoutDialog.remaining, max(round(seconds), 1))

    def compose(self) -> ComposeResult:
        with self.dialog():
            yield Static(self.t("ui.timeout_title"), classes="dialog-title")
            yield Static(self.t("ui.timeout_text", seconds=self.remaining), id="countdown")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("ui.timeout_continue"), id="continue", variant="success")

    def watch_remaining(self, value: int) -> None:
        for label in self.query("#countdown").results(Static):
            label.update(self.t("ui.timeout_text", seconds=value))

    @on(Button.Pressed, "#continue")
    def _continue(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(True)


class RenewOfferDialog(KioskModal):
    def __init__(self, title: str) -> None:
        super().__init__()
        self.item_title = title

    def compose(self) -> ComposeResult:
        with self.dialog():
            yield Static(self.t("renew.offer", title=self.item_title), classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button(self.t("ui.renew"), id="renew-yes", variant="success")
                yield Button(self.t("ui.no"), id="renew-no")

    @on(Button.Pressed, "#renew-yes, #renew-no")
    def _answer(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.send(RenewAnswered(event.button.id == "renew-yes"))
        self.dismiss(None)
