"""The visit's list: each scanned item with its title, due date and what happened."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Static

from kiosk.session import FinishRequested, Row, RowKind
from kiosk.ui.screens.base import KioskScreen


class ItemsScreen(KioskScreen):
    """Checkout (after login) or returns (no login), chosen by whether a patron is present."""

    def body(self) -> ComposeResult:
        session = self.kiosk.session
        patron = session.patron
        if patron is not None:
            yield Static(self.t("ui.items_title", name=patron.name), classes="title")
            yield Static(self.t("ui.card_label", card=patron.card_masked), classes="hint")
            yield Static(self.t("ui.items_hint"), classes="hint big")
        else:
            yield Static(self.t("ui.returns_title"), classes="title")
            yield Static(self.t("returns.scan_next"), classes="hint big")
        if session.pin_change_required:
            yield Static(self.t("ui.pin_change_advice"), classes="notice")
        for notice in session.notices:
            yield Static(self.kiosk.t.reason(notice), classes="notice")
        table: DataTable[str] = DataTable(id="rows", cursor_type="none", zebra_stripes=True)
        yield table
        yield Static("", id="count", classes="hint")
        with Horizontal(classes="actions"):
            if patron is not None:
                yield Button(self.t("ui.renew"), id="open-renew")
                yield Button(self.t("ui.my_account"), id="open-account")
                yield Button(self.t("ui.holds_pickup"), id="open-pickup")
            yield Button(self.t("ui.finish"), id="finish", variant="success")

    def on_mount(self) -> None:
        table = self.query_one("#rows", DataTable)
        table.add_column(self.t("ui.col_title"), width=36, key="title")
        table.add_column(self.t("ui.col_due"), width=14, key="due")
        # The status column fills the rest of the screen; a long refusal is cut there (the
        # feedback line below shows it whole) rather than scrolling the table sideways.
        panel = 36 if self.kiosk.demo is not None else 0
        rest = self.app.size.width - panel - 36 - 14 - 14
        table.add_column(self.t("ui.col_status"), width=max(rest, 16), key="status")
        for row in self.kiosk.session.rows:
            self.add_row(row)

    def status_text(self, row: Row) -> str:
        if not row.ok:
            return self.kiosk.t.reason(row.reasons[0]) if row.reasons else self.t(row.message_key)
        if row.offline:
            return self.t("ui.status_offline")
        return self.t(
            {
                RowKind.CHECKOUT: "ui.status_borrowed",
                RowKind.RENEW: "ui.status_renewed",
                RowKind.CHECKIN: "ui.status_returned",
            }[row.kind]
        )

    def add_row(self, row: Row) -> None:
        tables = list(self.query("#rows").results(DataTable))
        if not tables:  # being recomposed: on_mount lists every row of the visit again
            return
        table = tables[0]
        due = self.kiosk.t.date(row.due) if row.due and row.ok else ""
        status = self.status_text(row)
        marker = "✔" if row.ok else "✘"
        table.add_row(row.title or row.item, due, f"{marker} {status}")
        table.scroll_end(animate=False)
        count = sum(1 for r in self.kiosk.session.rows if r.ok)
        for label in self.query("#count").results(Static):
            label.update(self.t("ui.items_count", count=count))

    @on(Button.Pressed, "#finish")
    def _finish(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.send(FinishRequested())

    @on(Button.Pressed, "#open-renew")
    def _renew(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.open_renew()

    @on(Button.Pressed, "#open-account")
    def _account(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.open_account()

    @on(Button.Pressed, "#open-pickup")
    def _pickup(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.open_pickup()
