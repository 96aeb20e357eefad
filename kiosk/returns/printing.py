"""The return machine's paper: hold slips and return receipts on its ESC/POS printer.

:class:`ReturnPrinter` is the controller's :class:`~kiosk.returns.ports.SlipPrinter` and the
screen's receipt printer. Printing never waits for paper: a job goes to the
:class:`drivers.printer.ReceiptPrinter` queue and this returns at once. A failed job (paper
out, cover open, unplugged) comes back as a ``PrintFinished`` event on the machine's event
queue, where the controller writes it to the fault log staff see; the belt carries on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from decimal import Decimal, InvalidOperation

from drivers.events import PrintFinished
from drivers.printer import ReceiptPrinter
from drivers.receipt import (
    HoldSlipLayout,
    Receipt,
    ReceiptLabels,
    ReceiptLine,
    render_hold_slip,
    shorten,
)
from kiosk.clock import Clock, SystemClock
from kiosk.returns.controller import Returned
from kiosk.returns.ports import HoldSlip

log = logging.getLogger(__name__)

RECEIPT_HEADING = "Return receipt"
UNKNOWN_TITLE = "(item not recognised)"
TITLE_WIDTH = 32
"""Titles are shortened to this many columns (a receipt is for the patron, not a catalogue)."""


def _amount(text: str) -> Decimal:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return Decimal("0")


class ReturnPrinter:
    def __init__(
        self,
        driver: ReceiptPrinter,
        *,
        library_name: str,
        clock: Clock | None = None,
        money: Callable[[Decimal], str] = lambda amount: f"{amount:.2f}",
    ) -> None:
        self.driver = driver
        self.library_name = library_name
        self.clock = clock or SystemClock()
        self.money = money
        """Formats an amount with the library's currency (``Translator.money``)."""

    # --- the controller's hold slip (on the controller's thread) -------------------------------

    def print_hold_slip(self, slip: HoldSlip) -> Future[PrintFinished]:
        layout = HoldSlipLayout(
            patron_alias=slip.patron_alias,
            title=slip.title,
            item=slip.item,
            printed_at=slip.at,
            pickup_branch=slip.pickup_branch,
        )
        width, profile = self.driver.settings.width, self.driver.settings.profile
        return self.driver.print_bytes(render_hold_slip(layout, width=width, profile=profile))

    # --- the patron's receipt (on the UI thread) ------------------------------------------------

    def receipt(self, items: Sequence[Returned]) -> Receipt:
        lines = tuple(
            ReceiptLine(
                title=shorten(r.title or UNKNOWN_TITLE, TITLE_WIDTH),
                barcode=r.item or "",
            )
            for r in items
        )
        fined = [(r, _amount(r.fine)) for r in items]
        fines = tuple(
            (shorten(r.title or r.item or UNKNOWN_TITLE, TITLE_WIDTH - 8), self.money(amount))
            for r, amount in fined
            if amount > 0
        )
        total = sum((amount for _, amount in fined if amount > 0), Decimal("0"))
        return Receipt(
            library_name=self.library_name,
            printed_at=self.clock.now(),
            card_number="",
            heading=RECEIPT_HEADING,
            items=lines,
            fines=fines,
            fines_total=self.money(total) if fines else None,
            labels=ReceiptLabels(),
        )

    def print_return_receipt(self, items: Sequence[Returned]) -> bool:
        """Queue the receipt; False only when the printer already says it cannot print
        (the failure is logged by the controller from the ``PrintFinished`` event)."""
        try:
            future = self.driver.print_receipt(self.receipt(items))
        except Exception:  # a layout or driver bug must not reach the patron
            log.exception("return receipt could not be printed")
            return False
        return not (future.done() and not future.result().ok)
