"""Builders for the policy scenarios: patrons, items, loans and times in a library's zone."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from kiosk.domain import Fee, FeeKind, Hold, HoldStatus, Item, Loan, Patron, PatronAccount
from kiosk.policy import Profile


def at(profile: Profile, day: str, clock: str = "12:00") -> datetime:
    """A moment on ``day`` at ``clock`` local time in the library's time zone."""
    return datetime.combine(
        date.fromisoformat(day), time.fromisoformat(clock), tzinfo=ZoneInfo(profile.timezone)
    )


def d(day: str) -> date:
    return date.fromisoformat(day)


def patron(barcode: str = "3401010000001", category: str = "adult", **kw: object) -> Patron:
    return Patron(barcode=barcode, name="Test Patron", category=category, **kw)  # type: ignore[arg-type]


def item(
    barcode: str = "31234000012345", fmt: str = "book", audience: str = "adult", **kw: object
) -> Item:
    return Item(barcode=barcode, title="A title", format=fmt, audience=audience, **kw)  # type: ignore[arg-type]


def loan(p: Patron, i: Item, checked_out: datetime, due: str, renewals: int = 0) -> Loan:
    return Loan(p.barcode, i.barcode, checked_out, d(due), renewals)


def fee(p: Patron, kind: str, amount: str, paid: str = "0.00") -> Fee:
    return Fee(p.barcode, FeeKind(kind), Decimal(amount), Decimal(paid))


def hold(
    patron_barcode: str,
    item_barcode: str | None = "31234000012345",
    *,
    status: str = "waiting",
    pickup: str = "main",
    placed: datetime | None = None,
    ready_since: str | None = None,
) -> Hold:
    return Hold(
        patron=patron_barcode,
        pickup_branch=pickup,
        placed=placed or datetime(2026, 11, 1, 9, tzinfo=ZoneInfo("UTC")),
        item=item_barcode,
        status=HoldStatus(status),
        ready_since=d(ready_since) if ready_since else None,
    )


def account(p: Patron, **kw: object) -> PatronAccount:
    return PatronAccount(patron=p, **kw)  # type: ignore[arg-type]
