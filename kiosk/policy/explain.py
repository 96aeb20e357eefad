"""A profile's rules as plain English lines for a librarian (``kiosk policy explain``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from kiosk.policy.profile import PinMode, Profile, RenewalBasis, RuleSet


def _money(amount: Decimal, currency: str) -> str:
    return f"{amount:.2f} {currency}"


def _owed(limit: Decimal, currency: str, what: str) -> str:
    if limit <= Decimal("0.01"):
        return f"    Any unpaid fee blocks {what}."
    return f"    Owing {_money(limit, currency)} or more blocks {what}."


def _days(days: int) -> str:
    if days % 7 == 0 and days <= 8 * 7:
        weeks = days // 7
        return f"{weeks} week{'s' if weeks != 1 else ''}"
    return f"{days} day{'s' if days != 1 else ''}"


def explain(profile: Profile, on: date | None = None) -> str:
    """Every rule set (or, given ``on``, only the one in force that day) in plain English."""
    return "\n".join(_lines(profile, on)) + "\n"


def _lines(p: Profile, on: date | None = None) -> Iterator[str]:
    yield f"{p.library_name} ({p.name}, version {p.version})"
    yield f"Time zone {p.timezone}; money in {p.currency}."
    yield ""
    yield "Cards"
    if p.cards.prefixes:
        kinds = ", ".join(f"{c.prefix}… ({c.kind})" for c in p.cards.prefixes)
        yield f"  Accepted card numbers start {kinds}; any other card is old and is refused."
    else:
        yield "  Any card number is accepted."
    yield f"  An expired card may not: {', '.join(p.cards.expired_blocks) or 'nothing is refused'}."
    if p.cards.replacement_fee:
        yield f"  Replacing a lost card costs {_money(p.cards.replacement_fee, p.currency)}."
    pin = p.pin
    mode = {
        PinMode.NONE: "no PIN is asked",
        PinMode.MANDATORY: "a PIN is always asked",
        PinMode.OPTIONAL: "a PIN is asked only when the library system requires it",
    }[pin.mode]
    yield f"  PIN: {mode}; {pin.min_length}–{pin.max_length} digits."
    yield (
        f"  After {pin.max_attempts} wrong PINs the card is locked for "
        f"{pin.lockout_minutes} minutes."
    )
    if pin.default == "birth_date":
        yield "  New cards get the birth date (YYYYMMDD) as PIN; patrons on it must change it."
    if pin.weak or pin.refuse_trivial:
        listed = ", ".join(pin.weak[:6]) + (" …" if len(pin.weak) > 6 else "")
        trivial = "repeated digits and straight runs" if pin.refuse_trivial else ""
        yield f"  PINs refused as too easy: {', '.join(x for x in (listed, trivial) if x)}."
    if p.barcodes.rules:
        yield "  Barcodes are tried in this order (first match wins):"
        for rule in p.barcodes.rules:
            shape = (
                f"{rule.length} chars"
                if rule.length
                else f"{rule.min_length}–{rule.max_length} chars"
            )
            prefixes = f", starting {'/'.join(rule.prefixes)}" if rule.prefixes else ""
            check = f", check digit {rule.check.value}" if rule.check.value != "none" else ""
            if rule.charset not in ("digits", "alnum", "printable"):
                shape = f"matching {rule.charset}"
            yield f"    {rule.name}: {rule.kind.value}, {shape}{prefixes}{check}"
    periods = p.rule_set_periods()
    if on is not None:
        in_force = p.rule_set(on)
        periods = [period for period in periods if period[2] is in_force][-1:]
    for effective, label, rules in periods:
        yield ""
        if on is not None:
            yield f"Rules in force on {on.isoformat()} ({label})"
            yield from _rule_set(rules, p.currency)
            continue
        if effective is None:
            yield "Rules (before the first dated change)" if p.changes else "Rules"
        else:
            yield f"Rules from {effective.isoformat()} ({label})"
        yield from _rule_set(rules, p.currency)
    if p.delivery.enabled:
        d = p.delivery
        yield ""
        yield "Delivery of online orders"
        yield f"  At most {d.max_items_per_order} items per order."
        for row in d.home:
            yield f"  Home delivery, up to {row.items} items: {_money(row.fee, p.currency)}."
        yield f"  To a pickup point: {_money(d.pickup_point_fee, p.currency)}."
        for row in d.courier_return:
            fee = _money(row.fee, p.currency)
            yield f"  Courier return pickup, up to {row.items} items: {fee}."
        if d.districts:
            yield f"  Delivered only to: {', '.join(d.districts)}."
    yield ""
    yield "Privacy"
    yield (
        "  Borrowing history is "
        + ("kept" if p.privacy.keep_history_default else "not kept")
        + " after return unless the patron chose otherwise."
    )
    if p.notices.due_soon_days:
        yield f"  Patrons with e-mail are reminded {p.notices.due_soon_days} days before due."


def _rule_set(r: RuleSet, currency: str) -> Iterator[str]:
    loans = r.loans
    yield "  Loans"
    limit = f"at most {loans.max_items} items on loan" if loans.max_items else "no loan limit"
    yield f"    {limit[0].upper()}{limit[1:]}."
    if loans.block_if_overdue:
        yield "    A patron with an overdue item cannot borrow."
    if loans.block_at_owed is not None:
        yield _owed(loans.block_at_owed, currency, "borrowing")
    if loans.blocking_fee_kinds:
        kinds = ", ".join(loans.blocking_fee_kinds)
        yield f"    Unpaid fees of these kinds block borrowing: {kinds}."
    yield "    By format (loan period, renewals):"
    for name, f in r.formats.items():
        notes = []
        if f.renewal_days and f.renewal_days != f.loan_days:
            notes.append(f"renewals of {_days(f.renewal_days)}")
        if f.auto_renew and r.renewals.auto:
            notes.append("renewed automatically")
        if f.full_access_only:
            notes.append("full-access cards only")
        if not f.self_service:
            notes.append("not at machines")
        if not f.offline_issue:
            notes.append("not lent offline")
        if not f.offline_return:
            notes.append("not returned offline")
        if not f.fines:
            notes.append("no late fines")
        extra = f" ({'; '.join(notes)})" if notes else ""
        yield f"      {f.label or name}: {_days(f.loan_days)}, {f.renewals} renewal(s){extra}"
    yield "    By card category:"
    for name, c in r.categories.items():
        notes = []
        if not c.checkout:
            notes.append("may not borrow")
        if not c.holds:
            notes.append("no holds or hold credit")
        if not c.fines:
            notes.append("never pays late fines")
        if c.loan_days:
            notes.append(f"loans of {_days(c.loan_days)}")
        if c.renewals is not None:
            notes.append(f"{c.renewals} renewal(s)")
        if not c.full_access:
            notes.append("not a full-access card")
        yield f"      {c.label or name}: {'; '.join(notes) or 'standard terms'}"
    exempt = [name for name, a in r.audiences.items() if not a.fines]
    if exempt:
        yield f"    Items for these audiences are never fined: {', '.join(exempt)}."
    rn = r.renewals
    basis = {
        RenewalBasis.TODAY: "from the day of renewal",
        RenewalBasis.DUE_DATE: "from the old due date",
    }
    yield "  Renewals"
    yield f"    A renewal counts {basis[rn.basis]}."
    if rn.auto:
        yield f"    Auto-renewal runs; it counts {basis[rn.auto_basis]}."
    if rn.overdue_blocks:
        yield "    An overdue item cannot be renewed."
    if rn.held_blocks:
        yield "    An item held by another patron cannot be renewed."
    if rn.block_at_owed is not None:
        yield _owed(rn.block_at_owed, currency, "renewals")
    fines = r.fines
    yield "  Fines and fees"
    if fines.per_day:
        cap = (
            f", at most {_money(fines.cap_per_item, currency)} per item"
            if fines.cap_per_item is not None
            else ", no cap"
        )
        yield f"    Late fine {_money(fines.per_day, currency)} per item per calendar day{cap}."
    else:
        yield "    No daily late fine."
    if fines.grace_days:
        yield f"    {fines.grace_days} grace day(s) before fines start."
    if fines.lost_processing_fee:
        yield (
            "    Lost or damaged: the item's price plus "
            f"{_money(fines.lost_processing_fee, currency)}."
        )
    if fines.replacement_copy_fee is not None:
        yield (
            "    Or the patron brings a new copy and pays "
            f"{_money(fines.replacement_copy_fee, currency)}."
        )
    if fines.bill_after_days:
        yield (
            f"    After {fines.bill_after_days} days overdue the patron is billed for the item; "
            "the bill is cleared when it comes back."
        )
    h = r.holds
    yield "  Holds"
    if not h.enabled:
        yield "    No holds."
    else:
        fee = _money(h.fee, currency)
        yield f"    Hold fee {fee} per item; ready holds wait {_days(h.pickup_days)}."
        free = [n for n, f in r.formats.items() if f.hold_fee is not None and f.hold_fee != h.fee]
        for name in free:
            fee = r.formats[name].hold_fee
            assert fee is not None
            yield f"    Holds on {name} cost {_money(fee, currency)}."
        if h.max_active:
            yield f"    At most {h.max_active} holds at once."
        if h.count_with_loans:
            yield "    Holds count towards the loan limit."
        if h.only_when_unavailable:
            yield (
                "    Only items on loan, or on the shelf only at another branch, can be reserved."
            )
        if h.block_at_owed is not None:
            yield _owed(h.block_at_owed, currency, "holds")
        if h.block_if_overdue:
            yield "    A patron with an overdue item cannot place holds."
        if h.blocking_fee_kinds:
            yield f"    Unpaid fees of these kinds block holds: {', '.join(h.blocking_fee_kinds)}."
        if h.credit.enabled:
            yield (
                f"    Hold credit: deposits of exactly {_money(h.credit.deposit, currency)}; "
                "hold fees are taken from it first, then owed."
            )
            if h.credit.setup_requires_zero_balance:
                yield "    The credit is set up only when nothing is owed."
            if h.credit.in_person_only:
                yield "    Deposits and pay-outs only in person at a desk."
    o = r.offline
    yield "  Offline (central unreachable)"
    due = f"due in {_days(o.due_days)}" if o.due_days else "normal due dates"
    yield f"    At most {o.max_items_per_visit} items per visit, {due}."
