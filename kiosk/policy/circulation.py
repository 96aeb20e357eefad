"""Checkout, checkin and renewal decisions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from kiosk.domain.models import Hold, HoldStatus, Item, ItemStatus, Loan, Patron, PatronAccount
from kiosk.domain.money import ZERO
from kiosk.policy.cards import card_reasons
from kiosk.policy.decision import Decision, Destination, Reason, decide, reason
from kiosk.policy.fines import fine_for, is_billable
from kiosk.policy.profile import Checkin, Profile, RenewalBasis
from kiosk.policy.terms import fee_block, held_by_others, library_today, loan_terms, overdue_loans

_NOT_LOANABLE = (ItemStatus.LOST, ItemStatus.MISSING, ItemStatus.DAMAGED)


def check_checkout(
    profile: Profile,
    account: PatronAccount,
    item: Item,
    now: datetime,
    *,
    item_holds: Iterable[Hold] = (),
    offline: bool = False,
    items_this_visit: int = 0,
) -> Decision:
    """May this patron borrow this item now, and until when?

    ``account.loans`` are the patron's loans including any made earlier in this visit;
    ``items_this_visit`` counts the items borrowed in this visit (for the offline limit).
    """
    today = library_today(profile, now)
    rules = profile.rule_set(today)
    patron = account.patron
    reasons = card_reasons(profile, rules, patron, today, "checkout")
    category = rules.categories.get(patron.category)
    if category is not None and not category.checkout:
        reasons.append(reason("category_cannot_borrow", category=patron.category))
    fmt = rules.formats.get(item.format)
    if fmt is None:
        reasons.append(reason("format_unknown", format=item.format))
    else:
        if fmt.full_access_only and category is not None and not category.full_access:
            reasons.append(reason("format_not_allowed_for_card", format=item.format))
        if not fmt.self_service:
            reasons.append(reason("not_self_service", format=item.format))
    if item.status in _NOT_LOANABLE:
        reasons.append(reason("item_not_loanable", status=item.status.value))
    other_loans = [loan for loan in account.loans if loan.item != item.barcode]
    limit = rules.loans.max_items
    if limit is not None and len(other_loans) >= limit:
        reasons.append(reason("max_loans", limit=limit, on_loan=len(other_loans)))
    if rules.loans.block_if_overdue and (late := overdue_loans(tuple(other_loans), today)):
        reasons.append(reason("overdue_items", count=len(late)))
    reasons += fee_block(account, rules.loans.block_at_owed, rules.loans.blocking_fee_kinds)
    if held_by_others(_trapping(item_holds, item), patron.barcode, item.barcode):
        reasons.append(reason("reserved_for_other"))
    if offline:
        if items_this_visit >= rules.offline.max_items_per_visit:
            reasons.append(reason("offline_limit", limit=rules.offline.max_items_per_visit))
        if fmt is not None and not fmt.offline_issue:
            reasons.append(reason("not_issuable_offline", format=item.format))
    due = None
    if fmt is not None:
        days = loan_terms(rules, category, fmt).loan_days
        if offline and rules.offline.due_days is not None:
            days = rules.offline.due_days
        due = today + timedelta(days=days)
    return decide("checkout", reasons, due=due, rule_version=profile.version)


def _trapping(holds: Iterable[Hold], item: Item) -> tuple[Hold, ...]:
    """Holds that keep this copy from others: ready on the shelf, or waiting for this copy."""
    return tuple(
        hold
        for hold in holds
        if hold.status is HoldStatus.READY
        or (hold.status is HoldStatus.WAITING and hold.item == item.barcode)
    )


def check_renew(
    profile: Profile,
    account: PatronAccount,
    loan: Loan,
    item: Item,
    now: datetime,
    *,
    item_holds: Iterable[Hold] = (),
    automatic: bool = False,
) -> Decision:
    """May this loan be renewed (by the patron, or by the nightly auto-renewal)?"""
    today = library_today(profile, now)
    rules = profile.rule_set(today)
    patron = account.patron
    reasons = card_reasons(profile, rules, patron, today, "renew")
    category = rules.categories.get(patron.category)
    fmt = rules.formats.get(item.format)
    if fmt is None:
        reasons.append(reason("format_unknown", format=item.format))
        return decide("renew", reasons, rule_version=profile.version)
    terms = loan_terms(rules, category, fmt)
    if loan.renewals >= terms.renewals:
        reasons.append(reason("renewal_limit", limit=terms.renewals, renewals=loan.renewals))
    if automatic and not terms.auto_renew:
        reasons.append(reason("auto_renew_not_allowed", format=item.format))
    if rules.renewals.overdue_blocks and loan.due < today:
        reasons.append(reason("item_overdue", due=loan.due))
    if rules.renewals.held_blocks and held_by_others(
        tuple(item_holds), patron.barcode, item.barcode
    ):
        reasons.append(reason("reserved_for_other"))
    reasons += fee_block(account, rules.renewals.block_at_owed, rules.renewals.blocking_fee_kinds)
    basis = rules.renewals.auto_basis if automatic else rules.renewals.basis
    start = today if basis is RenewalBasis.TODAY else loan.due
    due = max(start + timedelta(days=terms.renewal_days), loan.due)
    return decide("renew", reasons, due=due, rule_version=profile.version)


def check_checkin(
    profile: Profile,
    item: Item,
    now: datetime,
    *,
    loan: Loan | None = None,
    borrower: Patron | None = None,
    item_holds: Iterable[Hold] = (),
    offline: bool = False,
    branch: str | None = None,
) -> Decision:
    """A return: the fine (``fee``) and where the item goes next (``destination``).

    Returns are accepted (``allowed``) except formats that may not be returned offline.
    ``item_holds`` are the holds that this copy can fill (on the copy or its title).
    """
    today = library_today(profile, now)
    rules = profile.rule_set(today)
    here = branch or item.current_branch or item.owning_branch
    reasons: list[Reason] = []
    notices: list[Reason] = []
    fmt = rules.formats.get(item.format)
    if offline and fmt is not None and not fmt.offline_return:
        reasons.append(reason("not_returnable_offline", format=item.format))
    fine = ZERO
    if loan is not None:
        fine = fine_for(profile, loan, item, borrower, now)
        if fine > ZERO:
            notices.append(reason("fine_charged", amount=fine))
        if is_billable(profile, loan, today):
            notices.append(reason("bill_cleared"))
    destination = _destination(rules.checkin, item, here, tuple(item_holds), notices)
    if reasons:
        destination = Destination.STAFF
    return decide(
        "checkin",
        reasons,
        fee=fine,
        owed=fine,
        destination=destination,
        notices=tuple(notices),
        rule_version=profile.version,
    )


def _destination(
    checkin: Checkin, item: Item, here: str, holds: tuple[Hold, ...], notices: list[Reason]
) -> Destination:
    if item.status.value in checkin.staff_statuses:
        notices.append(reason("item_status_needs_staff", status=item.status.value))
        return Destination.STAFF
    if item.parts > 1 and checkin.multipart_to_staff:
        notices.append(reason("parts_to_count", parts=item.parts))
        return Destination.STAFF
    waiting = sorted(
        (h for h in holds if h.status is HoldStatus.WAITING and h.item in (None, item.barcode)),
        key=lambda h: h.placed,
    )
    if waiting:
        first = waiting[0]
        notices.append(reason("hold_trapped", pickup_branch=first.pickup_branch))
        return Destination.HOLD_SHELF if first.pickup_branch == here else Destination.TRANSIT
    if item.owning_branch != here:
        return Destination.TRANSIT
    return Destination.RESHELVE
