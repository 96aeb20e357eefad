"""Holds ready for the patron: where to find them; scanning one borrows it."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from kiosk.backend import AccountInfo
from kiosk.ui.screens.base import KioskScreen


class PickupScreen(KioskScreen):
    def __init__(self, account: AccountInfo | None) -> None:
        super().__init__()
        self.account = account

    def body(self) -> ComposeResult:
        yield Static(self.t("ui.pickup_title"), classes="title")
        if self.account is None:
            yield Static(self.t("ui.account_offline"), classes="notice")
        elif not self.account.ready_holds:
            yield Static(self.t("ui.pickup_none"), classes="hint big")
        else:
            yield Static(self.t("ui.pickup_hint"), classes="hint big")
            with VerticalScroll(id="ready"):
                for index, hold in enumerate(self.account.ready_holds):
                    if hold.pickup_by is not None:
                        where = self.t(
                            "ui.hold_pickup_at",
                            branch=hold.pickup_branch,
                            date=self.kiosk.t.date(hold.pickup_by),
                        )
                    else:
                        where = self.t("ui.hold_pickup_at_nodate", branch=hold.pickup_branch)
                    yield Static(f"{hold.title}\n{where}", classes="hold", id=f"hold-{index}")
        with Horizontal(classes="actions"):
            yield Button(self.t("ui.back"), id="back", variant="primary")

    @on(Button.Pressed, "#back")
    def _back(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.close_subscreen()
