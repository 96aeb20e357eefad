"""Invariants that hold for every library, every item and every day (hypothesis)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.domain import Item, Loan, Patron, PatronAccount
from kiosk.policy import (
    check_checkout,
    check_deposit_credit,
    check_pay_fee,
    check_place_hold,
    check_renew,
    fine_for,
    load_profile,
)
from kiosk.policy.profile import SHARED_AUDIENCES, SHARED_CATEGORIES, SHARED_FORMATS
from tests.policy.builders import fee

PROFILES = {name: load_profile(name) for name in ("hefei", "hamburg", "sanjose")}
CARDS = {"hefei": "3401010000001", "hamburg": "21234000012346", "sanjose": "21234000012346"}

libraries = st.sampled_from(sorted(PROFILES))
days = st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31))
clock = st.times()
categories = st.sampled_from(SHARED_CATEGORIES)
formats = st.sampled_from(SHARED_FORMATS)
audiences = st.sampled_from(SHARED_AUDIENCES)
cents = st.decimals(min_value=0, max_value=500, places=2)


def moment(name: str, day: date, t: time) -> datetime:
    return datetime.combine(day, t, tzinfo=ZoneInfo(PROFILES[name].timezone))


@settings(max_examples=300)
@given(libraries, days, st.integers(0, 800), clock, categories, formats, audiences)
def test_fine_never_negative_never_over_cap(
    name: str, due: date, late: int, t: time, category: str, fmt: str, audience: str
) -> None:
    profile = PROFILES[name]
    p = Patron(CARDS[name], "P", category)
    it = Item("31234000012345", "T", fmt, audience)
    loan = Loan(p.barcode, it.barcode, moment(name, due - timedelta(21), t), due)
    returned = moment(name, due + timedelta(late), t)
    fine = fine_for(profile, loan, it, p, returned)
    assert fine >= 0
    assert fine == fine.quantize(Decimal("0.01"))
    cap = profile.rule_set(returned.date()).fines.cap_per_item
    if cap is not None:
        assert fine <= cap
    highest_rate = max(rules.fines.per_day for _, _, rules in profile.rule_set_periods())
    assert fine <= highest_rate * late


@given(st.integers(1, 400))
def test_hefei_fine_is_exactly_ten_fen_a_day(late: int) -> None:
    profile = PROFILES["hefei"]
    p = Patron(CARDS["hefei"], "P", "adult")
    it = Item("31234000012345", "T", "book")
    due = date(2026, 1, 31)
    loan = Loan(p.barcode, it.barcode, moment("hefei", date(2026, 1, 1), time(10)), due)
    fine = fine_for(profile, loan, it, p, moment("hefei", due + timedelta(late), time(10)))
    assert fine == Decimal("0.10") * late


@settings(max_examples=300)
@given(libraries, days, clock, categories, formats, st.booleans())
def test_due_date_never_before_the_checkout(
    name: str, day: date, t: time, category: str, fmt: str, offline: bool
) -> None:
    profile = PROFILES[name]
    p = Patron(CARDS[name], "P", category)
    now = moment(name, day, t)
    decision = check_checkout(profile, PatronAccount(p), Item("3", "T", fmt), now, offline=offline)
    assert decision.due is not None
    assert decision.due > now.date()


@settings(max_examples=200)
@given(libraries, days, st.integers(-30, 30), categories, formats, st.booleans())
def test_renewal_never_moves_the_due_date_back(
    name: str, due: date, offset: int, category: str, fmt: str, automatic: bool
) -> None:
    profile = PROFILES[name]
    p = Patron(CARDS[name], "P", category)
    it = Item("31234000012345", "T", fmt)
    loan = Loan(p.barcode, it.barcode, moment(name, due - timedelta(21), time(9)), due)
    decision = check_renew(
        profile,
        PatronAccount(p),
        loan,
        it,
        moment(name, due + timedelta(offset), time(9)),
        automatic=automatic,
    )
    assert decision.due is not None
    assert decision.due >= due


@given(libraries, cents, formats, categories)
def test_hold_fee_splits_exactly_into_credit_and_debt(
    name: str, credit: Decimal, fmt: str, category: str
) -> None:
    profile = PROFILES[name]
    acc = PatronAccount(Patron(CARDS[name], "P", category), credit=credit)
    decision = check_place_hold(profile, acc, fmt, moment(name, date(2026, 11, 23), time(12)))
    assert decision.credit_used + decision.owed == decision.fee
    assert decision.credit_used >= 0
    assert decision.owed >= 0
    if decision.credit_balance is not None:
        spent = decision.credit_used if decision.allowed else Decimal("0")
        assert decision.credit_balance == credit - spent
        assert decision.credit_balance >= 0


@given(st.lists(cents, max_size=8), cents)
def test_payment_and_what_remains_sum_exactly(amounts: list[Decimal], pay: Decimal) -> None:
    profile = PROFILES["sanjose"]
    p = Patron(CARDS["sanjose"], "P", "adult")
    acc = PatronAccount(p, fees=tuple(fee(p, "overdue", str(a)) for a in amounts))
    decision = check_pay_fee(profile, acc, pay)
    owed = sum(amounts, Decimal("0"))
    if decision.allowed:
        assert decision.owed + pay == owed
        assert decision.owed >= 0
    else:
        assert decision.owed == owed


@given(cents, st.integers(1, 5))
def test_repeated_deposits_add_exactly(start: Decimal, deposits: int) -> None:
    profile = PROFILES["hamburg"]
    p = Patron(CARDS["hamburg"], "P", "adult")
    credit = start
    for _ in range(deposits):
        decision = check_deposit_credit(profile, PatronAccount(p, credit=credit), Decimal("10.00"))
        assert decision.allowed
        assert decision.credit_balance is not None
        credit = decision.credit_balance
    assert credit == start + Decimal("10.00") * deposits


@given(libraries, days)
def test_rule_set_is_the_latest_change_in_force(name: str, day: date) -> None:
    profile = PROFILES[name]
    started = [(start, rules) for start, _, rules in profile.rule_set_periods() if start]
    in_force = [rules for start, rules in started if start <= day]
    expected = in_force[-1] if in_force else profile.rules
    assert profile.rule_set(day) == expected
