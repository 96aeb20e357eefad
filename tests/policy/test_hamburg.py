"""Bücherhallen Hamburg: holds and the prepaid hold credit (POLICIES.md § Hamburg)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.domain import Patron
from kiosk.policy import (
    Destination,
    Profile,
    check_checkin,
    check_checkout,
    check_deposit_credit,
    check_pickup,
    check_place_hold,
    check_renew,
    find_profile,
    hold_expired,
    load_profile,
    pickup_deadline,
)
from tests.policy.builders import account, at, fee, hold, item, loan, patron

NOW = "2026-11-23"
CARD = "21234000012346"


def reader(category: str = "adult", **kw: object) -> Patron:
    return patron(CARD, category, **kw)


# --- Holds --------------------------------------------------------------------------------


def test_hold_fee_is_two_euros_per_item(hamburg: Profile) -> None:
    decision = check_place_hold(hamburg, account(reader()), "book", at(hamburg, NOW))
    assert decision.allowed
    assert decision.fee == Decimal("2.00")
    assert decision.owed == Decimal("2.00")  # no credit: the fee is owed on the account


def test_hold_on_emedia_is_free(hamburg: Profile) -> None:
    decision = check_place_hold(
        hamburg, account(reader(), credit=Decimal("10.00")), "emedia", at(hamburg, NOW)
    )
    assert decision.allowed
    assert decision.fee == Decimal("0.00")
    assert decision.credit_used == Decimal("0.00")
    assert decision.credit_balance == Decimal("10.00")


def test_hold_for_pickup_at_a_branch_of_the_patrons_choice(hamburg: Profile) -> None:
    decision = check_place_hold(
        hamburg, account(reader()), "book", at(hamburg, NOW), pickup_branch="altona"
    )
    assert decision.allowed


def test_hold_refused_while_a_copy_is_on_the_shelf_at_pickup(hamburg: Profile) -> None:
    """Only items on loan, or held only at another branch, can be reserved."""
    decision = check_place_hold(
        hamburg,
        account(reader(), credit=Decimal("10.00")),
        "book",
        at(hamburg, NOW),
        pickup_branch="altona",
        available_at_pickup=True,
    )
    assert decision.codes == ("available_at_pickup",)
    assert decision.reasons[0].params["branch"] == "altona"
    assert decision.credit_balance == Decimal("10.00")  # nothing taken for a refused hold


@pytest.mark.parametrize("available", [False, None])
def test_hold_allowed_when_on_loan_or_only_at_another_branch(
    hamburg: Profile, available: bool | None
) -> None:
    decision = check_place_hold(
        hamburg,
        account(reader()),
        "book",
        at(hamburg, NOW),
        pickup_branch="altona",
        available_at_pickup=available,
    )
    assert decision.allowed


def test_shelf_copy_does_not_refuse_holds_where_the_profile_allows_it(
    sanjose: Profile,
) -> None:
    """The rule is Hamburg's flag, not a general one: San José takes the hold."""
    decision = check_place_hold(
        sanjose,
        account(patron(CARD, "adult")),
        "book",
        at(sanjose, NOW),
        available_at_pickup=True,
    )
    assert "available_at_pickup" not in decision.codes


def test_excluded_pickup_branch_is_refused(tmp_path: Path) -> None:
    text = find_profile("hamburg").read_text(encoding="utf-8")
    custom = tmp_path / "hamburg-excl.toml"
    custom.write_text(
        text.replace("excluded_branches = []", 'excluded_branches = ["bücherbus"]'),
        encoding="utf-8",
    )
    profile = load_profile(custom)
    decision = check_place_hold(
        profile, account(reader()), "book", at(profile, NOW), pickup_branch="bücherbus"
    )
    assert decision.codes == ("pickup_branch_excluded",)


@pytest.mark.parametrize("category", ["nursery", "school", "day"])
def test_cards_excluded_from_holds(hamburg: Profile, category: str) -> None:
    decision = check_place_hold(hamburg, account(reader(category)), "book", at(hamburg, NOW))
    assert decision.codes == ("hold_not_allowed_for_card",)


def test_ready_hold_waits_two_weeks(hamburg: Profile) -> None:
    assert pickup_deadline(hamburg, date(2026, 11, 20)) == date(2026, 12, 4)
    ready = hold(CARD, status="ready", ready_since="2026-11-20")
    assert check_pickup(hamburg, ready, at(hamburg, "2026-12-04", "18:00")).allowed
    assert not hold_expired(hamburg, ready, date(2026, 12, 4))
    assert hold_expired(hamburg, ready, date(2026, 12, 5))
    late = check_pickup(hamburg, ready, at(hamburg, "2026-12-05"))
    assert late.codes == ("hold_expired",)


def test_waiting_hold_cannot_be_collected(hamburg: Profile) -> None:
    waiting = hold(CARD, status="waiting")
    assert check_pickup(hamburg, waiting, at(hamburg, NOW)).codes == ("hold_not_ready",)


def test_uncollected_item_goes_back_to_the_owning_branch(hamburg: Profile) -> None:
    # Cleared from the hold shelf at the pickup branch, it travels home.
    it = item("31234000012345", owning_branch="zentrale")
    decision = check_checkin(hamburg, it, at(hamburg, NOW), branch="altona")
    assert decision.destination is Destination.TRANSIT


def test_returned_item_with_a_hold_goes_to_the_hold_shelf_or_in_transit(
    hamburg: Profile,
) -> None:
    it = item(owning_branch="zentrale")
    here = hold("21234000099990", pickup="zentrale")
    there = hold("21234000099990", pickup="altona")
    assert (
        check_checkin(
            hamburg, it, at(hamburg, NOW), item_holds=(here,), branch="zentrale"
        ).destination
        is Destination.HOLD_SHELF
    )
    assert (
        check_checkin(
            hamburg, it, at(hamburg, NOW), item_holds=(there,), branch="zentrale"
        ).destination
        is Destination.TRANSIT
    )


def test_item_ready_for_another_patron_cannot_be_borrowed(hamburg: Profile) -> None:
    ready = hold("21234000099990", status="ready", ready_since="2026-11-20")
    decision = check_checkout(
        hamburg, account(reader()), item(), at(hamburg, NOW), item_holds=(ready,)
    )
    assert decision.codes == ("reserved_for_other",)
    mine = hold(CARD, status="ready", ready_since="2026-11-20")
    assert check_checkout(
        hamburg, account(reader()), item(), at(hamburg, NOW), item_holds=(mine,)
    ).allowed


# --- Hold credit --------------------------------------------------------------------------


def test_credit_is_set_up_with_exactly_ten_euros(hamburg: Profile) -> None:
    decision = check_deposit_credit(hamburg, account(reader()), Decimal("10.00"))
    assert decision.allowed
    assert decision.credit_balance == Decimal("10.00")


@pytest.mark.parametrize("amount", ["5.00", "9.99", "10.01", "20.00", "0.00", "-10.00"])
def test_a_deposit_of_any_other_amount_is_refused(hamburg: Profile, amount: str) -> None:
    decision = check_deposit_credit(hamburg, account(reader()), Decimal(amount))
    assert decision.codes == ("deposit_amount",)
    assert decision.reasons[0].params["expected"] == Decimal("10.00")
    assert decision.credit_balance == Decimal("0.00")


def test_second_deposit_while_credit_remains_makes_thirteen(hamburg: Profile) -> None:
    left = account(reader(), credit=Decimal("3.00"))
    decision = check_deposit_credit(hamburg, left, Decimal("10.00"))
    assert decision.allowed
    assert decision.credit_balance == Decimal("13.00")


def test_credit_is_set_up_only_when_the_account_owes_nothing(hamburg: Profile) -> None:
    p = reader()
    owing = account(p, fees=(fee(p, "reminder", "1.50"),))
    assert check_deposit_credit(hamburg, owing, Decimal("10.00")).codes == ("fees_owed",)
    settled = account(p, fees=(fee(p, "reminder", "1.50", paid="1.50"),))
    assert check_deposit_credit(hamburg, settled, Decimal("10.00")).allowed


@pytest.mark.parametrize("category", ["nursery", "school", "day"])
def test_cards_excluded_from_holds_have_no_credit(hamburg: Profile, category: str) -> None:
    decision = check_deposit_credit(hamburg, account(reader(category)), Decimal("10.00"))
    assert decision.codes == ("hold_not_allowed_for_card",)


def test_only_a_valid_card_may_have_a_credit(hamburg: Profile) -> None:
    expired = account(reader(expires=date(2026, 11, 1)))
    refused = check_deposit_credit(hamburg, expired, Decimal("10.00"), now=at(hamburg, NOW))
    assert refused.codes == ("card_expired",)
    valid = account(reader(expires=date(2027, 11, 1)))
    assert check_deposit_credit(hamburg, valid, Decimal("10.00"), now=at(hamburg, NOW)).allowed


def test_credit_is_handled_in_person_not_at_a_machine(hamburg: Profile) -> None:
    decision = check_deposit_credit(hamburg, account(reader()), Decimal("10.00"), in_person=False)
    assert decision.codes == ("in_person_only",)


def test_hold_fee_is_taken_from_the_credit_first(hamburg: Profile) -> None:
    decision = check_place_hold(
        hamburg, account(reader(), credit=Decimal("10.00")), "book", at(hamburg, NOW)
    )
    assert decision.credit_used == Decimal("2.00")
    assert decision.owed == Decimal("0.00")
    assert decision.credit_balance == Decimal("8.00")


def test_when_credit_runs_out_the_rest_of_the_fee_is_owed(hamburg: Profile) -> None:
    decision = check_place_hold(
        hamburg, account(reader(), credit=Decimal("1.00")), "book", at(hamburg, NOW)
    )
    assert decision.allowed
    assert decision.credit_used == Decimal("1.00")
    assert decision.owed == Decimal("1.00")
    assert decision.credit_balance == Decimal("0.00")


def test_five_holds_use_up_ten_euros_and_the_sixth_is_owed(hamburg: Profile) -> None:
    credit = Decimal("10.00")
    owed = Decimal("0.00")
    for _ in range(6):
        d = check_place_hold(hamburg, account(reader(), credit=credit), "book", at(hamburg, NOW))
        credit = d.credit_balance  # type: ignore[assignment]
        owed += d.owed
    assert credit == Decimal("0.00")
    assert owed == Decimal("2.00")


def test_a_reminder_fee_blocks_holds_despite_credit(hamburg: Profile) -> None:
    p = reader()
    blocked = account(p, credit=Decimal("10.00"), fees=(fee(p, "reminder", "1.50"),))
    decision = check_place_hold(hamburg, blocked, "book", at(hamburg, NOW))
    assert not decision.allowed
    assert decision.codes == ("fees_owed",)
    assert decision.reasons[0].params["kinds"] == ["reminder"]
    assert decision.credit_balance == Decimal("10.00")  # nothing taken from the credit


@pytest.mark.parametrize("kind", ["overdue", "service"])
def test_late_and_service_fees_also_block_holds(hamburg: Profile, kind: str) -> None:
    p = reader()
    blocked = account(p, credit=Decimal("10.00"), fees=(fee(p, kind, "2.00"),))
    assert check_place_hold(hamburg, blocked, "book", at(hamburg, NOW)).codes == ("fees_owed",)


def test_other_fees_block_the_whole_account_until_paid(hamburg: Profile) -> None:
    p = reader()
    blocked = account(p, fees=(fee(p, "reminder", "1.50"),))
    assert check_checkout(hamburg, blocked, item(), at(hamburg, NOW)).codes == ("fees_owed",)
    current = loan(p, item(), at(hamburg, "2026-11-10"), "2026-12-08")
    assert "fees_owed" in check_renew(hamburg, blocked, current, item(), at(hamburg, NOW)).codes


def test_an_unpaid_hold_fee_does_not_block_further_holds(hamburg: Profile) -> None:
    p = reader()
    owing_hold_fee = account(p, fees=(fee(p, "hold", "2.00"),))
    assert check_place_hold(hamburg, owing_hold_fee, "book", at(hamburg, NOW)).allowed


def test_credit_balance_is_reported(hamburg: Profile) -> None:
    decision = check_place_hold(
        hamburg, account(reader(), credit=Decimal("13.00")), "dvd", at(hamburg, NOW)
    )
    assert decision.credit_balance == Decimal("11.00")
    assert decision.to_wire()["credit_balance"] == "11.00"


def test_barcode_chain_knows_lettered_cards_and_items(hamburg: Profile) -> None:
    from kiosk.domain.barcode import BarcodeChain, BarcodeKind

    chain = BarcodeChain(hamburg.barcodes.rules)
    assert chain.classify("A000000001").kind is BarcodeKind.PATRON
    assert chain.classify("a000000001").value == "A000000001"
    assert chain.classify("31234000012345").error == "barcode_check_digit"
    assert chain.expect("A000000001", "item").error == "patron_card_as_item"
    assert chain.classify("9783551551672").kind is BarcodeKind.ITEM
