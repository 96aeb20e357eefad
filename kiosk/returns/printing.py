"""The return machine's paper: hold slips and return receipts on its ESC/POS printer.

:class:`ReturnPrinter` is the controller's :class:`~kiosk.returns.ports.SlipPrinter` and the
screen's receipt printer. Printing never waits for paper: a job goes to the
:class:`drivers.printer.ReceiptPrinter` queue and this returns at once. A failed job (paper
out, cover open, unplugged) comes back as a ``PrintFinished`` event on the machine's event
queue, where the controller writes it to the fault log staff see; the belt carries on.

Drivers know no languages, so every printed word comes from a :class:`~kiosk.i18n.Translator`:
hold slips in the library's language (they go on a staff shelf), the patron's receipt in the
language the screen is showing at that moment.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from decimal import Decimal, InvalidOperation

from drivers.events import PrintFinished
from drivers.printer import ReceiptPrinter
from drivers.receipt import (
    HoldSlipLabels,
    HoldSlipLayout,
    Receipt,
    ReceiptLabels,
    ReceiptLine,
    render_hold_slip,
    shorten,
)
from kiosk.clock import Clock, SystemClock
from kiosk.i18n import Translator
from kiosk.returns.controller import Returned
from kiosk.returns.ports import HoldSlip

log = logging.getLogger(__name__)

TITLE_WIDTH = 32
"""Titles are shortened to this many columns (a receipt is for the patron, not a catalogue)."""


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return Decimal("0")


def hold_slip_labels(t: Translator) -> HoldSlipLabels:
    """A hold slip's words and date format in ``t``'s language."""
    return HoldSlipLabels(
        heading=t("slip.heading"),
        patron=t("slip.for"),
        pickup=t("slip.pickup_at"),
        date_format=t("ui.receipt_date_format") or HoldSlipLabels.date_format,
    )


def receipt_labels(t: Translator) -> ReceiptLabels:
    """A receipt's words (the checkout receipt's catalog entries) in ``t``'s language."""
    return ReceiptLabels(
        card=t("ui.receipt_card"),
        due=t("ui.receipt_due"),
        fines=t("ui.receipt_fines"),
        total=t("ui.receipt_total"),
        items=t("ui.receipt_items"),
        date_format=t("ui.receipt_date_format") or ReceiptLabels.date_format,
    )


class ReturnPrinter:
    def __init__(
        self,
        driver: ReceiptPrinter,
        *,
        library_name: str,
        translator: Translator | None = None,
        clock: Clock | None = None,
        money: Callable[[Decimal], str] | None = None,
    ) -> None:
        self.driver = driver
        self.library_name = library_name
        self.translator = translator or Translator()
        """The library's language: hold slips, and receipts when no other is given."""
        self.slip_labels = hold_slip_labels(self.translator)
        self.clock = clock or SystemClock()
        self.money = money
        """Formats an amount; None: the receipt's translator (``Translator.money``) does."""

    # --- the controller's hold slip (on the controller's thread) -------------------------------

    def print_hold_slip(self, slip: HoldSlip) -> Future[PrintFinished]:
        layout = HoldSlipLayout(
            patron_alias=slip.patron_alias,
            title=slip.title,
            item=slip.item,
            printed_at=slip.at,
            pickup_branch=slip.pickup_branch,
            labels=self.slip_labels,
        )
        width, profile = self.driver.settings.width, self.driver.settings.profile
        return self.driver.print_bytes(render_hold_slip(layout, width=width, profile=profile))

    # --- the patron's receipt (on the UI thread) ------------------------------------------------

    def receipt(self, items: Sequence[Returned], t: Translator | None = None) -> Receipt:
        """The receipt for ``items`` in ``t``'s language (the screen's; else the library's)."""
        t = t or self.translator
        money = self.money or t.money
        unknown = t("returns.item_not_recognised")
        lines = tuple(
            ReceiptLine(title=shorten(r.title or unknown, TITLE_WIDTH), barcode=r.item or "")
            for r in items
        )
        fined = [(r, _amount(r.fine)) for r in items]
        fines = tuple(
            (shorten(r.title or r.item or unknown, TITLE_WIDTH - 8), money(amount))
            for r, amount in fined
            if amount > 0
        )
        total = sum((amount for _, amount in fined if amount > 0), Decimal("0"))
        offline = any(r.offline for r in items)
        return Receipt(
            library_name=self.library_name,
            printed_at=self.clock.now(),
            card_number="",
            heading=t("ui.receipt_heading_returns"),
            items=lines,
            fines=fines,
            fines_total=money(total) if fines else None,
            footer=t("ui.receipt_offline_note" if offline else "ui.receipt_footer"),
            labels=receipt_labels(t),
        )

    def print_return_receipt(self, items: Sequence[Returned], t: Translator | None = None) -> bool:
        """Queue the receipt (in ``t``'s language); False only when the printer already says
        it cannot print (the failure is logged by the controller from the ``PrintFinished``
        event)."""
        try:
            future = self.driver.print_receipt(self.receipt(items, t))
        except Exception:  # a layout or driver bug must not reach the patron
            log.exception("return receipt could not be printed")
            return False
        return not (future.done() and not future.result().ok)
