"""The receipt question: print, e-mail or none."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from kiosk.backend import ReceiptChannel
from kiosk.session import Cancelled, ReceiptChosen
from kiosk.ui.screens.base import KioskScreen


class FinishScreen(KioskScreen):
    def body(self) -> ComposeResult:
        session = self.kiosk.session
        yield Static(self.t("ui.receipt_title"), classes="title")
        yield Static(self.t("finish.choose_receipt"), classes="hint big")
        count = sum(1 for row in session.rows if row.ok)
        yield Static(self.t("ui.items_count", count=count), classes="hint")
        with Horizontal(classes="choices"):
            yield Button(self.t("ui.receipt_print"), id="receipt-print", variant="success")
            email = Button(self.t("ui.receipt_email"), id="receipt-email", variant="primary")
            email.disabled = not (session.patron and session.patron.has_email)
            yield email
            yield Button(self.t("ui.receipt_none"), id="receipt-none")
        with Horizontal(classes="actions"):
            yield Button(self.t("ui.back"), id="back")

    @on(Button.Pressed, "#receipt-print, #receipt-email, #receipt-none")
    def _receipt(self, event: Button.Pressed) -> None:
        event.stop()
        channel = ReceiptChannel((event.button.id or "").removeprefix("receipt-"))
        self.kiosk.send(ReceiptChosen(channel, self.kiosk.language))

    @on(Button.Pressed, "#back")
    def _back(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.send(Cancelled())
