"""Our SIP2 target (the forwarder's client) runs a visit against a ``pysip2`` server.

pysip2 (PyPI) plays the existing library system. Its known flaws are recorded in
docs/sip2-interop.md and asserted here as they are, without bending our protocol: it closes
the connection on a checkout or renewal whose ``nb due date`` is 18 blanks (what a
self-check sends online), so those come back as "target unavailable" and are then held for
staff rather than resent blindly.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pysip2
import pytest
from pysip2 import (
    CHECKIN,
    CHECKOUT,
    FEE_PAID,
    HOLD,
    ITEM_INFORMATION,
    LOGIN,
    PATRON_INFORMATION,
    RENEW,
    CheckinResponse,
    CheckoutResponse,
    FeePaidResponse,
    HoldResponse,
    ItemInformationResponse,
    LoginResponse,
    PatronInformationResponse,
    RenewResponse,
)

from kiosk.domain import Transaction, TxKind, TxMode, TxOutcome
from kiosk.outbox.target import Target, TargetUnavailable
from kiosk.sip2.target import Sip2Target, Sip2TargetSettings

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


@dataclass
class Ils:
    """What the pysip2 "library system" remembers: every request it handled."""

    loans: dict[str, str] = field(default_factory=dict)
    checkouts: list[tuple[str, str, str, str]] = field(default_factory=list)
    checkins: list[tuple[str, str, str]] = field(default_factory=list)
    payments: list[tuple[str, str, str | None]] = field(default_factory=list)
    holds: list[tuple[str, str | None]] = field(default_factory=list)
    port: int = 0


def _app(ils: Ils) -> pysip2.SIP2Server:
    app = pysip2.SIP2Server(institution_id="HFL", offline_ok=True, login_required=True)

    @app.route(LOGIN)
    def login(req, ctx) -> LoginResponse:
        ok = req.login_user_id == "sc-1" and req.login_password == "s3cret"
        return LoginResponse(ok="1" if ok else "0")

    @app.route(CHECKOUT)
    def checkout(req, ctx) -> CheckoutResponse:
        taken = req.item_identifier in ils.loans
        if not taken:
            ils.loans[req.item_identifier] = req.patron_identifier
            ils.checkouts.append(
                (req.patron_identifier, req.item_identifier, req.no_block, req.nb_due_date)
            )
        return CheckoutResponse(
            ok="0" if taken else "1",
            renewal_ok="N",
            magnetic_media="N",
            desensitize="N" if taken else "Y",
            transaction_date=ctx.now_18(),
            institution_id="HFL",
            patron_identifier=req.patron_identifier,
            item_identifier=req.item_identifier,
            title_identifier="Red Chamber",
            due_date="20261223    235959",
            screen_message=("Item already on loan",) if taken else (),
        )

    @app.route(CHECKIN)
    def checkin(req, ctx) -> CheckinResponse:
        ils.loans.pop(req.item_identifier, None)
        ils.checkins.append((req.item_identifier, req.no_block, req.return_date))
        held = req.item_identifier.endswith("8")
        return CheckinResponse(
            ok="1",
            resensitize="Y",
            magnetic_media="N",
            alert="Y" if held else "N",
            transaction_date=ctx.now_18(),
            institution_id="HFL",
            item_identifier=req.item_identifier,
            permanent_location="main",
            sort_bin="2" if held else "1",
        )

    @app.route(RENEW)
    def renew(req, ctx) -> RenewResponse:
        return RenewResponse(
            ok="1",
            renewal_ok="Y",
            magnetic_media="N",
            desensitize="Y",
            transaction_date=ctx.now_18(),
            institution_id="HFL",
            patron_identifier=req.patron_identifier,
            item_identifier=req.item_identifier or "",
            title_identifier="",
            due_date="20270101    235959",
        )

    @app.route(FEE_PAID)
    def fee_paid(req, ctx) -> FeePaidResponse:
        ils.payments.append((req.patron_identifier, req.fee_amount, req.transaction_id))
        return FeePaidResponse(
            payment_accepted="Y",
            transaction_date=ctx.now_18(),
            institution_id="HFL",
            patron_identifier=req.patron_identifier,
            transaction_id=req.transaction_id,
        )

    @app.route(PATRON_INFORMATION)
    def patron_information(req, ctx) -> PatronInformationResponse:
        known = req.patron_identifier == "3401010000002"
        pin_ok = req.patron_password in (None, "246813")
        loans = tuple(item for item, card in ils.loans.items() if card == req.patron_identifier)
        return PatronInformationResponse(
            patron_status="  " + " " * 8 + "Y" + " " * 3 if known else "YYYY" + " " * 10,
            language="019",
            transaction_date=ctx.now_18(),
            hold_items_count="0000",
            overdue_items_count="0000",
            charged_items_count=f"{len(loans):04d}",
            fine_items_count="0000",
            recall_items_count="0000",
            unavailable_holds_count="0000",
            institution_id="HFL",
            patron_identifier=req.patron_identifier,
            personal_name="Li Lei" if known else "",
            valid_patron="Y" if known else "N",
            valid_patron_password="Y" if pin_ok else "N",
            currency_type="CNY",
            fee_amount="1.50",
            charged_items=loans if req.summary[2] == "Y" else (),
        )

    @app.route(ITEM_INFORMATION)
    def item_information(req, ctx) -> ItemInformationResponse:
        known = req.item_identifier.startswith("3123")
        return ItemInformationResponse(
            circulation_status="04" if req.item_identifier in ils.loans else "03",
            security_marker="00",
            fee_type="01",
            transaction_date=ctx.now_18(),
            item_identifier=req.item_identifier,
            title_identifier="Red Chamber" if known else "",
            due_date="2026-12-21" if req.item_identifier in ils.loans else None,
        )

    @app.route(HOLD)
    def hold(req, ctx) -> HoldResponse:
        ils.holds.append((req.patron_identifier, req.item_identifier))
        return HoldResponse(
            ok="1",
            available="N",
            transaction_date=ctx.now_18(),
            institution_id="HFL",
            patron_identifier=req.patron_identifier,
        )

    return app


@pytest.fixture
def ils() -> Iterator[Ils]:
    state = Ils()
    ready, stop = threading.Event(), threading.Event()

    async def main() -> None:
        async with _app(state).start("127.0.0.1", 0) as port:
            state.port = port
            ready.set()
            while not stop.is_set():
                await asyncio.sleep(0.02)

    thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
    thread.start()
    assert ready.wait(10)
    yield state
    stop.set()
    thread.join(10)


def _target(ils: Ils, tmp_path: Path, password: str = "s3cret") -> Sip2Target:
    return Sip2Target(
        Sip2TargetSettings(
            host="127.0.0.1",
            port=ils.port,
            user="sc-1",
            password=password,
            location="main",
            institution="HFL",
            timezone="Asia/Shanghai",
            currency="CNY",
            timeout=3,
            reconciliation=tmp_path / "sip2-reconciliation.db",
        )
    )


def _tx(
    kind: str, mode: str = "online", at: datetime = NOW, seq: int = 1, **payload
) -> Transaction:
    return Transaction(
        machine_id="kiosk-1",
        seq=seq,
        kind=TxKind(kind),
        occurred_at=at,
        mode=TxMode(mode),
        payload=payload,
    )


def test_target_is_a_forwarder_target(ils: Ils, tmp_path: Path) -> None:
    target = _target(ils, tmp_path)
    try:
        assert isinstance(target, Target)
        assert target.SUPPORTS_SNAPSHOT is False
        with pytest.raises(TargetUnavailable):
            target.fetch_snapshot()
    finally:
        target.close()


def test_offline_visit_is_replayed_with_its_dates(ils: Ils, tmp_path: Path) -> None:
    then = NOW - timedelta(days=2)
    out = _tx(
        "checkout",
        "offline",
        then,
        1,
        patron="3401010000002",
        item="31234000012345",
        due="2026-12-21",
    )
    back = _tx("checkin", "offline", then + timedelta(hours=3), 2, item="31234000012348")
    pay = _tx("pay_fee", "online", NOW, 3, patron="3401010000002", amount="1.50")
    hold = _tx(
        "place_hold",
        "online",
        NOW,
        4,
        patron="3401010000002",
        item="31234000012346",
        pickup_branch="main",
    )
    target = _target(ils, tmp_path)
    try:
        target.heartbeat(queue_depth=4, oldest_age_s=0, mode="online")
        assert target.state.online and target.state.offline_ok
        deliveries = target.send([out, back, pay, hold])
        assert [d.uuid for d in deliveries] == [out.uuid, back.uuid, pay.uuid, hold.uuid]
        assert all(d.outcome is TxOutcome.APPLIED for d in deliveries)
        assert deliveries[0].result["due"] == "2026-12-23"
        assert deliveries[1].result["destination"] == "staff"  # alert without a type
        assert deliveries[1].result["sort_bin"] == "2"
        # resending the batch (the forwarder lost our reply) sends nothing again
        again = target.send([out, back, pay, hold])
        assert all(d.duplicate for d in again)
        rows = target.reconciliation()
    finally:
        target.close()
    # the ILS saw each once, offline ones as no-block with the original local dates
    assert ils.checkouts == [("3401010000002", "31234000012345", "Y", "20261221    235959")]
    assert ils.checkins == [("31234000012348", "Y", "20261121    130000")]
    assert ils.payments == [("3401010000002", "1.50", pay.uuid)]
    assert ils.holds == [("3401010000002", "31234000012346")]
    assert {r.uuid for r in rows} == {out.uuid, back.uuid, pay.uuid, hold.uuid}
    assert all(r.state == "answered" and r.response for r in rows)


def test_pysip2_hangs_up_on_a_blank_nb_due_date(ils: Ils, tmp_path: Path) -> None:
    """Known pysip2 flaw: an online checkout (nb due date = 18 blanks) closes the connection."""
    online = _tx("checkout", patron="3401010000002", item="31234000012347")
    target = _target(ils, tmp_path)
    try:
        with pytest.raises(TargetUnavailable):
            target.send([online])
        # sent, no reply: a checkout is not resent blindly; staff are told
        (held,) = target.send([online])
        assert held.outcome is TxOutcome.EXCEPTION
        assert held.reasons[0]["code"] == "sip2_outcome_unknown"
        # the connection is re-established for what follows
        (back,) = target.send([_tx("checkin", item="31234000012347", seq=2)])
        assert back.outcome is TxOutcome.APPLIED
    finally:
        target.close()
    assert ils.checkouts == []


def test_wrong_login_is_target_unavailable(ils: Ils, tmp_path: Path) -> None:
    target = _target(ils, tmp_path, password="wrong")
    try:
        with pytest.raises(TargetUnavailable, match="refused the login"):
            target.send([_tx("checkin", item="31234000012345")])
    finally:
        target.close()


def test_kinds_sip2_cannot_carry_are_refused_not_lost(ils: Ils, tmp_path: Path) -> None:
    target = _target(ils, tmp_path)
    try:
        (pin,) = target.send([_tx("change_pin", patron="3401010000002", old_pin="1", new_pin="2")])
    finally:
        target.close()
    assert pin.outcome is TxOutcome.REFUSED
    assert pin.reasons[0]["code"] == "not_supported_by_sip2"


def test_lookups_against_pysip2(ils: Ils, tmp_path: Path) -> None:
    """Our session lookups (63, 17) against the pysip2 ILS: login, account, item check."""
    from kiosk.backend import LoginStatus
    from kiosk.sip2.link import Sip2Link
    from kiosk.sip2.lookups import Sip2Lookups

    ils.loans["31234000012345"] = "3401010000002"
    link = Sip2Link(_target(ils, tmp_path).settings)
    lookups = Sip2Lookups(link)
    try:
        ok = lookups.login("3401010000002", "246813")
        wrong = lookups.login("3401010000002", "000000")
        unknown = lookups.login("3401019999999", None)
        account = lookups.account("3401010000002")
        known_item = lookups.item_exists("31234000012345")
        not_item = lookups.item_exists("9999")
    finally:
        link.close()
    assert ok.status is LoginStatus.OK and ok.patron is not None
    assert ok.patron.name == "Li Lei" and ok.patron.language == "zh"
    assert [n.code for n in ok.notices] == ["fees_owed"]
    assert wrong.status is LoginStatus.WRONG_PIN
    assert unknown.status is LoginStatus.UNKNOWN_CARD
    assert account is not None and account.currency == "CNY"
    assert str(account.balance) == "1.50"
    (loan,) = account.loans
    assert (loan.item, loan.title, loan.due.isoformat()) == (
        "31234000012345",
        "Red Chamber",
        "2026-12-21",
    )
    assert known_item is True and not_item is False
