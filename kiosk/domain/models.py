"""Plain data for a library's patrons, items, loans, holds and money.

These are what the policy engine reasons about and what central stores. They carry no
behaviour beyond small derived facts; the rules live in :mod:`kiosk.policy`.
Every datetime is time-zone aware; dates (``due``, ``expires``) are calendar dates in the
library's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from kiosk.domain.money import ZERO


class ItemStatus(StrEnum):
    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    ON_HOLD_SHELF = "on_hold_shelf"
    IN_TRANSIT = "in_transit"
    LOST = "lost"
    MISSING = "missing"
    DAMAGED = "damaged"


class HoldStatus(StrEnum):
    WAITING = "waiting"
    READY = "ready"
    COLLECTED = "collected"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class FeeKind(StrEnum):
    OVERDUE = "overdue"
    LOST = "lost"
    DAMAGED = "damaged"
    PROCESSING = "processing"
    HOLD = "hold"
    REMINDER = "reminder"
    SERVICE = "service"
    CARD = "card"
    DELIVERY = "delivery"
    BILLED = "billed"  # an item billed after long overdue; cleared when the item comes back


@dataclass(frozen=True, slots=True)
class Patron:
    barcode: str
    name: str
    category: str
    expires: date | None = None
    birth_date: date | None = None
    email: str | None = None
    language: str | None = None
    history_opt_in: bool = False
    home_branch: str | None = None
    blocked: str = ""
    """A staff block with its reason; empty means none."""
    pin_is_default: bool = False
    """True while the PIN is still the library's default (Hefei: the birth date)."""

    @property
    def alias(self) -> str:
        """What a hold slip may show: initials and the card's last four digits, never the name."""
        initials = "".join(part[0] for part in self.name.split() if part)[:3].upper()
        return f"{initials}-{self.barcode[-4:]}"


@dataclass(frozen=True, slots=True)
class Item:
    barcode: str
    title: str
    format: str
    audience: str = "adult"
    owning_branch: str = "main"
    author: str | None = None
    price: Decimal | None = None
    status: ItemStatus = ItemStatus.AVAILABLE
    parts: int = 1
    """Items may be sets of several parts (a book with a CD); the count is checked at return."""
    collection: str | None = None
    call_number: str | None = None
    current_branch: str | None = None


@dataclass(frozen=True, slots=True)
class Loan:
    patron: str
    item: str
    checked_out: datetime
    due: date
    renewals: int = 0
    """Renewals made so far (manual and automatic)."""


@dataclass(frozen=True, slots=True)
class Hold:
    patron: str
    pickup_branch: str
    placed: datetime
    item: str | None = None
    """A specific copy …"""
    title: str | None = None
    """… or any copy of a title."""
    status: HoldStatus = HoldStatus.WAITING
    ready_since: date | None = None
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Fee:
    """One entry of a patron's fee ledger: an amount owed, and how much of it is paid."""

    patron: str
    kind: FeeKind
    amount: Decimal
    paid: Decimal = ZERO
    item: str | None = None
    created: date | None = None
    id: int | None = None

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid


@dataclass(frozen=True, slots=True)
class CreditEntry:
    """One movement of a patron's prepaid hold credit: a deposit (+) or a hold fee taken (-)."""

    patron: str
    amount: Decimal
    reason: str = "deposit"
    at: datetime | None = None


@dataclass(frozen=True, slots=True)
class PatronAccount:
    """Everything the rules need to know about a patron at one moment."""

    patron: Patron
    loans: tuple[Loan, ...] = ()
    holds: tuple[Hold, ...] = ()
    fees: tuple[Fee, ...] = ()
    credit: Decimal = ZERO
    items_on_loan: dict[str, Item] = field(default_factory=dict)
    """The items of ``loans`` by barcode (for formats and audiences)."""

    @property
    def balance_owed(self) -> Decimal:
        return sum((fee.outstanding for fee in self.fees), ZERO)
