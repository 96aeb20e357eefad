"""Hefei Library (合肥市图书馆): the rules page, one scenario per rule (POLICIES.md § Hefei)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from kiosk.domain import ItemStatus, Loan, Patron
from kiosk.domain.barcode import BarcodeChain, BarcodeKind
from kiosk.policy import (
    Destination,
    Profile,
    check_checkin,
    check_checkout,
    check_courier_return,
    check_delivery,
    check_login,
    check_pin,
    check_place_hold,
    check_renew,
    default_pin,
    fine_for,
    lost_item_charge,
    pin_locked_until,
)
from tests.policy.builders import account, at, fee, hold, item, loan, patron

NOW = "2026-11-23"

# --- Cards --------------------------------------------------------------------------------


def test_alliance_card_logs_in(hefei: Profile) -> None:
    decision = check_login(hefei, patron("3401010000001"), at(hefei, NOW))
    assert decision.allowed
    assert decision.pin_required


def test_credit_card_logs_in(hefei: Profile) -> None:
    assert check_login(hefei, patron("5513401000042"), at(hefei, NOW)).allowed


@pytest.mark.parametrize("barcode", ["3402010000001", "4401010000001", "5513400000001"])
def test_old_or_partner_card_is_refused_and_told_to_exchange_it(
    hefei: Profile, barcode: str
) -> None:
    decision = check_login(hefei, patron(barcode), at(hefei, NOW))
    assert not decision.allowed
    assert decision.codes == ("old_card_prefix",)
    assert decision.message_key == "reason.old_card_prefix"
    assert decision.reasons[0].params["accepted"] == ["340101", "5513401"]


def test_old_card_cannot_borrow_either(hefei: Profile) -> None:
    old = patron("3402010000001")
    decision = check_checkout(hefei, account(old), item(), at(hefei, NOW))
    assert "old_card_prefix" in decision.codes


def test_default_pin_is_the_birth_date_and_counts_as_weak(hefei: Profile) -> None:
    wang = patron(birth_date=date(1985, 3, 12), pin_is_default=True)
    assert default_pin(hefei, wang) == "19850312"
    assert check_login(hefei, wang, at(hefei, NOW)).pin_change_required
    refused = check_pin(hefei, "19850312", wang)
    assert "pin_default" in refused.codes
    assert check_pin(hefei, "583920", wang).allowed


def test_patron_who_changed_the_pin_is_not_asked_again(hefei: Profile) -> None:
    wang = patron(birth_date=date(1985, 3, 12), pin_is_default=False)
    assert not check_login(hefei, wang, at(hefei, NOW)).pin_change_required


def test_five_wrong_pins_lock_the_card_for_fifteen_minutes(hefei: Profile) -> None:
    last = at(hefei, NOW, "10:00")
    assert pin_locked_until(hefei, 4, last, at(hefei, NOW, "10:01")) is None
    until = pin_locked_until(hefei, 5, last, at(hefei, NOW, "10:01"))
    assert until == at(hefei, NOW, "10:15")
    assert pin_locked_until(hefei, 5, last, at(hefei, NOW, "10:15")) is None


def test_barcode_chain_tells_cards_from_items(hefei: Profile) -> None:
    chain = BarcodeChain(hefei.barcodes.rules)
    assert chain.classify("3401010000001").kind is BarcodeKind.PATRON
    assert chain.classify("5513401000042").kind is BarcodeKind.PATRON
    assert chain.classify("31234000012345").kind is BarcodeKind.ITEM
    assert chain.expect("3401010000001", "item").error == "patron_card_as_item"
    assert chain.expect("31234000012345", "patron").error == "item_as_patron_card"


# --- Loans --------------------------------------------------------------------------------


def _loans(profile: Profile, p: Patron, n: int, due: str = "2026-12-20") -> tuple[Loan, ...]:
    items = [item(f"3123400001{i:04d}") for i in range(n)]
    return tuple(loan(p, it, at(profile, "2026-11-20"), due) for it in items)


def test_fifth_loan_allowed_sixth_refused(hefei: Profile) -> None:
    p = patron()
    fifth = check_checkout(hefei, account(p, loans=_loans(hefei, p, 4)), item(), at(hefei, NOW))
    assert fifth.allowed
    sixth = check_checkout(hefei, account(p, loans=_loans(hefei, p, 5)), item(), at(hefei, NOW))
    assert not sixth.allowed
    assert sixth.codes == ("max_loans",)
    assert sixth.reasons[0].params == {"limit": 5, "on_loan": 5}


def test_loan_period_is_30_days(hefei: Profile) -> None:
    decision = check_checkout(hefei, account(patron()), item(), at(hefei, NOW))
    assert decision.due == date(2026, 12, 23)


def test_one_renewal_counted_from_the_day_of_renewal(hefei: Profile) -> None:
    p, it = patron(), item()
    first = loan(p, it, at(hefei, "2026-11-01"), "2026-12-01")
    renewed = check_renew(hefei, account(p, loans=(first,)), first, it, at(hefei, "2026-11-20"))
    assert renewed.allowed
    assert renewed.due == date(2026, 12, 20)  # 30 days from 20 Nov, not from 1 Dec


def test_second_renewal_refused(hefei: Profile) -> None:
    p, it = patron(), item()
    once = loan(p, it, at(hefei, "2026-11-01"), "2026-12-20", renewals=1)
    decision = check_renew(hefei, account(p, loans=(once,)), once, it, at(hefei, "2026-12-01"))
    assert decision.codes == ("renewal_limit",)


def test_renewal_on_the_due_date_is_still_allowed(hefei: Profile) -> None:
    p, it = patron(), item()
    current = loan(p, it, at(hefei, "2026-11-01"), "2026-12-01")
    decision = check_renew(hefei, account(p), current, it, at(hefei, "2026-12-01", "23:30"))
    assert decision.allowed
    assert decision.due == date(2026, 12, 31)


def test_overdue_item_cannot_be_renewed_at_a_machine(hefei: Profile) -> None:
    p, it = patron(), item()
    late = loan(p, it, at(hefei, "2026-10-01"), "2026-10-31")
    decision = check_renew(hefei, account(p, loans=(late,)), late, it, at(hefei, NOW))
    assert not decision.allowed
    assert "item_overdue" in decision.codes


def test_fine_is_ten_fen_per_item_per_overdue_day(hefei: Profile) -> None:
    p, it = patron(), item()
    late = loan(p, it, at(hefei, "2026-10-01"), "2026-10-31")
    assert fine_for(hefei, late, it, p, at(hefei, "2026-11-01", "09:00")) == Decimal("0.10")
    assert fine_for(hefei, late, it, p, at(hefei, "2026-11-30")) == Decimal("3.00")
    assert fine_for(hefei, late, it, p, at(hefei, "2026-10-31", "23:59")) == Decimal("0.00")


def test_overdue_days_are_counted_in_hefei_time(hefei: Profile) -> None:
    p, it = patron(), item()
    late = loan(p, it, at(hefei, "2026-10-01"), "2026-10-31")
    # 17:30 UTC on 31 Oct is already 1 Nov, 01:30 in Hefei: one day late.
    returned = datetime(2026, 10, 31, 17, 30, tzinfo=UTC)
    assert fine_for(hefei, late, it, p, returned) == Decimal("0.10")


def test_fine_is_settled_when_the_item_is_returned(hefei: Profile) -> None:
    p, it = patron(), item()
    late = loan(p, it, at(hefei, "2026-10-01"), "2026-10-31")
    decision = check_checkin(hefei, it, at(hefei, "2026-11-05"), loan=late, borrower=p)
    assert decision.allowed
    assert decision.fee == Decimal("0.50")
    assert decision.owed == Decimal("0.50")
    assert [n.code for n in decision.notices] == ["fine_charged"]


def test_no_fine_for_an_item_returned_on_time(hefei: Profile) -> None:
    p, it = patron(), item()
    ok = loan(p, it, at(hefei, "2026-10-01"), "2026-10-31")
    decision = check_checkin(hefei, it, at(hefei, "2026-10-30"), loan=ok, borrower=p)
    assert decision.fee == Decimal("0.00")
    assert decision.notices == ()


def test_overdue_item_blocks_borrowing(hefei: Profile) -> None:
    p = patron()
    late = loan(p, item("31234000099999"), at(hefei, "2026-10-01"), "2026-10-31")
    decision = check_checkout(hefei, account(p, loans=(late,)), item(), at(hefei, NOW))
    assert decision.codes == ("overdue_items",)


def test_any_unpaid_fee_blocks_borrowing(hefei: Profile) -> None:
    p = patron()
    owing = account(p, fees=(fee(p, "overdue", "0.10"),))
    assert check_checkout(hefei, owing, item(), at(hefei, NOW)).codes == ("fees_owed",)
    paid = account(p, fees=(fee(p, "overdue", "0.10", paid="0.10"),))
    assert check_checkout(hefei, paid, item(), at(hefei, NOW)).allowed


def test_every_reason_is_listed_not_just_the_first(hefei: Profile) -> None:
    old = patron("3402010000001", blocked="lost card reported")
    loans = _loans(hefei, old, 5, due="2026-11-01")
    owing = account(old, loans=loans, fees=(fee(old, "overdue", "2.00"),))
    decision = check_checkout(hefei, owing, item(), at(hefei, NOW))
    assert set(decision.codes) == {
        "old_card_prefix",
        "staff_block",
        "max_loans",
        "overdue_items",
        "fees_owed",
    }


def test_lost_item_compensation_or_new_copy_with_processing_fee(hefei: Profile) -> None:
    lost = item(price=Decimal("45.00"))
    assert lost_item_charge(hefei, lost, date(2026, 11, 23)) == Decimal("45.00")
    assert hefei.rule_set(date(2026, 11, 23)).fines.replacement_copy_fee == Decimal("10.00")


# --- Online orders: delivery and pickup ----------------------------------------------------


@pytest.mark.parametrize(
    ("items", "expected"), [(1, "6.00"), (2, "6.00"), (3, "6.00"), (4, "7.00"), (5, "8.00")]
)
def test_home_delivery_fee_by_items_in_the_order(hefei: Profile, items: int, expected: str) -> None:
    decision = check_delivery(hefei, items, to="home", district="蜀山区")
    assert decision.allowed
    assert decision.fee == Decimal(expected)


def test_an_order_holds_at_most_five_items(hefei: Profile) -> None:
    assert check_delivery(hefei, 6, to="home").codes == ("delivery_too_many_items",)


def test_self_pickup_point_is_free(hefei: Profile) -> None:
    decision = check_delivery(hefei, 5, to="pickup_point")
    assert decision.allowed
    assert decision.fee == Decimal("0.00")


def test_delivery_only_to_the_listed_districts(hefei: Profile) -> None:
    assert check_delivery(hefei, 2, district="包河区").allowed
    outside = check_delivery(hefei, 2, district="肥西县")
    assert outside.codes == ("delivery_district",)


@pytest.mark.parametrize(
    ("items", "expected"), [(1, "7.00"), (3, "7.00"), (4, "8.00"), (5, "9.00")]
)
def test_courier_return_pickup_fee(hefei: Profile, items: int, expected: str) -> None:
    assert check_courier_return(hefei, items).fee == Decimal(expected)


def test_online_order_of_a_patron_with_overdue_items_is_refused(hefei: Profile) -> None:
    p = patron()
    late = loan(p, item("31234000099999"), at(hefei, "2026-10-01"), "2026-10-31")
    decision = check_place_hold(hefei, account(p, loans=(late,)), "book", at(hefei, NOW))
    assert "overdue_items" in decision.codes
    assert decision.fee == Decimal("0.00")


def test_online_order_holds_at_most_five_items(hefei: Profile) -> None:
    p = patron()
    four = account(p, holds=tuple(hold(p.barcode, f"3123400002{i:04d}") for i in range(4)))
    assert check_place_hold(hefei, four, "book", at(hefei, NOW)).allowed
    five = account(p, holds=tuple(hold(p.barcode, f"3123400002{i:04d}") for i in range(5)))
    assert "max_holds" in check_place_hold(hefei, five, "book", at(hefei, NOW)).codes


def test_loans_and_ordered_items_together_stay_within_five(hefei: Profile) -> None:
    p = patron()
    loans = _loans(hefei, p, 3)
    one_ordered = account(p, loans=loans, holds=(hold(p.barcode, "31234000020000"),))
    assert check_place_hold(hefei, one_ordered, "book", at(hefei, NOW)).allowed
    two_ordered = account(
        p,
        loans=loans,
        holds=(hold(p.barcode, "31234000020000"), hold(p.barcode, "31234000020001")),
    )
    assert check_place_hold(hefei, two_ordered, "book", at(hefei, NOW)).codes == ("max_loans",)


# --- Returns ------------------------------------------------------------------------------


def test_return_machine_reshelves_an_item_of_this_library(hefei: Profile) -> None:
    decision = check_checkin(hefei, item(), at(hefei, NOW), branch="main")
    assert decision.destination is Destination.RESHELVE


def test_item_of_a_reading_space_returned_at_the_library_goes_in_transit(hefei: Profile) -> None:
    other = item(owning_branch="yueshufang-1")
    assert check_checkin(hefei, other, at(hefei, NOW), branch="main").destination is (
        Destination.TRANSIT
    )


def test_item_marked_lost_goes_to_staff(hefei: Profile) -> None:
    lost = item(status=ItemStatus.LOST)
    decision = check_checkin(hefei, lost, at(hefei, NOW), branch="main")
    assert decision.destination is Destination.STAFF
