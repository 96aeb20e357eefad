"""Renew loans: each loan with its due date and a large "renew" button."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from kiosk.backend import AccountInfo
from kiosk.session import RenewRequested
from kiosk.ui.screens.base import KioskScreen


class RenewScreen(KioskScreen):
    def __init__(self, account: AccountInfo | None) -> None:
        super().__init__()
        self.account = account

    def body(self) -> ComposeResult:
        yield Static(self.t("ui.renew_title"), classes="title")
        if self.account is None:
            yield Static(self.t("ui.account_offline"), classes="notice")
        elif not self.account.loans:
            yield Static(self.t("ui.no_loans"), classes="hint big")
        else:
            with VerticalScroll(id="loans"):
                for index, loan in enumerate(self.account.loans):
                    with Horizontal(classes="loan-row"):
                        due = self.kiosk.t.date(loan.due)
                        late = f" — {self.t('ui.overdue')}" if loan.overdue else ""
                        yield Static(f"{loan.title}\n{due}{late}", classes="loan-text")
                        yield Button(self.t("ui.renew"), id=f"renew-{index}", classes="renew")
        with Horizontal(classes="actions"):
            yield Button(self.t("ui.back"), id="back", variant="primary")

    @on(Button.Pressed, ".renew")
    def _renew(self, event: Button.Pressed) -> None:
        event.stop()
        assert self.account is not None
        index = int((event.button.id or "").removeprefix("renew-"))
        event.button.disabled = True
        self.kiosk.send(RenewRequested(self.account.loans[index].item))

    @on(Button.Pressed, "#back")
    def _back(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.close_subscreen()
