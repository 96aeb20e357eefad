"""What the rules answer: a :class:`Decision` with every :class:`Reason`, never just the first."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kiosk.domain.money import ZERO

REASON_CODES: dict[str, str] = {
    # cards and PINs
    "old_card_prefix": "an old card: exchange it at the library that issued it",
    "card_expired": "the card has expired",
    "card_category_unknown": "the card category is not one this library issues",
    "category_cannot_borrow": "this kind of card may not borrow",
    "staff_block": "staff blocked the card",
    "pin_weak": "the PIN is too easy to guess",
    "pin_default": "the PIN is still the default one",
    "pin_length": "the PIN is too short or too long",
    "pin_digits": "the PIN must be digits",
    # borrowing
    "max_loans": "the card has as many items on loan as allowed",
    "overdue_items": "the card has overdue items",
    "fees_owed": "the card owes fees",
    "reserved_for_other": "the item is reserved for another patron",
    "format_unknown": "the item's format is not one this library lends",
    "format_not_allowed_for_card": "this card may not borrow this kind of item",
    "not_self_service": "this item can only be borrowed at the desk",
    "item_not_loanable": "the item is recorded as lost, missing or damaged",
    "offline_limit": "no more items can be borrowed while the machine is offline",
    "not_issuable_offline": "this item cannot be borrowed while the machine is offline",
    "not_returnable_offline": "this item cannot be returned while the machine is offline",
    # renewals
    "renewal_limit": "the item has been renewed as often as allowed",
    "item_overdue": "an overdue item cannot be renewed here",
    "auto_renew_not_allowed": "this item is not renewed automatically",
    # holds and credit
    "holds_not_offered": "this library does not take holds here",
    "hold_not_allowed_for_card": "this card may not place holds or hold a credit",
    "hold_not_allowed_for_format": "this kind of item cannot be reserved",
    "pickup_branch_excluded": "that branch is not a pickup location",
    "available_at_pickup": "a copy is on the shelf at the pickup branch: borrow it there",
    "max_holds": "the card has as many holds as allowed",
    "hold_expired": "the hold was not collected in time",
    "hold_not_ready": "the hold is not ready for pickup",
    "credit_not_offered": "this library has no hold credit",
    "deposit_amount": "a deposit must be exactly the fixed amount",
    "in_person_only": "this can only be done in person at a desk",
    # payments
    "invalid_amount": "the amount is not a positive amount in cents",
    "nothing_owed": "nothing is owed",
    "overpayment": "the amount is more than what is owed",
    # delivery
    "delivery_not_offered": "this library does not deliver",
    "delivery_too_many_items": "an order holds too many items",
    "delivery_district": "the address is outside the delivery area",
    # scans (kiosk.domain.barcode)
    "barcode_empty": "nothing was read",
    "barcode_length": "the barcode has the wrong length",
    "barcode_prefix": "the barcode does not start as this library's do",
    "barcode_characters": "the barcode has characters it may not have",
    "barcode_check_digit": "the barcode's check digit is wrong (a misread)",
    "barcode_unrecognised": "the barcode is not one this library uses",
    "patron_card_as_item": "a library card was scanned where an item was expected",
    "item_as_patron_card": "an item was scanned where a library card was expected",
    # information on a checkin (not refusals)
    "fine_charged": "a late fine was charged",
    "bill_cleared": "the bill for this long-overdue item is cleared",
    "hold_trapped": "the item is for a patron's hold",
    "parts_to_count": "the item has several parts that staff must count",
    "item_status_needs_staff": "the item's status needs staff",
}
"""Every stable reason code with a plain English gloss (for logs, explain and the catalogs)."""


ACTIONS: tuple[str, ...] = (
    "login",
    "pin",
    "emedia",
    "checkout",
    "checkin",
    "renew",
    "hold",
    "pickup",
    "deposit",
    "payment",
    "delivery",
    "courier_return",
)
"""What a decision can be about; an allowed one carries the message key ``<action>.ok``."""

OK_MESSAGE_KEYS: tuple[str, ...] = tuple(f"{action}.ok" for action in ACTIONS)


class Destination(StrEnum):
    """Where a returned item goes next (the return machine's bin follows it)."""

    HOLD_SHELF = "hold_shelf"
    TRANSIT = "transit"
    RESHELVE = "reshelve"
    STAFF = "staff"


@dataclass(frozen=True, slots=True)
class Reason:
    code: str
    message_key: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.message_key:
            object.__setattr__(self, "message_key", f"reason.{self.code}")

    def to_wire(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_key": self.message_key,
            "params": _jsonable(self.params),
        }


def reason(code: str, **params: Any) -> Reason:
    if code not in REASON_CODES:
        raise ValueError(f"unknown reason code {code!r}")
    return Reason(code, f"reason.{code}", params)


@dataclass(frozen=True, slots=True)
class Decision:
    """The rules' answer to one request.

    ``reasons`` are refusals (all of them); ``notices`` are facts worth telling that do not
    refuse (a fine charged on return, a block the patron will meet after logging in).
    """

    allowed: bool
    reasons: tuple[Reason, ...] = ()
    message_key: str = ""
    due: date | None = None
    fee: Decimal = ZERO
    """Charged now: a fine on return, a hold fee."""
    credit_used: Decimal = ZERO
    owed: Decimal = ZERO
    """The part of a fee that becomes debt (or, for a payment, what is still owed after it)."""
    destination: Destination | None = None
    pin_required: bool = False
    pin_change_required: bool = False
    notices: tuple[Reason, ...] = ()
    credit_balance: Decimal | None = None
    """The hold credit after the request (deposits and holds)."""
    rule_version: str = ""
    """The profile version that decided."""

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def to_wire(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "reasons": [r.to_wire() for r in self.reasons],
            "notices": [r.to_wire() for r in self.notices],
            "message_key": self.message_key,
            "due": self.due.isoformat() if self.due else None,
            "fee": str(self.fee),
            "credit_used": str(self.credit_used),
            "owed": str(self.owed),
            "destination": self.destination.value if self.destination else None,
            "pin_required": self.pin_required,
            "pin_change_required": self.pin_change_required,
            "credit_balance": None if self.credit_balance is None else str(self.credit_balance),
            "rule_version": self.rule_version,
        }


def decide(action: str, reasons: list[Reason], **fields: Any) -> Decision:
    """A decision for ``action``: refused when any reason, with the first reason's message."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    message_key = reasons[0].message_key if reasons else f"{action}.ok"
    return Decision(allowed=not reasons, reasons=tuple(reasons), message_key=message_key, **fields)


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Decimal | date):
            out[key] = str(value)
        elif isinstance(value, tuple | list):
            out[key] = [str(v) if isinstance(v, Decimal | date) else v for v in value]
        else:
            out[key] = value
    return out
