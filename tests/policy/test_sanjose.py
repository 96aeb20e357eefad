"""San José Public Library: loans, renewals, fines and privacy (POLICIES.md § San José)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kiosk.domain import Patron
from kiosk.domain.barcode import BarcodeChain, BarcodeKind
from kiosk.policy import (
    Profile,
    check_checkin,
    check_checkout,
    check_emedia,
    check_login,
    check_pin,
    check_place_hold,
    check_renew,
    due_soon_notice_date,
    fine_for,
    is_billable,
    lost_item_charge,
)
from tests.policy.builders import account, at, fee, hold, item, loan, patron

NOW = "2026-11-23"  # after reopening: the current rules
CARD = "21234000012346"


def member(category: str = "adult", **kw: object) -> Patron:
    return patron(CARD, category, **kw)


# --- Loan periods and renewals -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "days"),
    [
        ("book", 21),
        ("dvd", 21),
        ("cd", 21),
        ("video", 21),
        ("hotspot", 90),
        ("linkplus", 21),
        ("linkplus_media", 7),
        ("lucky_day", 7),
        ("magazine", 7),
    ],
)
def test_loan_period_by_format(sanjose: Profile, fmt: str, days: int) -> None:
    decision = check_checkout(sanjose, account(member()), item(fmt=fmt), at(sanjose, NOW))
    assert decision.allowed
    assert decision.due == date(2026, 11, 23) + timedelta(days=days)


@pytest.mark.parametrize(
    ("fmt", "renewals"),
    [("book", 3), ("video", 3), ("hotspot", 1), ("linkplus", 1), ("lucky_day", 0), ("magazine", 0)],
)
def test_renewal_count_by_format(sanjose: Profile, fmt: str, renewals: int) -> None:
    p, it = member(), item(fmt=fmt)
    current = loan(p, it, at(sanjose, "2026-11-20"), "2026-12-11", renewals=renewals - 1)
    if renewals:
        assert check_renew(sanjose, account(p), current, it, at(sanjose, NOW)).allowed
    used_up = loan(p, it, at(sanjose, "2026-11-20"), "2026-12-11", renewals=renewals)
    assert check_renew(sanjose, account(p), used_up, it, at(sanjose, NOW)).codes == (
        "renewal_limit",
    )


def test_hotspot_renewal_is_thirty_days(sanjose: Profile) -> None:
    p, it = member(), item(fmt="hotspot")
    current = loan(p, it, at(sanjose, "2026-09-01"), "2026-11-30")
    decision = check_renew(sanjose, account(p), current, it, at(sanjose, NOW))
    assert decision.due == date(2026, 12, 30)


def test_linkplus_only_for_full_access_cards(sanjose: Profile) -> None:
    student = check_checkout(
        sanjose, account(member("student")), item(fmt="linkplus"), at(sanjose, NOW)
    )
    assert student.codes == ("format_not_allowed_for_card",)
    assert check_checkout(
        sanjose, account(member()), item(fmt="linkplus"), at(sanjose, NOW)
    ).allowed


def test_educator_cards_six_weeks_one_renewal_of_six_weeks(sanjose: Profile) -> None:
    teacher = member("educator")
    out = check_checkout(sanjose, account(teacher), item(), at(sanjose, NOW))
    assert out.due == date(2027, 1, 4)
    current = loan(teacher, item(), at(sanjose, NOW), "2027-01-04")
    auto = check_renew(
        sanjose, account(teacher), current, item(), at(sanjose, "2027-01-04"), automatic=True
    )
    assert auto.allowed
    assert auto.due == date(2027, 2, 15)
    twice = loan(teacher, item(), at(sanjose, NOW), "2027-02-15", renewals=1)
    assert check_renew(
        sanjose, account(teacher), twice, item(), at(sanjose, "2027-02-15")
    ).codes == ("renewal_limit",)


def test_educator_auto_renewal_not_when_someone_holds_the_item(sanjose: Profile) -> None:
    teacher = member("educator")
    current = loan(teacher, item(), at(sanjose, NOW), "2027-01-04")
    held = hold("21234000099990")
    decision = check_renew(
        sanjose,
        account(teacher),
        current,
        item(),
        at(sanjose, "2027-01-04"),
        item_holds=(held,),
        automatic=True,
    )
    assert decision.codes == ("reserved_for_other",)


def test_closure_rules_lucky_day_three_weeks_three_renewals(sanjose: Profile) -> None:
    during = at(sanjose, "2020-05-01")
    decision = check_checkout(sanjose, account(member()), item(fmt="lucky_day"), during)
    assert decision.due == date(2020, 5, 22)
    assert sanjose.rule_set(date(2020, 5, 1)).formats["magazine"].renewals == 3
    after = check_checkout(sanjose, account(member()), item(fmt="magazine"), at(sanjose, NOW))
    assert after.due == date(2026, 11, 30)
    assert sanjose.rule_set(date(2026, 11, 23)).formats["magazine"].renewals == 0


def test_rule_set_changes_on_its_effective_date(sanjose: Profile) -> None:
    assert sanjose.rule_set(date(2020, 3, 16)).formats["lucky_day"].loan_days == 7
    assert sanjose.rule_set(date(2020, 3, 17)).formats["lucky_day"].loan_days == 21


# --- Auto-renewal -------------------------------------------------------------------------


def test_auto_renewal_counts_from_the_old_due_date(sanjose: Profile) -> None:
    p, it = member(), item()
    current = loan(p, it, at(sanjose, "2026-11-02"), "2026-11-23")
    # The nightly job runs two days early: the new due date is still 3 weeks after the old one.
    decision = check_renew(
        sanjose, account(p), current, it, at(sanjose, "2026-11-21"), automatic=True
    )
    assert decision.allowed
    assert decision.due == date(2026, 12, 14)


def test_patron_may_still_renew_by_hand(sanjose: Profile) -> None:
    p, it = member(), item()
    current = loan(p, it, at(sanjose, "2026-11-02"), "2026-11-23")
    decision = check_renew(sanjose, account(p), current, it, at(sanjose, "2026-11-20"))
    assert decision.allowed
    assert decision.due == date(2026, 12, 14)


def test_hotspots_are_not_auto_renewed(sanjose: Profile) -> None:
    p, it = member(), item(fmt="hotspot")
    current = loan(p, it, at(sanjose, "2026-09-01"), "2026-11-30")
    decision = check_renew(
        sanjose, account(p), current, it, at(sanjose, "2026-11-30"), automatic=True
    )
    assert decision.codes == ("auto_renew_not_allowed",)


@pytest.mark.parametrize("automatic", [False, True])
def test_item_held_by_another_patron_cannot_be_renewed(sanjose: Profile, automatic: bool) -> None:
    p, it = member(), item()
    current = loan(p, it, at(sanjose, "2026-11-02"), "2026-11-23")
    held = hold("21234000099990", item_barcode=None)  # a title-level hold by someone else
    decision = check_renew(
        sanjose, account(p), current, it, at(sanjose, NOW), item_holds=(held,), automatic=automatic
    )
    assert decision.codes == ("reserved_for_other",)


def test_own_hold_does_not_stop_a_renewal(sanjose: Profile) -> None:
    p, it = member(), item()
    current = loan(p, it, at(sanjose, "2026-11-02"), "2026-11-23")
    own = hold(CARD)
    assert check_renew(
        sanjose, account(p), current, it, at(sanjose, NOW), item_holds=(own,)
    ).allowed


# --- Fines and fees -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("returned", "expected"),
    [
        ("2026-11-02", "0.25"),
        ("2026-11-20", "4.75"),  # day 19
        ("2026-11-21", "5.00"),  # day 20: the cap is reached
        ("2026-11-22", "5.00"),  # day 21: capped
        ("2027-03-01", "5.00"),
    ],
)
def test_late_fee_quarter_a_day_capped_at_five_dollars(
    sanjose: Profile, returned: str, expected: str
) -> None:
    p, it = member(), item()
    late = loan(p, it, at(sanjose, "2026-10-11"), "2026-11-01")
    assert fine_for(sanjose, late, it, p, at(sanjose, returned)) == Decimal(expected)


@pytest.mark.parametrize("audience", ["child", "teen"])
def test_no_late_fees_on_childrens_and_teen_materials(sanjose: Profile, audience: str) -> None:
    p, it = member(), item(audience=audience)
    late = loan(p, it, at(sanjose, "2026-10-11"), "2026-11-01")
    assert fine_for(sanjose, late, it, p, at(sanjose, "2026-11-20")) == Decimal("0.00")
    assert check_checkin(sanjose, it, at(sanjose, "2026-11-20"), loan=late, borrower=p).fee == 0


@pytest.mark.parametrize("category", ["educator", "student"])
def test_educator_and_student_cards_never_pay_late_fees(sanjose: Profile, category: str) -> None:
    p, it = member(category), item()
    late = loan(p, it, at(sanjose, "2026-10-11"), "2026-11-01")
    assert fine_for(sanjose, late, it, p, at(sanjose, "2026-11-20")) == Decimal("0.00")


def test_but_they_pay_for_lost_items_cost_plus_ten_dollars(sanjose: Profile) -> None:
    lost = item(price=Decimal("24.99"))
    assert lost_item_charge(sanjose, lost, date(2026, 11, 23)) == Decimal("34.99")


def test_no_late_fees_during_the_closure(sanjose: Profile) -> None:
    p, it = member(), item()
    late = loan(p, it, at(sanjose, "2020-02-18"), "2020-03-10")
    # 11–16 March charged (6 days), from 17 March (closure) nothing.
    assert fine_for(sanjose, late, it, p, at(sanjose, "2020-03-20")) == Decimal("1.50")
    during = loan(p, it, at(sanjose, "2020-04-01"), "2020-04-22")
    assert fine_for(sanjose, during, it, p, at(sanjose, "2020-05-20")) == Decimal("0.00")


def test_late_fees_start_again_on_reopening(sanjose: Profile) -> None:
    p, it = member(), item()
    late = loan(p, it, at(sanjose, "2021-05-04"), "2021-05-25")
    # 26–31 May still in the closure (free), 1–5 June charged: 5 days.
    assert fine_for(sanjose, late, it, p, at(sanjose, "2021-06-05")) == Decimal("1.25")


def test_billed_after_28_days_overdue(sanjose: Profile) -> None:
    p, it = member(), item()
    late = loan(p, it, at(sanjose, "2026-10-11"), "2026-11-01")
    assert not is_billable(sanjose, late, date(2026, 11, 28))  # 27 days
    assert is_billable(sanjose, late, date(2026, 11, 29))  # 28 days


def test_bill_is_cleared_when_the_item_comes_back(sanjose: Profile) -> None:
    p, it = member(), item()
    late = loan(p, it, at(sanjose, "2026-10-11"), "2026-11-01")
    decision = check_checkin(sanjose, it, at(sanjose, "2026-12-15"), loan=late, borrower=p)
    assert "bill_cleared" in [n.code for n in decision.notices]
    assert decision.fee == Decimal("5.00")


def test_owing_twenty_dollars_blocks_holds_and_renewals(sanjose: Profile) -> None:
    p, it = member(), item()
    owing = account(p, fees=(fee(p, "lost", "20.00"),))
    current = loan(p, it, at(sanjose, "2026-11-02"), "2026-11-23")
    assert check_place_hold(sanjose, owing, "book", at(sanjose, NOW)).codes == ("fees_owed",)
    assert check_renew(sanjose, owing, current, it, at(sanjose, NOW)).codes == ("fees_owed",)


def test_owing_just_under_twenty_dollars_does_not(sanjose: Profile) -> None:
    p, it = member(), item()
    owing = account(p, fees=(fee(p, "overdue", "5.00"), fee(p, "lost", "14.99")))
    current = loan(p, it, at(sanjose, "2026-11-02"), "2026-11-23")
    assert check_place_hold(sanjose, owing, "book", at(sanjose, NOW)).allowed
    assert check_renew(sanjose, owing, current, it, at(sanjose, NOW)).allowed


def test_replacing_a_lost_card_costs_one_dollar(sanjose: Profile) -> None:
    assert sanjose.cards.replacement_fee == Decimal("1.00")


# --- Holds, notices -----------------------------------------------------------------------


def test_hold_with_a_pickup_location(sanjose: Profile) -> None:
    decision = check_place_hold(
        sanjose, account(member()), "book", at(sanjose, NOW), pickup_branch="willow-glen"
    )
    assert decision.allowed
    assert decision.fee == Decimal("0.00")


def test_due_soon_notice_three_days_before(sanjose: Profile) -> None:
    assert due_soon_notice_date(sanjose, date(2026, 12, 14)) == date(2026, 12, 11)


# --- Cards and privacy --------------------------------------------------------------------


@pytest.mark.parametrize("pin", ["1234", "0000", "4321", "5555", "6789"])
def test_easy_pins_are_refused(sanjose: Profile, pin: str) -> None:
    assert check_pin(sanjose, pin).codes == ("pin_weak",)


def test_a_good_pin_is_accepted(sanjose: Profile) -> None:
    assert check_pin(sanjose, "7391").allowed
    assert set(check_pin(sanjose, "12a").codes) == {"pin_digits", "pin_length"}


def test_expired_card_may_log_in_but_not_check_out_or_hold(sanjose: Profile) -> None:
    expired = member(expires=date(2026, 11, 1))
    login = check_login(sanjose, expired, at(sanjose, NOW))
    assert login.allowed
    assert [n.code for n in login.notices] == ["card_expired"]
    assert check_checkout(sanjose, account(expired), item(), at(sanjose, NOW)).codes == (
        "card_expired",
    )
    assert check_place_hold(sanjose, account(expired), "book", at(sanjose, NOW)).codes == (
        "card_expired",
    )
    assert check_emedia(sanjose, expired, at(sanjose, NOW)).codes == ("card_expired",)
    assert check_emedia(sanjose, member(), at(sanjose, NOW)).allowed


def test_card_valid_through_its_expiry_day(sanjose: Profile) -> None:
    last_day = member(expires=date(2026, 11, 23))
    assert check_checkout(sanjose, account(last_day), item(), at(sanjose, NOW, "20:00")).allowed


def test_borrowing_history_is_off_by_default(sanjose: Profile) -> None:
    assert sanjose.privacy.keep_history_default is False


def test_codabar_barcodes_with_check_digit(sanjose: Profile) -> None:
    chain = BarcodeChain(sanjose.barcodes.rules)
    assert chain.classify("A30234000517861B").kind is BarcodeKind.ITEM
    assert chain.classify("30234000517862").error == "barcode_check_digit"
    assert chain.expect("33191000105864", "patron").error == "item_as_patron_card"
