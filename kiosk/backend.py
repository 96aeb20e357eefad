"""What a self-checkout session asks of the rest of the machine.

The session (:mod:`kiosk.session`) never decides circulation itself: it asks a
:class:`Backend`, which answers from central when online and from the outbox's offline
decisions (the same :mod:`kiosk.policy` code over cached data) when not. The replies are
small frozen dataclasses that carry message keys, never sentences.

Implementations: :class:`kiosk.machine.MachineBackend` (outbox + central, used by
``kiosk run`` and ``kiosk demo``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from kiosk.domain.money import ZERO


@dataclass(frozen=True, slots=True)
class ReasonView:
    """Why something was refused: a stable code, its message key and parameters."""

    code: str
    message_key: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.message_key:
            object.__setattr__(self, "message_key", f"reason.{self.code}")

    @classmethod
    def from_wire(cls, data: Any) -> ReasonView:
        if isinstance(data, ReasonView):
            return data
        if isinstance(data, dict):
            return cls(
                str(data.get("code", "unknown")),
                str(data.get("message_key") or ""),
                dict(data.get("params") or {}),
            )
        code = getattr(data, "code", None)
        if code is not None:  # a kiosk.policy.Reason
            return cls(str(code), getattr(data, "message_key", ""), dict(data.params))
        return cls(str(data))


class LoginStatus(StrEnum):
    OK = "ok"
    PIN_REQUIRED = "pin_required"
    WRONG_PIN = "wrong_pin"
    CARD_LOCKED = "card_locked"
    UNKNOWN_CARD = "unknown_card"
    REFUSED = "refused"
    """The rules refuse the card (expired, old prefix, staff block …): see ``reasons``."""
    UNAVAILABLE = "unavailable"
    """Neither central nor the offline cache can answer."""


@dataclass(frozen=True, slots=True)
class PatronView:
    """What the screen may show of a patron: never the full card number."""

    card_masked: str
    name: str
    language: str | None = None
    category: str = ""
    has_email: bool = False


@dataclass(frozen=True, slots=True)
class LoginReply:
    status: LoginStatus
    patron: PatronView | None = None
    reasons: tuple[ReasonView, ...] = ()
    notices: tuple[ReasonView, ...] = ()
    """Facts to tell after login that do not refuse it (fees owed, overdue items)."""
    pin_change_required: bool = False
    attempts_left: int | None = None
    locked_until: datetime | None = None
    offline: bool = False


class CircStatus(StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class CircReply:
    """The outcome of one checkout, renewal or return, as the patron is to be told it."""

    status: CircStatus
    item: str
    message_key: str
    title: str | None = None
    due: date | None = None
    reasons: tuple[ReasonView, ...] = ()
    fine: Decimal = ZERO
    offline: bool = False
    """Decided by the machine while central was unreachable."""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def applied(self) -> bool:
        return self.status is CircStatus.APPLIED

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)


@dataclass(frozen=True, slots=True)
class LoanInfo:
    item: str
    title: str
    due: date
    renewals: int = 0
    overdue: bool = False


@dataclass(frozen=True, slots=True)
class HoldInfo:
    title: str
    status: str
    pickup_branch: str
    item: str | None = None
    pickup_by: date | None = None


@dataclass(frozen=True, slots=True)
class FeeInfo:
    kind: str
    outstanding: Decimal
    title: str | None = None


@dataclass(frozen=True, slots=True)
class AccountInfo:
    loans: tuple[LoanInfo, ...] = ()
    holds: tuple[HoldInfo, ...] = ()
    fees: tuple[FeeInfo, ...] = ()
    credit: Decimal = ZERO
    balance: Decimal = ZERO
    currency: str = "EUR"

    @property
    def ready_holds(self) -> tuple[HoldInfo, ...]:
        return tuple(h for h in self.holds if h.status == "ready")


class ReceiptChannel(StrEnum):
    PRINT = "print"
    EMAIL = "email"
    NONE = "none"


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    title: str
    item: str
    due: date | None
    kind: str
    """``checkout``, ``renew`` or ``checkin``."""
    fine: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Receipt:
    library: str
    card_masked: str
    at: datetime
    lines: tuple[ReceiptLine, ...]
    currency: str = ""
    offline: bool = False
    language: str = "en"
    """The language the patron used at the machine (an e-mailed receipt is written in it)."""
    receipt_id: str = ""
    """One per visit: asking again to e-mail the same receipt never sends it twice."""


class Backend(Protocol):
    """The machine as the session sees it. Calls may block (network): run them off the UI."""

    @property
    def online(self) -> bool:
        """True while central answers; offline decisions are made locally otherwise."""
        ...

    @property
    def library_name(self) -> str: ...

    @property
    def currency(self) -> str: ...

    def login(self, card: str, pin: str | None) -> LoginReply: ...

    def item_exists(self, barcode: str) -> bool | None:
        """Whether the catalogue knows this barcode as an item (None: cannot tell offline).

        Used only to tell a card from an item when the barcode rules are unsure."""
        ...

    def checkout(self, card: str, item: str) -> CircReply: ...

    def renew(self, card: str, item: str) -> CircReply: ...

    def checkin(self, item: str) -> CircReply: ...

    def account(self, card: str) -> AccountInfo | None:
        """The patron's account, or None when it cannot be shown (offline)."""
        ...

    def deliver_receipt(self, card: str, receipt: Receipt, channel: ReceiptChannel) -> bool:
        """Print or e-mail a receipt; False when it could not be (the UI offers another way)."""
        ...

    def end_visit(self, card: str) -> None:
        """Forget the patron's session (central session token, cached account)."""
        ...


def mask_card(card: str) -> str:
    """A card number as screens and receipts show it: only the last four digits."""
    tail = card[-4:]
    return "•" * max(len(card) - 4, 4) + tail


@dataclass(frozen=True, slots=True)
class QueueInfo:
    depth: int = 0
    oldest_age_s: float = 0.0
    last_error: str = ""
    offline_since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Problem:
    """A refused transaction or a central exception, for the technician screen."""

    at: datetime
    kind: str
    item: str
    codes: tuple[str, ...]
    source: str = "machine"
    """``machine`` (refused here), ``central`` (an offline fact central flagged) or ``ils``
    (an exchange with a SIP2 library system staff must check: no reply, or not sendable)."""


class MachineControl(Protocol):
    """What technician mode can ask of the machine."""

    def queue_info(self) -> QueueInfo: ...

    def force_sync(self) -> int:
        """Send what is queued now; returns how many transactions went."""
        ...

    def test_receipt(self) -> bool: ...

    def problems(self) -> list[Problem]: ...
