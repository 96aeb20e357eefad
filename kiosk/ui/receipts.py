"""Receipts in the patron's language: the session's receipt as the printer driver's layout."""

from __future__ import annotations

from drivers.receipt import Receipt as PrintedReceipt
from drivers.receipt import ReceiptLabels
from drivers.receipt import ReceiptLine as PrintedLine
from kiosk.backend import Receipt
from kiosk.i18n import Translator


def printed_receipt(receipt: Receipt, t: Translator) -> PrintedReceipt:
    """The driver's layout, every word from the catalog (drivers know no languages)."""
    labels = ReceiptLabels(
        card=t("ui.receipt_card"),
        due=t("ui.receipt_due"),
        fines=t("ui.receipt_fines"),
        total=t("ui.receipt_total"),
        items=t("ui.receipt_items"),
    )
    notes = {"renew": t("ui.status_renewed"), "checkin": t("ui.status_returned")}
    lines = tuple(
        PrintedLine(line.title, line.item, line.due, notes.get(line.kind, ""))
        for line in receipt.lines
    )
    fines = tuple(
        (line.title, t.money(line.fine, receipt.currency)) for line in receipt.lines if line.fine
    )
    only_returns = bool(receipt.lines) and all(line.kind == "checkin" for line in receipt.lines)
    footer = t("ui.receipt_footer")
    if receipt.offline:
        footer = t("ui.receipt_offline_note")
    return PrintedReceipt(
        library_name=receipt.library,
        printed_at=receipt.at,
        card_number=receipt.card_masked.replace("•", "*"),
        heading=t("ui.receipt_heading_returns" if only_returns else "ui.receipt_heading"),
        items=lines,
        fines=fines,
        footer=footer,
        labels=labels,
    )
