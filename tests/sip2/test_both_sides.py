"""Our SIP2 client side (forwarder target, session lookups) against our own ACS and store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.backend import LoginStatus
from kiosk.central import Central
from kiosk.domain import Transaction, TxKind, TxMode, TxOutcome
from kiosk.sip2.link import Sip2Link, Sip2LinkSettings
from kiosk.sip2.lookups import Sip2Lookups
from kiosk.sip2.server import RunningServer, serve
from kiosk.sip2.target import Sip2Target
from tests.sip2.conftest import BACKENDS, ITEM, ITEM2, ITEM_HELD, OVERDUE, OWES, PATRON, PIN

pytestmark = pytest.mark.parametrize("central", BACKENDS, indirect=True)


@pytest.fixture
def acs(central: Central) -> Iterator[tuple[RunningServer, str]]:
    secret = central.service.add_machine("kiosk-7")
    running = serve(central.service, "127.0.0.1:0")
    yield running, secret
    running.stop()


def _settings(acs: tuple[RunningServer, str], tmp_path: Path) -> Sip2LinkSettings:
    running, secret = acs
    return Sip2LinkSettings(
        host=running.host,
        port=running.port,
        user="kiosk-7",
        password=secret,
        location="main",
        institution="HFL",
        timezone="Asia/Shanghai",
        timeout=5,
        reconciliation=tmp_path / "reconciliation.db",
    )


def test_lookups_log_in_and_show_the_account(acs, tmp_path: Path, central: Central) -> None:
    link = Sip2Link(_settings(acs, tmp_path))
    lookups = Sip2Lookups(link)
    try:
        ok = lookups.login(PATRON, PIN)
        wrong = lookups.login(PATRON, "000000")
        unknown = lookups.login("3401019999999", "1")
        blocked = lookups.login(OWES, "864200")
        account = lookups.account(OVERDUE)
        assert lookups.item_exists(ITEM) is True
        assert lookups.item_exists("39999999999999") is False
    finally:
        link.close()
    assert ok.status is LoginStatus.OK and ok.patron is not None
    assert ok.patron.name == "Li Lei" and ok.patron.language == "zh"
    assert wrong.status is LoginStatus.WRONG_PIN
    assert unknown.status is LoginStatus.UNKNOWN_CARD
    assert blocked.status is LoginStatus.OK
    assert {n.code for n in blocked.notices} >= {"sip2_charge_denied", "fees_owed"}
    assert account is not None
    (loan,) = account.loans
    assert loan.item == "31234000012349" and loan.title == "围城"
    assert loan.overdue and loan.due.isoformat() == "2026-10-31"


def test_forwarder_target_against_our_acs(acs, tmp_path: Path, central: Central) -> None:
    now = central.clock.now()
    then = now - timedelta(hours=6)
    txs = [
        Transaction(
            "kiosk-7",
            1,
            TxKind.CHECKOUT,
            then,
            TxMode.OFFLINE,
            {"patron": PATRON, "item": ITEM, "due": "2026-12-22"},
        ),
        Transaction(
            "kiosk-7", 2, TxKind.CHECKOUT, now, TxMode.ONLINE, {"patron": OVERDUE, "item": ITEM2}
        ),
        Transaction("kiosk-7", 3, TxKind.CHECKIN, now, TxMode.ONLINE, {"item": ITEM_HELD}),
    ]
    target = Sip2Target(_settings(acs, tmp_path))
    try:
        first = target.send(txs)
        again = target.send(txs)
        assert target.state.offline_ok
    finally:
        target.close()
    assert [d.outcome for d in first] == [TxOutcome.APPLIED, TxOutcome.REFUSED, TxOutcome.APPLIED]
    assert first[0].result["due"] == "2026-12-22"  # the offline due date stood
    assert first[2].result["destination"] == "hold_shelf" and first[2].result["sort_bin"] == "2"
    assert "screen_message" in first[1].result
    assert all(d.duplicate for d in again)
    loans = {loan.item: loan for loan in central.service.patron_account(PATRON).loans}
    assert loans[ITEM].checked_out == then
    assert central.service.item(ITEM2).status.value == "available"
