"""Holds (fee, credit, pickup window), the prepaid hold credit and fee payments."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from kiosk.domain.models import Hold, HoldStatus, PatronAccount
from kiosk.domain.money import CENT, ZERO
from kiosk.policy.cards import card_reasons
from kiosk.policy.decision import Decision, Reason, decide, reason
from kiosk.policy.profile import Profile, RuleSet
from kiosk.policy.terms import ACTIVE_HOLD, fee_block, library_today, overdue_loans


def _current(profile: Profile, on: date | None) -> RuleSet:
    """The rules on ``on``; without a date, the latest rule set (every change in force)."""
    return profile.rule_set(on or date.max)


def hold_fee(rules: RuleSet, item_format: str) -> Decimal:
    fmt = rules.formats.get(item_format)
    if fmt is not None and fmt.hold_fee is not None:
        return fmt.hold_fee
    return rules.holds.fee


def check_place_hold(
    profile: Profile,
    account: PatronAccount,
    item_format: str,
    now: datetime,
    *,
    pickup_branch: str | None = None,
    available_at_pickup: bool | None = None,
) -> Decision:
    """May this patron place a hold, and what does it cost?

    ``available_at_pickup`` is central's answer to "is a copy on the shelf, free to borrow, at
    the pickup branch?" (None: not known, so not checked). Where the profile says holds are
    only for items on loan or held elsewhere, a copy on the shelf refuses the hold.

    The fee is taken from the hold credit first (``credit_used``); the rest becomes debt
    (``owed``). A refused hold reports what it would have cost; its ``credit_balance`` is the
    credit unchanged. Credit pays hold fees only: other unpaid fees of the blocking kinds refuse the
    hold even with credit left.
    """
    today = library_today(profile, now)
    rules = profile.rule_set(today)
    holds = rules.holds
    patron = account.patron
    reasons: list[Reason] = []
    if not holds.enabled:
        reasons.append(reason("holds_not_offered"))
    reasons += card_reasons(profile, rules, patron, today, "hold")
    category = rules.categories.get(patron.category)
    if category is not None and not category.holds:
        reasons.append(reason("hold_not_allowed_for_card", category=patron.category))
    fmt = rules.formats.get(item_format)
    if fmt is None:
        reasons.append(reason("format_unknown", format=item_format))
    elif not fmt.holds:
        reasons.append(reason("hold_not_allowed_for_format", format=item_format))
    if pickup_branch is not None and pickup_branch in holds.excluded_branches:
        reasons.append(reason("pickup_branch_excluded", branch=pickup_branch))
    if holds.only_when_unavailable and available_at_pickup:
        reasons.append(reason("available_at_pickup", branch=pickup_branch or ""))
    active = [h for h in account.holds if h.status in ACTIVE_HOLD]
    if holds.max_active is not None and len(active) >= holds.max_active:
        reasons.append(reason("max_holds", limit=holds.max_active))
    limit = rules.loans.max_items
    if holds.count_with_loans and limit is not None and len(account.loans) + len(active) >= limit:
        reasons.append(reason("max_loans", limit=limit, on_loan=len(account.loans)))
    reasons += fee_block(account, holds.block_at_owed, holds.blocking_fee_kinds)
    if holds.block_if_overdue and (late := overdue_loans(account.loans, today)):
        reasons.append(reason("overdue_items", count=len(late)))
    fee = hold_fee(rules, item_format)
    credit = account.credit if holds.credit.enabled else ZERO
    credit_used = min(max(credit, ZERO), fee)
    return decide(
        "hold",
        reasons,
        fee=fee,
        credit_used=credit_used,
        owed=fee - credit_used,
        credit_balance=(credit - (ZERO if reasons else credit_used))
        if holds.credit.enabled
        else None,
        rule_version=profile.version,
    )


def pickup_deadline(profile: Profile, ready_since: date) -> date:
    """The last day a ready hold can be collected (Hamburg: 2 weeks after the notice)."""
    days = profile.rule_set(ready_since).holds.pickup_days
    return ready_since + timedelta(days=days)


def hold_expired(profile: Profile, hold: Hold, today: date) -> bool:
    """A ready hold not collected by its deadline goes back to the owning branch."""
    return (
        hold.status is HoldStatus.READY
        and hold.ready_since is not None
        and today > pickup_deadline(profile, hold.ready_since)
    )


def check_pickup(profile: Profile, hold: Hold, now: datetime) -> Decision:
    """May a ready hold be collected now? (Then check the checkout as usual.)"""
    today = library_today(profile, now)
    reasons: list[Reason] = []
    if hold.status is not HoldStatus.READY or hold.ready_since is None:
        reasons.append(reason("hold_not_ready", status=hold.status.value))
    elif hold_expired(profile, hold, today):
        reasons.append(reason("hold_expired", deadline=pickup_deadline(profile, hold.ready_since)))
    return decide("pickup", reasons, rule_version=profile.version)


def _is_cents(amount: Decimal) -> bool:
    return amount.is_finite() and amount == amount.quantize(CENT)


def check_deposit_credit(
    profile: Profile,
    account: PatronAccount,
    amount: Decimal,
    *,
    in_person: bool = True,
    on: date | None = None,
    now: datetime | None = None,
) -> Decision:
    """May this deposit be added to the hold credit? (Hamburg: exactly 10.00 EUR.)

    Reading of Hamburg's page: the account must owe nothing when the credit is set up (no
    credit yet); a new deposit may be made at any time while credit remains. Only a valid
    card may have a credit: given ``now``, an expired card is refused.
    """
    today = library_today(profile, now) if now is not None else on
    rules = _current(profile, today)
    credit = rules.holds.credit
    patron = account.patron
    reasons: list[Reason] = []
    if not credit.enabled:
        reasons.append(reason("credit_not_offered"))
    category = rules.categories.get(patron.category)
    if category is None:
        reasons.append(reason("card_category_unknown", category=patron.category))
    elif not category.holds:
        reasons.append(reason("hold_not_allowed_for_card", category=patron.category))
    if patron.expires is not None and today is not None and patron.expires < today:
        reasons.append(reason("card_expired", expires=patron.expires))
    if not _is_cents(amount) or amount != credit.deposit:
        reasons.append(reason("deposit_amount", expected=credit.deposit))
    if credit.in_person_only and not in_person:
        reasons.append(reason("in_person_only"))
    owed = account.balance_owed
    if credit.setup_requires_zero_balance and account.credit <= ZERO and owed > ZERO:
        reasons.append(reason("fees_owed", owed=owed))
    after = account.credit + amount if not reasons else account.credit
    return decide("deposit", reasons, credit_balance=after, owed=owed, rule_version=profile.version)


def check_pay_fee(
    profile: Profile, account: PatronAccount, amount: Decimal, *, on: date | None = None
) -> Decision:
    """May ``amount`` be paid towards the patron's fees? ``owed`` is what remains after it."""
    owed = account.balance_owed
    reasons: list[Reason] = []
    if not _is_cents(amount) or amount <= ZERO:
        reasons.append(reason("invalid_amount"))
    elif owed <= ZERO:
        reasons.append(reason("nothing_owed"))
    elif amount > owed:
        reasons.append(reason("overpayment", owed=owed))
    remaining = owed - amount if not reasons else owed
    return decide("payment", reasons, owed=remaining, rule_version=profile.version)
