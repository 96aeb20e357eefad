"""A machine whose ``[central]`` is an ILS over SIP2 (``kind = "sip2"``), end to end: the
configuration file, the outbox and its forwarder, and the session's lookups, against our own
ACS (``kiosk central serve --sip2``'s server) on 127.0.0.1 over a real store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from kiosk.backend import LoginStatus
from kiosk.central import Central
from kiosk.config import MachineConfig, load_config
from kiosk.domain import TxOutcome
from kiosk.outbox.store import RowState
from kiosk.outbox.wiring import open_machine_queue
from kiosk.sip2.config import Sip2CentralConfig
from kiosk.sip2.server import RunningServer, serve
from tests.sip2.conftest import ITEM, PATRON, PIN


@pytest.fixture
def acs(central: Central) -> Iterator[tuple[RunningServer, str]]:
    secret = central.service.add_machine("kiosk-7")
    running = serve(central.service, "127.0.0.1:0")
    yield running, secret
    running.stop()


def _config(acs: tuple[RunningServer, str], tmp_path: Path) -> MachineConfig:
    running, secret = acs
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f"""
machine_id = "kiosk-7"
library = "hefei"

[central]
kind = "sip2"
host = "{running.host}"
port = {running.port}
user = "kiosk-7"
password = "{secret}"
location = "main"
institution = "HFL"
timezone = "Asia/Shanghai"
timeout_s = 5

[outbox]
path = "{tmp_path / "queue.db"}"
min_free_mib = 0
backoff_base_s = 0.05
backoff_max_s = 0.2
""",
        encoding="utf-8",
    )
    return load_config(path)


def _applied(central: Central) -> list[tuple[str, str]]:
    with central.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, outcome FROM applied_tx WHERE machine_id = 'kiosk-7' ORDER BY rowid")
        ).all()
    return [(r[0], r[1]) for r in rows]


def test_outbox_delivers_to_the_ils_exactly_once(acs, tmp_path: Path, central: Central) -> None:
    config = _config(acs, tmp_path)
    assert isinstance(config.central, Sip2CentralConfig)
    queue = open_machine_queue(config)
    try:
        assert queue.forwarder.target.name == "sip2"
        # The lease outlasts one exchange with all its resends (5 s x (1 + 3 retries)).
        assert queue.forwarder.lease_s == 2 * (5 * 4 + 1)
        out = queue.outbox.enqueue("checkout", {"patron": PATRON, "item": ITEM})
        back = queue.outbox.enqueue("checkin", {"item": ITEM})
        assert queue.forwarder.drain(30)
        rows = {r.seq: r for r in queue.outbox.rows()}
        assert rows[out.seq].state is RowState.DELIVERED
        assert rows[back.seq].state is RowState.DELIVERED
        assert rows[out.seq].outcome == TxOutcome.APPLIED.value
        assert rows[back.seq].outcome == TxOutcome.APPLIED.value
        # The reply was lost, say: the same transactions again change nothing at the ILS.
        again = queue.forwarder.target.send(
            [rows[out.seq].transaction(), rows[back.seq].transaction()]
        )
        assert all(d.duplicate for d in again)
    finally:
        queue.close()
    assert _applied(central) == [("checkout", "applied"), ("checkin", "applied")]
    assert central.service.item(ITEM).status.value == "available"
    assert not central.service.patron_account(PATRON).loans


def test_kiosk_session_asks_the_ils(acs, tmp_path: Path) -> None:
    from kiosk.sip2.lookups import Sip2Lookups
    from kiosk.ui.machine import build_machine

    machine = build_machine(_config(acs, tmp_path))
    try:
        assert isinstance(machine.reads, Sip2Lookups)
        reply = machine.backend.login(PATRON, PIN)
        assert reply.status is LoginStatus.OK
        # SIP2 has no e-mail receipt: the button is not offered, whatever the ILS knows.
        assert reply.patron is not None and not reply.patron.has_email
        assert machine.backend.login(PATRON, "000000").status is LoginStatus.WRONG_PIN
    finally:
        machine.close()


def test_technician_sees_what_the_ils_could_not_take(acs, tmp_path: Path) -> None:
    """The SIP2 target's reconciliation record reaches the technician's problem list."""
    from kiosk.ui.machine import build_machine

    machine = build_machine(_config(acs, tmp_path))
    try:
        machine.queue.outbox.enqueue("change_pin", {"patron": PATRON, "new_pin": "975312"})
        machine.queue.outbox.enqueue("checkout", {"patron": PATRON, "item": ITEM})
        machine.queue.forwarder.start()  # the loop runs while a technician syncs now
        assert machine.backend.force_sync() >= 0
        assert machine.queue.forwarder.drain(30)
        problems = machine.backend.problems()
    finally:
        machine.close()
    assert [(p.kind, p.source, p.codes) for p in problems] == [
        ("change_pin", "ils", ("not_supported_by_sip2",))
    ]
