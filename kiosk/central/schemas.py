"""Request and response bodies of the HTTP API (pydantic), apart from the ORM models."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def _plausible_time(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("needs a time-zone offset")
    if not 2000 <= value.year <= 2200:
        raise ValueError("not a plausible time (years 2000 to 2200)")
    return value


PlausibleTime = Annotated[datetime, AfterValidator(_plausible_time)]
"""A machine's clock reading: with an offset, and not from a machine whose clock was reset."""


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: str
    message: str
    params: dict[str, Any] = {}


class ErrorBody(BaseModel):
    error: ErrorDetail


class TxIn(_Body):
    uuid: str = Field(min_length=1, max_length=64, pattern=r"^[!-~]+$")
    machine_id: str = Field(min_length=1, max_length=64, pattern=r"^[!-~]+$")
    seq: int = Field(ge=0, le=2**31 - 1)
    kind: Literal[
        "checkout",
        "checkin",
        "renew",
        "place_hold",
        "cancel_hold",
        "pay_fee",
        "deposit_credit",
        "change_pin",
    ]
    occurred_at: PlausibleTime
    mode: Literal["online", "offline"] = "online"
    payload: dict[str, Any] = {}


class TxBatchIn(_Body):
    transactions: list[TxIn] = Field(max_length=1000)


class ReasonOut(BaseModel):
    code: str
    message_key: str
    params: dict[str, Any] = {}


class TxOutcomeOut(BaseModel):
    uuid: str
    outcome: Literal["applied", "refused", "exception"]
    duplicate: bool
    reasons: list[ReasonOut]
    message_key: str
    result: dict[str, Any]


class TxBatchOut(BaseModel):
    outcomes: list[TxOutcomeOut]


class LoginIn(_Body):
    card: str = Field(min_length=1, max_length=64)
    pin: str | None = Field(default=None, max_length=64)


class PatronSummary(BaseModel):
    card_masked: str
    name: str
    language: str | None
    category: str
    has_email: bool = False
    """Whether an e-mail address is on file (the address itself is never given out)."""


class LoginOut(BaseModel):
    session: str
    expires_at: datetime
    patron: PatronSummary
    pin_change_required: bool
    notices: list[ReasonOut] = []
    """What to tell the patron at once without refusing the login (a staff block, an
    expired card): the rules will refuse a checkout for these later."""


class LoanView(BaseModel):
    item: str
    title: str
    format: str
    checked_out: datetime
    due: date
    renewals: int
    overdue: bool


class HoldView(BaseModel):
    id: int
    title: str
    item: str | None
    status: str
    pickup_branch: str
    placed: datetime
    ready_since: date | None
    pickup_by: date | None


class FeeView(BaseModel):
    id: int
    kind: str
    amount: str
    paid: str
    outstanding: str
    item: str | None
    title: str | None
    created: date | None


class AccountView(BaseModel):
    card_masked: str
    name: str
    category: str
    currency: str
    loans: list[LoanView]
    holds: list[HoldView]
    fees: list[FeeView]
    credit: str
    balance: str


class ItemView(BaseModel):
    barcode: str
    title: str
    author: str | None
    format: str
    audience: str
    status: str
    owning_branch: str
    due: date | None
    holds: int


class HeartbeatIn(_Body):
    queue_depth: int = Field(ge=0, le=10**9)
    oldest_age_s: float = Field(default=0.0, ge=0, le=10**10)
    mode: Literal["online", "offline", "degraded"] = "online"


class HeartbeatOut(BaseModel):
    server_time: datetime


class MachineView(BaseModel):
    name: str
    last_seen: datetime | None
    queue_depth: int | None
    oldest_age_s: float | None
    mode: str | None
    last_seq: int


class MachinesOut(BaseModel):
    machines: list[MachineView]


class ExceptionView(BaseModel):
    id: int
    uuid: str
    machine_id: str
    kind: str
    occurred_at: datetime
    recorded_at: datetime
    patron: str | None
    item: str | None
    reasons: list[ReasonOut]
    repairs: list[dict[str, Any]]
    resolved: bool


class ExceptionsOut(BaseModel):
    exceptions: list[ExceptionView]


class PolicyOut(BaseModel):
    name: str
    version: str
    profile: dict[str, Any]


class SnapshotOut(BaseModel):
    policy_version: str
    generated_at: datetime
    blocked: dict[str, list[str]]
    holds: dict[str, dict[str, Any]]
    patrons: dict[str, dict[str, Any]]
    items: dict[str, dict[str, Any]] = {}
    """Only items whose format a machine must know offline (docs/central-api.md)."""


class Health(BaseModel):
    status: Literal["ok"]


_PRINTABLE = r"^[^\x00-\x1f\x7f]*$"


class ReceiptLineIn(_Body):
    kind: Literal["checkout", "renew", "checkin"]
    title: str = Field(default="", max_length=500, pattern=_PRINTABLE)
    item: str = Field(default="", max_length=64, pattern=r"^[!-~]*$")
    due: date | None = None
    fine: Decimal | None = Field(default=None, ge=0, le=100_000, decimal_places=2)


class ReceiptIn(_Body):
    """``POST /v1/receipts``: e-mail a visit's receipt to the card's address on file."""

    receipt_id: str = Field(min_length=1, max_length=64, pattern=r"^[!-~]+$")
    """Chosen by the machine; a resend with the same id sends nothing twice."""
    card: str = Field(min_length=1, max_length=64)
    language: str = Field(default="en", max_length=16, pattern=r"^[A-Za-z_-]*$")
    at: PlausibleTime
    offline: bool = False
    lines: list[ReceiptLineIn] = Field(min_length=1, max_length=200)


class ReceiptOut(BaseModel):
    receipt_id: str
    queued: bool
    """False when this receipt id was already queued (a resend): nothing new is sent."""
