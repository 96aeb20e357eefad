"""Late fines, long-overdue billing and lost-item charges.

Overdue days are calendar days in the library's time zone from the due date to the day of
return: an item returned one day late owes one day of fine. Each overdue day is charged at
the rate in force on that day (so San José's closure, when no late fees were charged, costs
nothing); exemptions and the cap are those in force on the day of return.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from kiosk.domain.models import Item, Loan, Patron
from kiosk.domain.money import ZERO
from kiosk.policy.profile import Profile, RuleSet
from kiosk.policy.terms import library_today


def overdue_days(due: date, day: date) -> int:
    """Calendar days from ``due`` to ``day`` (0 when not late)."""
    return max((day - due).days, 0)


def fine_exempt(rules: RuleSet, item: Item, patron: Patron | None) -> bool:
    """Items or cards that never pay late fines (children's items, educator cards …)."""
    fmt = rules.formats.get(item.format)
    audience = rules.audiences.get(item.audience)
    category = rules.categories.get(patron.category) if patron is not None else None
    return (
        (fmt is not None and not fmt.fines)
        or (audience is not None and not audience.fines)
        or (category is not None and not category.fines)
    )


def fine_for(
    profile: Profile, loan: Loan, item: Item, patron: Patron | None, returned_at: datetime
) -> Decimal:
    """The late fine for one item returned then: never negative, never over the cap."""
    return_day = library_today(profile, returned_at)
    rules = profile.rule_set(return_day)
    if fine_exempt(rules, item, patron):
        return ZERO
    first = loan.due + timedelta(days=1 + rules.fines.grace_days)
    total = ZERO
    day = first
    # Walk the rule-set periods rather than each day: a change date starts a new rate.
    boundaries = sorted(
        effective for effective, _, _ in profile.rule_set_periods() if effective is not None
    )
    while day <= return_day:
        next_change = next((b for b in boundaries if b > day), None)
        end = return_day if next_change is None else min(return_day, next_change - timedelta(1))
        days = (end - day).days + 1
        total += profile.rule_set(day).fines.per_day * days
        day = end + timedelta(days=1)
    cap = rules.fines.cap_per_item
    if cap is not None:
        total = min(total, cap)
    return total.quantize(Decimal("0.01"))


def is_billable(profile: Profile, loan: Loan, today: date) -> bool:
    """Overdue long enough that the patron is billed for the item (San José: 28 days)."""
    after = profile.rule_set(today).fines.bill_after_days
    return after is not None and overdue_days(loan.due, today) >= after


def lost_item_charge(profile: Profile, item: Item, on: date) -> Decimal:
    """What a lost or damaged item costs: its price plus the processing fee."""
    fines = profile.rule_set(on).fines
    return (item.price or ZERO) + fines.lost_processing_fee


def due_soon_notice_date(profile: Profile, due: date) -> date | None:
    """The day a due-soon reminder is sent (patrons with an e-mail address only)."""
    days = profile.notices.due_soon_days
    return None if days is None else due - timedelta(days=days)
