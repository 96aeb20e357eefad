"""Small shared facts: today in the library, the loan terms of a (category, format) pair."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from kiosk.clock import local_date
from kiosk.domain.models import Hold, HoldStatus, Loan, PatronAccount
from kiosk.policy.decision import Reason, reason
from kiosk.policy.profile import CategoryRule, FormatRule, Profile, RuleSet

ACTIVE_HOLD = (HoldStatus.WAITING, HoldStatus.READY)


def library_today(profile: Profile, now: datetime) -> date:
    """The calendar date of ``now`` in the library's time zone."""
    if now.tzinfo is None:
        raise ValueError("the rules need an aware datetime")
    return local_date(now, profile.zone)


@dataclass(frozen=True, slots=True)
class LoanTerms:
    loan_days: int
    renewals: int
    renewal_days: int
    auto_renew: bool


def loan_terms(rules: RuleSet, category: CategoryRule | None, fmt: FormatRule) -> LoanTerms:
    """The format's terms, with the card category's own terms where the format allows it."""
    use_category = category is not None and fmt.category_terms
    loan_days = fmt.loan_days
    renewals = fmt.renewals
    renewal_days = fmt.renewal_days or fmt.loan_days
    auto = fmt.auto_renew
    if use_category and category is not None:
        if category.loan_days is not None:
            loan_days = category.loan_days
            renewal_days = category.renewal_days or category.loan_days
        if category.renewals is not None:
            renewals = category.renewals
        if category.renewal_days is not None:
            renewal_days = category.renewal_days
        if category.auto_renew is not None:
            auto = category.auto_renew
    return LoanTerms(loan_days, renewals, renewal_days, auto and rules.renewals.auto)


def fee_block(
    account: PatronAccount, at_owed: Decimal | None, kinds: tuple[str, ...]
) -> list[Reason]:
    """``fees_owed`` when the balance reaches ``at_owed`` or a fee of a blocking kind is unpaid."""
    owed = account.balance_owed
    if at_owed is not None and owed >= at_owed:
        return [reason("fees_owed", owed=owed, limit=at_owed)]
    blocking = sorted({f.kind.value for f in account.fees if f.outstanding > 0} & set(kinds))
    if blocking:
        return [reason("fees_owed", owed=owed, kinds=blocking)]
    return []


def overdue_loans(loans: tuple[Loan, ...], today: date) -> list[Loan]:
    return [loan for loan in loans if loan.due < today]


def held_by_others(holds: tuple[Hold, ...], patron: str, item: str | None = None) -> list[Hold]:
    """Active holds of other patrons (on this copy or its title, as the caller passed them)."""
    return [
        hold
        for hold in holds
        if hold.patron != patron
        and hold.status in ACTIVE_HOLD
        and (item is None or hold.item in (None, item))
    ]
