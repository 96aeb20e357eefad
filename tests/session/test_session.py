"""Every transition of the patron session state machine."""

from __future__ import annotations

import pytest

from kiosk.backend import ReceiptChannel
from kiosk.domain.barcode import BarcodeChain, BarcodeKind, BarcodeRule
from kiosk.session import (
    Cancelled,
    CardRead,
    ConnectivityChanged,
    FinishRequested,
    GoodbyeDone,
    ItemScanned,
    Mode,
    ModeSwitched,
    PinEntered,
    ReceiptChosen,
    RenewAnswered,
    RenewRequested,
    RowKind,
    ServiceChanged,
    Session,
    SessionSettings,
    State,
    TimedOut,
    Tone,
)
from tests.session.conftest import LOANED, OTHER, PATRON, ScriptedBackend, Ticker

ITEM = "31234000012345"
ITEM2 = "31234000012346"


def login(session: Session) -> None:
    assert session.handle(CardRead(PATRON)).state is State.PIN
    step = session.handle(PinEntered("1234"))
    assert step.state is State.ITEMS, step


def test_card_then_pin_then_items(session: Session, backend: ScriptedBackend) -> None:
    step = session.handle(CardRead(PATRON))
    assert (step.state, step.message_key) == (State.PIN, "login.enter_pin")
    step = session.handle(PinEntered("1234"))
    assert step.state is State.ITEMS and step.tone is Tone.OK
    assert step.params == {"name": "Wang Fang"}
    assert session.patron is not None and PATRON not in session.patron.card_masked
    assert session.patron.card_masked.endswith("0001")


def test_wrong_pin_counts_down_then_locks(session: Session) -> None:
    session.handle(CardRead(PATRON))
    step = session.handle(PinEntered("0000"))
    assert (step.state, step.message_key, step.params) == (
        State.PIN,
        "login.wrong_pin",
        {"attempts_left": 2},
    )
    session.handle(PinEntered("0000"))
    step = session.handle(PinEntered("0000"))
    assert step.state is State.BLOCKED and step.message_key == "login.card_locked"
    assert [r.code for r in step.reasons] == ["card_locked"]


def test_empty_pin_is_not_sent(session: Session, backend: ScriptedBackend) -> None:
    session.handle(CardRead(PATRON))
    step = session.handle(PinEntered(""))
    assert step.state is State.PIN and not step.changed
    assert [c for c in backend.calls if c[0] == "login"] == [("login", PATRON, None)]


def test_cancel_on_pin_pad_returns_to_idle_and_forgets(session: Session) -> None:
    session.handle(CardRead(PATRON))
    step = session.handle(Cancelled())
    assert step.state is State.IDLE
    assert session.patron is None and session._card is None


def test_unknown_card_stays_idle(session: Session) -> None:
    step = session.handle(CardRead("9999"))
    assert (step.state, step.tone, step.message_key) == (
        State.IDLE,
        Tone.ERROR,
        "login.unknown_card",
    )


def test_blocked_patron_sees_every_reason(session: Session, backend: ScriptedBackend) -> None:
    backend.refused_cards[OTHER] = ("card_expired", "staff_block", "old_card_prefix")
    step = session.handle(CardRead(OTHER))
    assert step.state is State.BLOCKED
    assert [r.message_key for r in step.reasons] == [
        "reason.card_expired",
        "reason.staff_block",
        "reason.old_card_prefix",
    ]
    assert not session.handle(ItemScanned(ITEM)).changed
    assert session.handle(FinishRequested()).state is State.IDLE
    assert session.blocked_reasons == ()


def test_checkout_adds_a_row_with_title_and_due(session: Session) -> None:
    login(session)
    step = session.handle(ItemScanned(ITEM))
    assert step.row is not None and step.row.ok and step.row.kind is RowKind.CHECKOUT
    assert step.row.title == "Title 2345" and step.row.due.isoformat() == "2026-12-23"
    assert step.tone is Tone.OK and step.message_key == "checkout.ok"


def test_double_scan_inside_window_is_ignored(
    session: Session, backend: ScriptedBackend, ticker: Ticker
) -> None:
    login(session)
    session.handle(ItemScanned(ITEM))
    ticker.now += 1.0
    step = session.handle(ItemScanned(ITEM))
    assert (step.changed, step.message_key) == (False, "scan.duplicate")
    ticker.now += 10
    step = session.handle(ItemScanned(ITEM))
    assert step.message_key == "scan.already_this_visit"
    assert [c for c in backend.calls if c[0] == "checkout"] == [("checkout", PATRON, ITEM)]


def test_refused_item_shows_reasons(session: Session, backend: ScriptedBackend) -> None:
    backend.refusals[ITEM] = ("reserved_for_other",)
    login(session)
    step = session.handle(ItemScanned(ITEM))
    assert step.tone is Tone.ERROR and step.message_key == "reason.reserved_for_other"
    assert step.row is not None and not step.row.ok
    assert session.state is State.ITEMS


def test_unknown_barcode_is_refused_by_backend(session: Session, backend: ScriptedBackend) -> None:
    backend.refusals["31299999999999"] = ("unknown_item",)
    login(session)
    step = session.handle(ItemScanned("31299999999999"))
    assert step.message_key == "reason.unknown_item" and not step.row.ok


def test_item_already_on_card_offers_renewal(session: Session, backend: ScriptedBackend) -> None:
    login(session)
    step = session.handle(ItemScanned(LOANED))
    assert step.state is State.RENEW_OFFER and step.message_key == "renew.offer"
    assert not session.handle(ItemScanned(ITEM)).changed
    step = session.handle(RenewAnswered(True))
    assert step.state is State.ITEMS and step.row.kind is RowKind.RENEW and step.row.ok
    assert ("renew", PATRON, LOANED) in backend.calls
    assert not any(c[0] == "checkout" and c[2] == LOANED for c in backend.calls)


def test_renewal_offer_declined(session: Session, backend: ScriptedBackend) -> None:
    login(session)
    session.handle(ItemScanned(LOANED))
    step = session.handle(RenewAnswered(False))
    assert step.state is State.ITEMS and step.message_key == "renew.declined"
    assert not any(c[0] == "renew" for c in backend.calls)


def test_renew_from_renew_screen_refused(session: Session, backend: ScriptedBackend) -> None:
    backend.refusals[LOANED] = ("renewal_limit", "item_overdue")
    login(session)
    step = session.handle(RenewRequested(LOANED))
    assert [r.code for r in step.reasons] == ["renewal_limit", "item_overdue"]
    assert step.row.kind is RowKind.RENEW and not step.row.ok


def test_card_where_item_expected(session: Session) -> None:
    login(session)
    assert session.handle(CardRead(OTHER)).message_key == "scan.card_in_items"
    assert session.handle(CardRead(PATRON)).message_key == "scan.same_card"
    assert session.state is State.ITEMS


def test_card_scanned_as_item_with_barcode_rules(backend: ScriptedBackend) -> None:
    chain = BarcodeChain(
        [
            BarcodeRule(
                name="card", kind=BarcodeKind.PATRON, prefixes=("340101",), charset="digits"
            ),
            BarcodeRule(name="item", kind=BarcodeKind.ITEM, prefixes=("312",), charset="digits"),
        ]
    )
    session = Session(backend, barcodes=chain)
    # a card scanned on the item scanner at idle logs in
    assert session.handle(ItemScanned(PATRON)).state is State.PIN
    session.handle(PinEntered("1234"))
    assert session.handle(ItemScanned(OTHER)).message_key == "scan.card_in_items"
    # an item presented on the card reader is refused before any backend call
    session.handle(FinishRequested())
    session.handle(GoodbyeDone())
    step = session.handle(CardRead(ITEM))
    assert (step.state, step.message_key) == (State.IDLE, "scan.item_as_card")
    step = session.handle(ItemScanned("ABC"))
    assert step.message_key == "reason.barcode_unrecognised"


def test_item_at_idle_in_checkout_mode_asks_for_card(session: Session) -> None:
    step = session.handle(ItemScanned(ITEM))
    assert (step.state, step.message_key) == (State.IDLE, "scan.card_first")


def test_return_mode_takes_items_at_idle(session: Session, backend: ScriptedBackend) -> None:
    session.handle(ModeSwitched(Mode.RETURN))
    step = session.handle(ItemScanned(ITEM))
    assert step.state is State.RETURNS and step.row.kind is RowKind.CHECKIN
    assert session.handle(CardRead(PATRON)).message_key == "scan.card_in_returns"
    assert session.handle(FinishRequested()).state is State.FINISH
    step = session.handle(ReceiptChosen(ReceiptChannel.PRINT))
    assert step.state is State.GOODBYE
    assert ("receipt", "print", 1) in backend.calls
    # a card in return-only mode does not log in
    session.handle(GoodbyeDone())
    assert session.handle(CardRead(PATRON)).message_key == "mode.return_only"


def test_both_mode_card_logs_in_and_item_returns(session: Session) -> None:
    session.handle(ModeSwitched(Mode.BOTH))
    assert session.handle(ItemScanned(ITEM)).state is State.RETURNS
    session.handle(Cancelled())
    session.handle(ReceiptChosen(ReceiptChannel.NONE))
    session.handle(GoodbyeDone())
    assert session.handle(CardRead(PATRON)).state is State.PIN


def test_receipt_carries_the_screen_language_and_one_id_per_visit(
    session: Session, backend: ScriptedBackend
) -> None:
    login(session)
    session.handle(ItemScanned(ITEM))
    session.handle(FinishRequested())
    backend.print_ok = False  # the first try fails: the patron tries again
    session.handle(ReceiptChosen(ReceiptChannel.EMAIL, "de"))
    backend.print_ok = True
    session.handle(ReceiptChosen(ReceiptChannel.EMAIL, "vi"))
    first, second = backend.receipts
    assert (first.language, second.language) == ("de", "vi")
    assert first.receipt_id and first.receipt_id == second.receipt_id  # never sent twice
    session.handle(GoodbyeDone())
    login(session)
    session.handle(ItemScanned(ITEM2))  # ITEM is on the card now (a renewal would be offered)
    session.handle(FinishRequested())
    session.handle(ReceiptChosen(ReceiptChannel.EMAIL))
    assert len(backend.receipts) == 3
    assert backend.receipts[-1].receipt_id != first.receipt_id  # the next visit's own
    assert backend.receipts[-1].language == "en"


def test_finish_with_receipt_choices(session: Session, backend: ScriptedBackend) -> None:
    login(session)
    session.handle(ItemScanned(ITEM))
    step = session.handle(FinishRequested())
    assert step.state is State.FINISH
    backend.print_ok = False
    step = session.handle(ReceiptChosen(ReceiptChannel.PRINT))
    assert (step.state, step.message_key) == (State.FINISH, "receipt.print_failed")
    backend.print_ok = True
    step = session.handle(ReceiptChosen(ReceiptChannel.EMAIL))
    assert (step.state, step.message_key) == (State.GOODBYE, "receipt.email_done")
    assert session.rows == [] and session.patron is None
    assert ("end", PATRON) in backend.calls
    assert session.handle(GoodbyeDone()).state is State.IDLE


def test_finish_back_to_items(session: Session) -> None:
    login(session)
    session.handle(ItemScanned(ITEM))
    session.handle(FinishRequested())
    assert session.handle(Cancelled()).state is State.ITEMS
    assert len(session.rows) == 1


def test_finish_without_anything_skips_receipt(session: Session) -> None:
    login(session)
    step = session.handle(FinishRequested())
    assert (step.state, step.message_key) == (State.GOODBYE, "visit.ended")


def test_receipt_none_does_not_deliver(session: Session, backend: ScriptedBackend) -> None:
    login(session)
    session.handle(ItemScanned(ITEM))
    session.handle(FinishRequested())
    step = session.handle(ReceiptChosen(ReceiptChannel.NONE))
    assert step.message_key == "receipt.none_done"
    assert not any(c[0] == "receipt" for c in backend.calls)


def test_receipt_lists_only_what_happened(session: Session, backend: ScriptedBackend) -> None:
    backend.refusals[ITEM2] = ("max_loans",)
    login(session)
    session.handle(ItemScanned(ITEM))
    session.handle(ItemScanned(ITEM2))
    receipt = session.receipt()
    assert [line.item for line in receipt.lines] == [ITEM]
    assert receipt.card_masked.endswith("0001") and PATRON not in receipt.card_masked


@pytest.mark.parametrize("where", ["pin", "items", "renew_offer", "finish", "blocked"])
def test_timeout_ends_visit_from_every_patron_state(
    session: Session, backend: ScriptedBackend, where: str
) -> None:
    backend.refused_cards[OTHER] = ("staff_block",)
    if where == "blocked":
        session.handle(CardRead(OTHER))
    else:
        session.handle(CardRead(PATRON))
        if where != "pin":
            session.handle(PinEntered("1234"))
            session.handle(ItemScanned(ITEM))
        if where == "renew_offer":
            session.handle(ItemScanned(LOANED))
        if where == "finish":
            session.handle(FinishRequested())
    assert session.state.value == where
    step = session.handle(TimedOut())
    assert (step.state, step.message_key) == (State.GOODBYE, "visit.timed_out")
    assert session.rows == [] and session.patron is None and session.blocked_reasons == ()
    assert session.account_info is None and session.pending_renewal is None


def test_timeout_at_idle_is_ignored(session: Session) -> None:
    assert not session.handle(TimedOut()).changed


def test_next_patron_sees_nothing_of_the_last(session: Session) -> None:
    login(session)
    session.handle(ItemScanned(ITEM))
    session.handle(FinishRequested())
    session.handle(ReceiptChosen(ReceiptChannel.NONE))
    # the next card arrives while goodbye is still on screen
    step = session.handle(CardRead(PATRON))
    assert step.state is State.PIN and session.rows == []


def test_offline_mid_visit(session: Session, backend: ScriptedBackend) -> None:
    login(session)
    session.handle(ItemScanned(ITEM))
    backend.online = False
    step = session.handle(ConnectivityChanged(False))
    assert (step.state, step.message_key, step.tone) == (State.ITEMS, "mode.offline", Tone.WARN)
    assert session.went_offline_during_visit
    step = session.handle(ItemScanned(ITEM2))
    assert step.row.ok and step.row.offline
    assert session.receipt().offline
    assert not session.handle(ConnectivityChanged(False)).changed
    assert session.handle(ConnectivityChanged(True)).message_key == "mode.online"


def test_out_of_service_waits_for_visit_to_end(session: Session) -> None:
    login(session)
    step = session.handle(ServiceChanged(False, "Back at 14:00"))
    assert step.state is State.ITEMS
    session.handle(FinishRequested())
    assert session.state is State.GOODBYE
    assert session.handle(GoodbyeDone()).state is State.OUT_OF_SERVICE
    assert session.handle(CardRead(PATRON)).message_key == "service.out"
    assert session.service_message == "Back at 14:00"
    assert session.handle(ServiceChanged(True)).state is State.IDLE


def test_out_of_service_at_idle_is_immediate(session: Session) -> None:
    assert session.handle(ServiceChanged(False, "x")).state is State.OUT_OF_SERVICE


def test_mode_switch_reports_mode(backend: ScriptedBackend) -> None:
    session = Session(backend, settings=SessionSettings(mode=Mode.BOTH))
    assert session.accepts_returns and session.accepts_checkouts
    step = session.handle(ModeSwitched(Mode.CHECKOUT))
    assert step.params == {"mode": "checkout"} and not session.accepts_returns


def test_goodbye_ignores_other_events(session: Session) -> None:
    login(session)
    session.handle(FinishRequested())
    assert not session.handle(FinishRequested()).changed
    assert session.state is State.GOODBYE


def _hamburg_like_chain() -> BarcodeChain:
    """Cards and items that look alike (a letter and digits), as in a real profile."""
    return BarcodeChain(
        [BarcodeRule(name="lettered card", kind=BarcodeKind.PATRON, charset="^[A-Z][0-9]{6,12}$")]
    )


def test_scan_the_rules_call_a_card_but_central_knows_as_an_item(
    backend: ScriptedBackend,
) -> None:
    backend.pins["A000000010"] = "1234"
    backend.known_items.add("M000000052")
    session = Session(backend, barcodes=_hamburg_like_chain())
    assert session.handle(ItemScanned("A000000010")).state is State.PIN
    session.handle(PinEntered("1234"))
    step = session.handle(ItemScanned("M000000052"))
    assert step.row is not None and step.row.kind is RowKind.CHECKOUT
    # a real other card is still a card
    assert session.handle(ItemScanned("B000000011")).message_key == "scan.card_in_items"


def test_misread_barcode_is_refused_unless_central_knows_it(backend: ScriptedBackend) -> None:
    chain = BarcodeChain(
        [
            BarcodeRule(
                name="codabar item",
                kind=BarcodeKind.ITEM,
                prefixes=("3",),
                charset="digits",
                length=14,
                check="codabar_mod10",
            )
        ]
    )
    session = Session(backend, barcodes=chain)
    session.handle(CardRead(PATRON))
    session.handle(PinEntered("1234"))
    step = session.handle(ItemScanned("39999999999990"))
    assert (step.message_key, step.changed) == ("reason.barcode_check_digit", False)
    backend.known_items.add("39999999999990")
    assert session.handle(ItemScanned("39999999999990")).row is not None


def test_login_notices_are_kept_for_the_screen(backend: ScriptedBackend) -> None:
    from kiosk.backend import LoginReply, LoginStatus, PatronView, ReasonView

    original = backend.login

    def login(card: str, pin: str | None) -> LoginReply:
        reply = original(card, pin)
        if reply.status is LoginStatus.OK:
            return LoginReply(
                LoginStatus.OK,
                PatronView("••••0001", "X"),
                notices=(ReasonView("staff_block"), ReasonView("card_expired")),
            )
        return reply

    backend.login = login  # type: ignore[method-assign]
    session = Session(backend)
    session.handle(CardRead(PATRON))
    step = session.handle(PinEntered("1234"))
    assert step.tone is Tone.WARN
    assert [n.code for n in session.notices] == ["staff_block", "card_expired"]
    session.handle(TimedOut())
    assert session.notices == ()
