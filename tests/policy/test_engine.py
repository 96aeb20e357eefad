"""Engine rules shared by every library: offline limits, PIN modes, payments, reasons."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.domain import ItemStatus
from kiosk.policy import (
    REASON_CODES,
    Decision,
    Destination,
    PinMode,
    Profile,
    check_checkin,
    check_checkout,
    check_login,
    check_pay_fee,
    find_profile,
    load_profile,
)
from kiosk.policy.decision import reason
from tests.policy.builders import account, at, fee, hold, item, loan, patron

NOW = "2026-11-23"


def _variant(tmp_path: Path, base: str, old: str, new: str) -> Profile:
    text = find_profile(base).read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / f"{base}-variant.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return load_profile(path)


# --- Offline limits -----------------------------------------------------------------------


def test_offline_items_per_visit(hamburg: Profile) -> None:
    p = patron("21234000012346")
    limit = hamburg.offline.max_items_per_visit
    assert limit == 10
    ok = check_checkout(
        hamburg, account(p), item(), at(hamburg, NOW), offline=True, items_this_visit=limit - 1
    )
    assert ok.allowed
    refused = check_checkout(
        hamburg, account(p), item(), at(hamburg, NOW), offline=True, items_this_visit=limit
    )
    assert refused.codes == ("offline_limit",)
    # Online, the visit count does not matter.
    online = check_checkout(hamburg, account(p), item(), at(hamburg, NOW), items_this_visit=limit)
    assert online.allowed


def test_due_date_given_offline(hamburg: Profile) -> None:
    p = patron("21234000012346")
    online = check_checkout(hamburg, account(p), item(fmt="dvd"), at(hamburg, NOW))
    offline = check_checkout(hamburg, account(p), item(fmt="dvd"), at(hamburg, NOW), offline=True)
    assert online.due == date(2026, 11, 30)  # a DVD: 1 week
    assert offline.due == date(2026, 12, 21)  # offline: the profile's 4 weeks for everything


def test_item_types_not_issued_offline(sanjose: Profile) -> None:
    p = patron("21234000012346")
    hotspot = item(fmt="hotspot")
    assert check_checkout(sanjose, account(p), hotspot, at(sanjose, NOW)).allowed
    offline = check_checkout(sanjose, account(p), hotspot, at(sanjose, NOW), offline=True)
    assert offline.codes == ("not_issuable_offline",)


def test_item_types_not_returned_offline(sanjose: Profile) -> None:
    linkplus = item(fmt="linkplus")
    online = check_checkin(sanjose, linkplus, at(sanjose, NOW), branch="main")
    assert online.allowed
    offline = check_checkin(sanjose, linkplus, at(sanjose, NOW), offline=True, branch="main")
    assert not offline.allowed
    assert offline.codes == ("not_returnable_offline",)
    assert offline.destination is Destination.STAFF


def test_books_are_returned_offline(sanjose: Profile) -> None:
    assert check_checkin(sanjose, item(), at(sanjose, NOW), offline=True).allowed


# --- PIN modes ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mode", "required"), [("none", False), ("optional", False), ("mandatory", True)]
)
def test_pin_modes(tmp_path: Path, mode: str, required: bool) -> None:
    profile = _variant(tmp_path, "hamburg", 'mode = "mandatory"', f'mode = "{mode}"')
    assert profile.pin.mode is PinMode(mode)
    decision = check_login(profile, patron("21234000012346"), at(profile, NOW))
    assert decision.allowed
    assert decision.pin_required is required


def test_optional_pin_is_asked_only_when_refused_without_one(tmp_path: Path) -> None:
    profile = _variant(tmp_path, "hamburg", 'mode = "mandatory"', 'mode = "optional"')
    card = patron("21234000012346")
    assert not check_login(profile, card, at(profile, NOW)).pin_required
    assert check_login(profile, card, at(profile, NOW), refused_without_pin=True).pin_required


def test_staff_block_lets_the_patron_log_in_but_not_borrow(hamburg: Profile) -> None:
    blocked = patron("21234000012346", blocked="see staff")
    login = check_login(hamburg, blocked, at(hamburg, NOW))
    assert login.allowed
    assert [n.code for n in login.notices] == ["staff_block"]
    checkout = check_checkout(hamburg, account(blocked), item(), at(hamburg, NOW))
    assert checkout.codes == ("staff_block",)
    assert checkout.reasons[0].params == {"note": "see staff"}


def test_unknown_card_category_is_refused(hamburg: Profile) -> None:
    odd = patron("21234000012346", category="vip")
    assert check_login(hamburg, odd, at(hamburg, NOW)).codes == ("card_category_unknown",)


# --- Checkout details ---------------------------------------------------------------------


def test_lost_item_cannot_be_borrowed(hamburg: Profile) -> None:
    p = patron("21234000012346")
    decision = check_checkout(hamburg, account(p), item(status=ItemStatus.LOST), at(hamburg, NOW))
    assert decision.codes == ("item_not_loanable",)


def test_unknown_format_is_refused(hamburg: Profile) -> None:
    p = patron("21234000012346")
    decision = check_checkout(hamburg, account(p), item(fmt="vinyl"), at(hamburg, NOW))
    assert decision.codes == ("format_unknown",)
    assert decision.due is None


def test_emedia_not_lent_at_a_machine(hamburg: Profile) -> None:
    p = patron("21234000012346")
    assert check_checkout(hamburg, account(p), item(fmt="emedia"), at(hamburg, NOW)).codes == (
        "not_self_service",
    )


def test_waiting_title_hold_does_not_stop_borrowing_a_copy_on_the_shelf(
    hamburg: Profile,
) -> None:
    p = patron("21234000012346")
    title_hold = hold("21234000099990", item_barcode=None)
    assert check_checkout(
        hamburg, account(p), item(), at(hamburg, NOW), item_holds=(title_hold,)
    ).allowed
    copy_hold = hold("21234000099990")
    assert check_checkout(
        hamburg, account(p), item(), at(hamburg, NOW), item_holds=(copy_hold,)
    ).codes == ("reserved_for_other",)


def test_first_hold_in_line_decides_the_destination(hamburg: Profile) -> None:
    early = hold("21234000000001", pickup="altona", placed=datetime(2026, 11, 1, tzinfo=UTC))
    late = hold("21234000000002", pickup="main", placed=datetime(2026, 11, 5, tzinfo=UTC))
    decision = check_checkin(hamburg, item(), at(hamburg, NOW), item_holds=(late, early))
    assert decision.destination is Destination.TRANSIT
    assert decision.notices[0].params == {"pickup_branch": "altona"}


def test_set_of_several_parts_goes_to_staff_for_counting(hamburg: Profile) -> None:
    boxed = item(parts=3)
    decision = check_checkin(hamburg, boxed, at(hamburg, NOW), branch="main")
    assert decision.destination is Destination.STAFF
    assert [n.code for n in decision.notices] == ["parts_to_count"]


def test_checkin_with_a_naive_time_is_a_programming_error(hamburg: Profile) -> None:
    with pytest.raises(ValueError, match="aware"):
        check_checkin(hamburg, item(), datetime(2026, 11, 23, 12))


# --- Payments -----------------------------------------------------------------------------


def test_pay_part_of_what_is_owed(sanjose: Profile) -> None:
    p = patron("21234000012346")
    owing = account(p, fees=(fee(p, "overdue", "3.25"), fee(p, "lost", "10.00")))
    decision = check_pay_fee(sanjose, owing, Decimal("5.00"))
    assert decision.allowed
    assert decision.owed == Decimal("8.25")


@pytest.mark.parametrize(
    ("amount", "code"),
    [
        ("0.00", "invalid_amount"),
        ("-1.00", "invalid_amount"),
        ("1.005", "invalid_amount"),
        ("13.26", "overpayment"),
    ],
)
def test_bad_payments_are_refused(sanjose: Profile, amount: str, code: str) -> None:
    p = patron("21234000012346")
    owing = account(p, fees=(fee(p, "overdue", "3.25"), fee(p, "lost", "10.00")))
    decision = check_pay_fee(sanjose, owing, Decimal(amount))
    assert decision.codes == (code,)
    assert decision.owed == Decimal("13.25")


def test_nothing_to_pay(sanjose: Profile) -> None:
    assert check_pay_fee(sanjose, account(patron()), Decimal("1.00")).codes == ("nothing_owed",)


# --- Decisions ----------------------------------------------------------------------------


def test_every_reason_has_a_message_key_in_the_reason_namespace(hefei: Profile) -> None:
    for code in REASON_CODES:
        assert reason(code).message_key == f"reason.{code}"
    with pytest.raises(ValueError):
        reason("not_a_code")


def test_decision_on_the_wire(hefei: Profile) -> None:
    p = patron()
    late = loan(p, item(), at(hefei, "2026-10-01"), "2026-10-31")
    decision = check_checkin(hefei, item(), at(hefei, NOW), loan=late, borrower=p)
    wire = decision.to_wire()
    assert wire["fee"] == "2.30"
    assert wire["destination"] == "reshelve"
    assert wire["notices"] == [
        {"code": "fine_charged", "message_key": "reason.fine_charged", "params": {"amount": "2.30"}}
    ]
    assert wire["rule_version"] == hefei.version
    assert isinstance(decision, Decision)


def test_allowed_decisions_name_an_ok_key_from_the_published_list(hamburg: Profile) -> None:
    from kiosk.policy import OK_MESSAGE_KEYS
    from kiosk.policy.decision import decide

    p = patron("21234000012346")
    allowed = [
        check_login(hamburg, p, at(hamburg, NOW)),
        check_checkout(hamburg, account(p), item(), at(hamburg, NOW)),
        check_checkin(hamburg, item(), at(hamburg, NOW)),
        check_pay_fee(hamburg, account(p, fees=(fee(p, "hold", "2.00"),)), Decimal("2.00")),
    ]
    for decision in allowed:
        assert decision.allowed
        assert decision.message_key in OK_MESSAGE_KEYS
    with pytest.raises(ValueError):
        decide("teleport", [])
