"""A library's circulation rules as data: the pydantic model of ``config/policies/*.toml``.

The on-disk format is the model (extra keys forbidden). Rules that can change on a date live
in ``[rules]`` (the base set) and ``[[changes]]`` (partial overrides with the date they take
effect, applied in date order on top of the base); :meth:`Profile.rule_set` gives the merged
rules in force on a day.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from kiosk.domain.barcode import BarcodeRule
from kiosk.domain.models import FeeKind
from kiosk.domain.money import to_money
from kiosk.domain.vocabulary import SHARED_AUDIENCES, SHARED_CATEGORIES, SHARED_FORMATS


def _money(value: Any) -> Decimal:
    if isinstance(value, float | int | str | Decimal) and not isinstance(value, bool):
        amount = to_money(value)
        if amount < 0:
            raise ValueError(f"must not be negative: {value!r}")
        return amount
    raise ValueError(f"not an amount of money: {value!r}")


Money = Annotated[Decimal, BeforeValidator(_money)]
"""A non-negative amount in the profile's currency, given as a string or number."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PinMode(StrEnum):
    NONE = "none"
    MANDATORY = "mandatory"
    OPTIONAL = "optional"
    """Try without a PIN; ask for one when the library system refuses."""


class RenewalBasis(StrEnum):
    TODAY = "today"
    """The new due date counts from the day of renewal (Hefei)."""
    DUE_DATE = "due_date"
    """The new due date counts from the old due date (San José's auto-renewal)."""


class CardPrefix(_Model):
    prefix: str = Field(pattern=r"^[0-9A-Za-z]+$")
    kind: str
    """What the card is (``alliance``, ``credit`` …); shown to staff."""


class Cards(_Model):
    prefixes: tuple[CardPrefix, ...] = ()
    """Card numbers the library issues. Empty: any prefix. Other prefixes are old cards."""
    expired_blocks: tuple[Literal["login", "checkout", "renew", "hold", "emedia"], ...] = (
        "checkout",
        "renew",
        "hold",
    )
    """What an expired card may not do."""
    replacement_fee: Money = Decimal("0.00")


class Pin(_Model):
    mode: PinMode = PinMode.MANDATORY
    max_attempts: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=0, le=24 * 60)
    min_length: int = Field(default=4, ge=1, le=32)
    max_length: int = Field(default=16, ge=1, le=64)
    default: Literal["none", "birth_date"] = "none"
    """How a new card's PIN is made (Hefei: the birth date as YYYYMMDD)."""
    default_is_weak: bool = True
    """A patron still on the default PIN is asked to change it."""
    weak: tuple[str, ...] = ()
    """PINs refused as too easy to guess (San José: 1234 …)."""
    refuse_trivial: bool = False
    """Also refuse one repeated digit and straight runs (0000, 1234, 9876)."""

    @model_validator(mode="after")
    def _lengths(self) -> Pin:
        if self.min_length > self.max_length:
            raise ValueError("min_length is larger than max_length")
        return self


class CategoryRule(_Model):
    """What a card category may do, and how its loans differ."""

    label: str = ""
    checkout: bool = True
    holds: bool = True
    """False: the card may not place holds nor have a hold credit (Hamburg day cards …)."""
    fines: bool = True
    """False: never pays late fines (San José educator and student cards)."""
    loan_days: int | None = Field(default=None, ge=1, le=3650)
    renewals: int | None = Field(default=None, ge=0, le=100)
    renewal_days: int | None = Field(default=None, ge=1, le=3650)
    auto_renew: bool | None = None
    full_access: bool = True
    """May borrow formats marked ``full_access_only`` (San José LINK+)."""


class FormatRule(_Model):
    """Loans of one format."""

    label: str = ""
    loan_days: int = Field(ge=1, le=3650)
    renewals: int = Field(default=0, ge=0, le=100)
    renewal_days: int | None = Field(default=None, ge=1, le=3650)
    """Length of each renewal; default the loan period."""
    auto_renew: bool = False
    holds: bool = True
    hold_fee: Money | None = None
    """None: the general hold fee; 0.00 for free holds (Hamburg e-media)."""
    fines: bool = True
    full_access_only: bool = False
    offline_issue: bool = True
    """May be checked out while the machine is offline."""
    offline_return: bool = True
    """May be returned while the machine is offline."""
    self_service: bool = True
    """May be checked out at a machine at all (some devices only at the desk)."""
    category_terms: bool = True
    """A card category's own loan terms (San José educators: 6 weeks) apply to this format."""


class AudienceRule(_Model):
    label: str = ""
    fines: bool = True
    """False: items for this audience are never fined (San José children's and teen items)."""


class Loans(_Model):
    max_items: int | None = Field(default=None, ge=1, le=1000)
    """Items on loan per card at most; None: no limit."""
    block_if_overdue: bool = False
    """A patron with an overdue item may not borrow (Hefei)."""
    block_at_owed: Money | None = None
    """Owing this much or more blocks checkout; 0.01 = any unpaid fee (Hefei)."""
    blocking_fee_kinds: tuple[FeeKind, ...] = ()
    """Any unpaid fee of these kinds blocks checkout (Hamburg: all but hold fees)."""


class Renewals(_Model):
    basis: RenewalBasis = RenewalBasis.TODAY
    """Manual renewals: from the day of renewal or from the old due date."""
    auto: bool = False
    """Auto-renewal runs for formats with ``auto_renew``."""
    auto_basis: RenewalBasis = RenewalBasis.DUE_DATE
    overdue_blocks: bool = True
    """An overdue item cannot be renewed."""
    held_blocks: bool = True
    """An item held by another patron cannot be renewed."""
    block_at_owed: Money | None = None
    """Owing this much or more blocks renewals (San José: 20.00)."""
    blocking_fee_kinds: tuple[FeeKind, ...] = ()
    """Any unpaid fee of these kinds blocks renewals."""


class Fines(_Model):
    per_day: Money = Decimal("0.00")
    """Per item per calendar day overdue, in the library's time zone."""
    cap_per_item: Money | None = None
    grace_days: int = Field(default=0, ge=0, le=365)
    lost_processing_fee: Money = Decimal("0.00")
    """Added to the item's price when it is lost or damaged."""
    replacement_copy_fee: Money | None = None
    """Or the patron brings a new copy and pays this (Hefei: 10 CNY); None: not offered."""
    bill_after_days: int | None = Field(default=None, ge=1, le=3650)
    """Overdue this many days: the patron is billed for the item (cleared on return)."""


class HoldCredit(_Model):
    enabled: bool = False
    deposit: Money = Decimal("10.00")
    """A deposit is always exactly this amount."""
    setup_requires_zero_balance: bool = True
    in_person_only: bool = True
    """Deposits and pay-outs only at a staffed desk, never at a machine."""


class Holds(_Model):
    enabled: bool = True
    fee: Money = Decimal("0.00")
    """Per item, unless the format says otherwise."""
    pickup_days: int = Field(default=14, ge=1, le=365)
    max_active: int | None = Field(default=None, ge=1, le=1000)
    block_at_owed: Money | None = None
    """Owing this much or more blocks holds (San José: 20.00)."""
    blocking_fee_kinds: tuple[FeeKind, ...] = ()
    """Any unpaid fee of these kinds blocks holds, whatever the credit (Hamburg)."""
    block_if_overdue: bool = False
    count_with_loans: bool = False
    """Holds count towards the loan limit (Hefei: an order's items become loans)."""
    excluded_branches: tuple[str, ...] = ()
    """Branches that are not pickup locations."""
    only_when_unavailable: bool = False
    """A hold is refused while a copy is on the shelf at the pickup branch (Hamburg: only
    items on loan, or held only at another branch, can be reserved)."""
    credit: HoldCredit = HoldCredit()


class Offline(_Model):
    max_items_per_visit: int = Field(default=5, ge=0, le=1000)
    due_days: int | None = Field(default=None, ge=1, le=3650)
    """The due date given offline; None: the normal loan period."""


class DeliveryFee(_Model):
    items: int = Field(ge=1, le=100)
    fee: Money


class Delivery(_Model):
    enabled: bool = False
    max_items_per_order: int = Field(default=5, ge=1, le=100)
    home: tuple[DeliveryFee, ...] = ()
    """Fee for home delivery by the number of items in the order (the first row that fits)."""
    pickup_point_fee: Money = Decimal("0.00")
    courier_return: tuple[DeliveryFee, ...] = ()
    """Courier return pickup fee by the items booked; paid when booked, never refunded."""
    districts: tuple[str, ...] = ()
    transit_days: tuple[int, int] = (2, 3)


class Notices(_Model):
    due_soon_days: int | None = Field(default=None, ge=1, le=60)
    """Days before the due date to send a reminder to patrons with an e-mail address."""


class Checkin(_Model):
    multipart_to_staff: bool = True
    """Sets of several parts go to staff so the parts can be counted."""
    staff_statuses: tuple[str, ...] = ("lost", "missing", "damaged")


class RuleSet(_Model):
    """The rules in force on a given day."""

    categories: dict[str, CategoryRule]
    formats: dict[str, FormatRule]
    audiences: dict[str, AudienceRule]
    loans: Loans = Loans()
    renewals: Renewals = Renewals()
    fines: Fines = Fines()
    holds: Holds = Holds()
    offline: Offline = Offline()
    checkin: Checkin = Checkin()

    @field_validator("categories")
    @classmethod
    def _shared_categories(cls, value: dict[str, CategoryRule]) -> dict[str, CategoryRule]:
        return _require_shared(value, SHARED_CATEGORIES, "card categories")

    @field_validator("formats")
    @classmethod
    def _shared_formats(cls, value: dict[str, FormatRule]) -> dict[str, FormatRule]:
        return _require_shared(value, SHARED_FORMATS, "formats")

    @field_validator("audiences")
    @classmethod
    def _shared_audiences(cls, value: dict[str, AudienceRule]) -> dict[str, AudienceRule]:
        return _require_shared(value, SHARED_AUDIENCES, "audiences")


def _require_shared(table: dict[str, Any], names: tuple[str, ...], what: str) -> dict[str, Any]:
    """Every profile accepts the shared names of fixture-format.md (it may map them alike)."""
    missing = [name for name in names if name not in table]
    if missing:
        raise ValueError(f"must define the shared {what} {', '.join(missing)}")
    return table


class Change(_Model):
    """Rules that take effect on a date: a partial ``[rules]`` merged over the earlier ones."""

    effective: date
    label: str = ""
    rules: dict[str, Any]


class Barcodes(_Model):
    rules: tuple[BarcodeRule, ...] = ()
    """Tried in order; the first matching rule wins."""


class Privacy(_Model):
    keep_history_default: bool = False
    """Keep who borrowed an item after return only when the patron opted in."""


class Profile(_Model):
    """One library's circulation rules."""

    name: str = Field(pattern=r"^[a-z0-9_-]+$")
    library_name: str
    timezone: str
    currency: str = Field(pattern=r"^[A-Z]{3}$")
    cards: Cards = Cards()
    pin: Pin = Pin()
    barcodes: Barcodes = Barcodes()
    privacy: Privacy = Privacy()
    delivery: Delivery = Delivery()
    notices: Notices = Notices()
    rules: RuleSet
    changes: tuple[Change, ...] = ()
    version: str = ""
    """A hash of the file; set by :func:`load_profile`, not written in the file."""

    _sets: tuple[tuple[date, RuleSet], ...] = PrivateAttr(default=())

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("changes")
    @classmethod
    def _in_date_order(cls, value: tuple[Change, ...]) -> tuple[Change, ...]:
        dates = [change.effective for change in value]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            shown = ", ".join(str(d) for d in dates)
            raise ValueError(f"must be in date order, one per date (found {shown})")
        return value

    @model_validator(mode="after")
    def _build_rule_sets(self) -> Profile:
        merged = self.rules.model_dump(mode="python")
        sets: list[tuple[date, RuleSet]] = []
        for index, change in enumerate(self.changes):
            merged = _deep_merge(merged, change.rules)
            try:
                rule_set = RuleSet.model_validate(merged)
            except ValidationError as exc:
                first = exc.errors(include_url=False)[0]
                key = ".".join(str(part) for part in first["loc"])
                message = str(first["msg"]).removeprefix("Value error, ")
                if first["type"] == "extra_forbidden":
                    message = "unknown key (not part of a profile)"
                raise ValueError(f"changes.{index}.rules.{key}: {message}") from exc
            sets.append((change.effective, rule_set))
        self._sets = tuple(sets)
        return self

    @property
    def offline(self) -> Offline:
        """The offline limits in force now (of the base rules when none changed them)."""
        return self.rules.offline

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def rule_set(self, on: date) -> RuleSet:
        """The rules in force on a day (the latest change effective on or before it)."""
        current = self.rules
        for effective, rule_set in self._sets:
            if effective <= on:
                current = rule_set
        return current

    def rule_set_periods(self) -> list[tuple[date | None, str, RuleSet]]:
        """Every rule set with the date it takes effect (None for the base) and its label."""
        periods: list[tuple[date | None, str, RuleSet]] = [(None, "base", self.rules)]
        for change, (_, rule_set) in zip(self.changes, self._sets, strict=True):
            periods.append((change.effective, change.label or str(change.effective), rule_set))
        return periods


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    result = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _deep_merge(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result
