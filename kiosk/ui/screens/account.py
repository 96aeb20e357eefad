"""My account: loans with due dates, holds with status and pickup place, fees, hold credit."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Static

from kiosk.backend import AccountInfo, HoldInfo
from kiosk.ui.screens.base import KioskScreen

FEE_KINDS = {
    "overdue",
    "lost",
    "damaged",
    "processing",
    "hold",
    "reminder",
    "service",
    "card",
    "delivery",
    "billed",
}
HOLD_STATUSES = {"waiting", "ready", "in_transit", "collected", "expired", "cancelled"}


class AccountScreen(KioskScreen):
    def __init__(self, account: AccountInfo | None) -> None:
        super().__init__()
        self.account = account

    def pickup_text(self, hold: HoldInfo) -> str:
        if hold.pickup_by is not None:
            return self.t(
                "ui.hold_pickup_at",
                branch=hold.pickup_branch,
                date=self.kiosk.t.date(hold.pickup_by),
            )
        return self.t("ui.hold_pickup_at_nodate", branch=hold.pickup_branch)

    def hold_status(self, hold: HoldInfo) -> str:
        status = hold.status if hold.status in HOLD_STATUSES else "waiting"
        return self.t(f"ui.hold_status_{status}")

    def body(self) -> ComposeResult:
        yield Static(self.t("ui.account_title"), classes="title")
        account = self.account
        if account is None:
            yield Static(self.t("ui.account_offline"), classes="notice")
        else:
            money = self.kiosk.t.money
            with VerticalScroll(id="account"):
                yield Static(self.t("ui.loans"), classes="section")
                if account.loans:
                    yield DataTable(id="loans", cursor_type="none", zebra_stripes=True)
                else:
                    yield Static(self.t("ui.no_loans"), classes="hint")
                yield Static(self.t("ui.holds"), classes="section")
                if account.holds:
                    yield DataTable(id="holds", cursor_type="none", zebra_stripes=True)
                else:
                    yield Static(self.t("ui.no_holds"), classes="hint")
                yield Static(self.t("ui.fees"), classes="section")
                if account.fees:
                    yield DataTable(id="fees", cursor_type="none", zebra_stripes=True)
                else:
                    yield Static(self.t("ui.no_fees"), classes="hint")
                yield Static(
                    self.t("ui.balance", amount=money(account.balance, account.currency)),
                    id="balance",
                    classes="hint",
                )
                yield Static(
                    self.t("ui.credit", amount=money(account.credit, account.currency)),
                    id="credit",
                    classes="hint",
                )
        with Horizontal(classes="actions"):
            yield Button(self.t("ui.back"), id="back", variant="primary")

    def on_mount(self) -> None:
        account = self.account
        if account is None:
            return
        t = self.kiosk.t
        if account.loans:
            loans = self.query_one("#loans", DataTable)
            loans.add_columns(self.t("ui.col_title"), self.t("ui.col_due"), self.t("ui.col_status"))
            for loan in account.loans:
                loans.add_row(
                    loan.title, t.date(loan.due), self.t("ui.overdue") if loan.overdue else ""
                )
        if account.holds:
            holds = self.query_one("#holds", DataTable)
            holds.add_columns(self.t("ui.col_title"), self.t("ui.col_status"), "")
            for hold in account.holds:
                holds.add_row(hold.title, self.hold_status(hold), self.pickup_text(hold))
        if account.fees:
            fees = self.query_one("#fees", DataTable)
            fees.add_columns(self.t("ui.fees"), self.t("ui.col_title"), "")
            for fee in account.fees:
                kind = fee.kind if fee.kind in FEE_KINDS else "other"
                fees.add_row(
                    self.t(f"ui.fee_kind_{kind}"),
                    fee.title or "",
                    t.money(fee.outstanding, account.currency),
                )

    @on(Button.Pressed, "#back")
    def _back(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.close_subscreen()
