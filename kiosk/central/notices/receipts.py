"""A visit's receipt as an e-mail, in the language the patron used at the machine.

The words come from the product's message catalogs (:mod:`kiosk.i18n`), the same ones the
printed receipt uses, so the paper and the e-mail say the same thing. Every line is one
whole translated sentence with named placeholders; dates and money are formatted for the
language.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from kiosk.central.schemas import ReceiptIn, ReceiptLineIn
from kiosk.central.security import mask_card
from kiosk.i18n import Translator

_LINE_KEYS = {
    "checkout": "mail.line_checkout",
    "renew": "mail.line_renew",
    "checkin": "mail.line_checkin",
}


def _line(t: Translator, line: ReceiptLineIn) -> str:
    title = line.title or line.item
    if line.kind != "checkin" and line.due is None:
        return t("mail.line_no_due", title=title, item=line.item)
    return t(_LINE_KEYS[line.kind], title=title, item=line.item, due=line.due or "")


def render_receipt(
    receipt: ReceiptIn, *, library: str, name: str, zone: ZoneInfo, currency: str
) -> tuple[str, str, str]:
    """(language used, subject, body) of the e-mail for ``receipt``."""
    t = Translator(receipt.language, currency=currency)
    local: datetime = receipt.at.astimezone(zone)
    only_returns = all(line.kind == "checkin" for line in receipt.lines)
    heading = t("ui.receipt_heading_returns" if only_returns else "ui.receipt_heading")
    subject = t("mail.receipt_subject", library=library, heading=heading, date=local.date())
    rows = [
        t("mail.receipt_greeting", name=name),
        "",
        t("mail.receipt_intro", library=library, date=local.date(), time=local.strftime("%H:%M")),
        t("mail.receipt_card", card=mask_card(receipt.card)),
        "",
        *(f"- {_line(t, line)}" for line in receipt.lines),
    ]
    fined = [line for line in receipt.lines if line.fine]
    if fined:
        rows.append("")
        rows += [
            t("mail.line_fine", title=line.title or line.item, amount=line.fine) for line in fined
        ]
        total = sum((line.fine or Decimal(0) for line in fined), Decimal(0))
        rows.append(t("mail.receipt_total", amount=total))
    rows.append("")
    if receipt.offline:
        rows.append(t("ui.receipt_offline_note"))
    rows.append(t("ui.receipt_footer"))
    return t.language, subject, "\n".join(rows) + "\n"
