"""The receipt layout, rendered to ESC/POS bytes with python-escpos.

A receipt carries no patron name at all (there is no field for one), only a masked card
number; a hold slip carries only the patron's alias (initials and last digits). Labels are
passed in already translated: drivers know no languages.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime

DEFAULT_PROFILE = "TM-T88III"


@dataclass(frozen=True)
class ReceiptLine:
    title: str
    barcode: str
    due: date | None = None
    note: str = ""
    """A short extra line: "renewed", "returned", "on hold for you" …"""


@dataclass(frozen=True)
class ReceiptLabels:
    """Every word printed, so the kiosk can pass them in the patron's language."""

    card: str = "Card"
    due: str = "Due"
    fines: str = "Fines"
    total: str = "Total"
    items: str = "Items"
    date_format: str = "%Y-%m-%d %H:%M"
    due_format: str = "%Y-%m-%d"


@dataclass(frozen=True)
class Receipt:
    library_name: str
    printed_at: datetime
    """Printed as given: convert it to the library's time zone first."""
    card_number: str
    heading: str = "Checkout receipt"
    items: tuple[ReceiptLine, ...] = ()
    fines: tuple[tuple[str, str], ...] = ()
    """(description, amount already formatted with its currency)."""
    fines_total: str | None = None
    footer: str = ""
    labels: ReceiptLabels = field(default_factory=ReceiptLabels)


def mask_card(number: str, visible: int = 4) -> str:
    """``21234000012345`` -> ``**********2345``: enough for a patron to recognise it."""
    digits = number.strip()
    if len(digits) <= visible:
        return "*" * len(digits)
    return "*" * (len(digits) - visible) + digits[-visible:]


def display_width(text: str) -> int:
    """Columns on a receipt: wide (CJK) characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def shorten(text: str, width: int, ellipsis: str = "...") -> str:
    """Cut ``text`` to ``width`` columns, ending in ``ellipsis`` when cut."""
    text = " ".join(text.split())
    if display_width(text) <= width:
        return text
    room = width - len(ellipsis)
    out = []
    used = 0
    for ch in text:
        w = display_width(ch)
        if used + w > room:
            break
        out.append(ch)
        used += w
    return "".join(out).rstrip() + ellipsis


def two_columns(left: str, right: str, width: int) -> str:
    space = width - display_width(left) - display_width(right)
    if space < 1:
        left = shorten(left, max(1, width - display_width(right) - 1))
        space = width - display_width(left) - display_width(right)
    return left + " " * max(1, space) + right


def render_receipt(receipt: Receipt, *, width: int = 42, profile: str = DEFAULT_PROFILE) -> bytes:
    """The exact ESC/POS bytes for ``receipt`` on a ``width``-column printer."""
    from escpos.printer import Dummy  # heavy (Pillow): loaded only when printing

    p = Dummy(profile=profile)
    labels = receipt.labels
    p.set(align="center", bold=True, double_height=True)
    p.textln(shorten(receipt.library_name, width // 1))
    p.set_with_default(align="center")
    p.textln(shorten(receipt.heading, width))
    p.textln(receipt.printed_at.strftime(labels.date_format))
    p.set_with_default()
    if receipt.card_number:  # a return receipt has none: nobody identified
        p.textln("-" * width)
        p.textln(two_columns(labels.card, mask_card(receipt.card_number), width))
    if receipt.items:
        p.textln("-" * width)
        p.textln(f"{labels.items}: {len(receipt.items)}")
        for index, line in enumerate(receipt.items, 1):
            p.set_with_default(bold=True)
            p.textln(shorten(f"{index}. {line.title}", width))
            p.set_with_default()
            due = f"{labels.due} {line.due.strftime(labels.due_format)}" if line.due else ""
            p.textln(two_columns(f"   {line.barcode}", due, width))
            if line.note:
                p.textln("   " + shorten(line.note, width - 3))
    if receipt.fines:
        p.textln("-" * width)
        p.textln(labels.fines)
        for description, amount in receipt.fines:
            p.textln(two_columns(f"  {description}", amount, width))
        if receipt.fines_total is not None:
            p.set_with_default(bold=True)
            p.textln(two_columns(labels.total, receipt.fines_total, width))
            p.set_with_default()
    if receipt.footer:
        p.textln("-" * width)
        p.set_with_default(align="center")
        for footer_line in receipt.footer.splitlines():
            p.textln(shorten(footer_line, width))
        p.set_with_default()
    p.cut()
    return bytes(p.output)


@dataclass(frozen=True)
class HoldSlipLabels:
    heading: str = "HOLD"
    patron: str = "For"
    pickup: str = "Pick up at"
    date_format: str = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class HoldSlipLayout:
    """The slip tucked into an item that goes to the hold shelf.

    ``patron_alias`` is ``Patron.alias`` (initials and last digits): a slip sits on an open
    shelf, so it never carries a name (there is no field for one).
    """

    patron_alias: str
    title: str
    item: str
    printed_at: datetime
    pickup_branch: str | None = None
    labels: HoldSlipLabels = field(default_factory=HoldSlipLabels)


def render_hold_slip(
    slip: HoldSlipLayout, *, width: int = 42, profile: str = DEFAULT_PROFILE
) -> bytes:
    """The exact ESC/POS bytes for a hold slip: the alias large, so staff find it fast."""
    from escpos.printer import Dummy  # heavy (Pillow): loaded only when printing

    p = Dummy(profile=profile)
    labels = slip.labels
    p.set(align="center", bold=True)
    p.textln(shorten(labels.heading, width))
    p.set_with_default(align="center", bold=True, double_height=True, double_width=True)
    p.textln(shorten(slip.patron_alias, width // 2))
    p.set_with_default()
    p.textln("-" * width)
    p.textln(two_columns(labels.patron, shorten(slip.patron_alias, width // 2), width))
    if slip.pickup_branch:
        p.textln(two_columns(labels.pickup, shorten(slip.pickup_branch, width // 2), width))
    p.set_with_default(bold=True)
    p.textln(shorten(slip.title, width))
    p.set_with_default()
    p.textln(two_columns(slip.item, slip.printed_at.strftime(labels.date_format), width))
    p.cut()
    return bytes(p.output)
