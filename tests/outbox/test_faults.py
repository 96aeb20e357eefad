"""Faults, tested rather than assumed: SIGKILL mid-work, a broken network, a long outage.

Every test ends the same way: central holds every transaction the machine committed, exactly
once, in sequence order.
"""

from __future__ import annotations

import os
import random
import signal
import time
from pathlib import Path

import pytest

from kiosk.outbox.forwarder import Backoff, Forwarder, Mode, ModeChanged
from kiosk.outbox.http import HttpTarget
from kiosk.outbox.store import Outbox, integrity_ok
from tests.outbox.conftest import ITEMS, PATRONS, CentralServer
from tests.outbox.test_forwarder import assert_exactly_once_in_order
from tests.outbox.workers import checkout_or_checkin, crash_workload
from tests.support.faultproxy import FaultProxy

CRASH_SEED = int(os.environ.get("KIOSK_CRASH_SEED", "20261123"))
CRASHES = int(os.environ.get("KIOSK_CRASHES", "200"))


def test_sigkill_at_random_points_loses_nothing_and_duplicates_nothing(
    central: CentralServer, tmp_path: Path
) -> None:
    secret = central.add_machine("kiosk-1")
    path = str(tmp_path / "queue.db")
    told_path = tmp_path / "told.log"
    told_fd = os.open(told_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    rng = random.Random(CRASH_SEED)
    for run in range(CRASHES):
        pid = os.fork()
        if pid == 0:  # the child: a machine at work until the power goes
            try:
                crash_workload(path, "kiosk-1", central.base_url, secret, CRASH_SEED + run, told_fd)
            finally:
                os._exit(0)
        time.sleep(rng.uniform(0.01, 0.25))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status), f"run {run}: the workload ended by itself: {status}"
        if run % 20 == 0:
            assert integrity_ok(path), f"run {run}: the queue file is damaged"
    os.close(told_fd)
    told = [line.split() for line in told_path.read_text().splitlines()]
    assert len(told) > CRASHES  # the workload did commit work between kills
    assert integrity_ok(path)
    with Outbox(path, "kiosk-1", min_free_bytes=0) as box:
        forwarder = Forwarder(box, HttpTarget(central.base_url, "kiosk-1", secret), batch_size=200)
        assert forwarder.drain(60)
        rows = {r.uuid: r for r in box.rows()}
        for seq, uuid in told:
            assert uuid in rows and rows[uuid].seq == int(seq), f"told {uuid} but it is gone"
        assert_exactly_once_in_order(central, box, "kiosk-1")
        applied = {u for u, _, _ in central.applied("kiosk-1")}
        assert {u for _, u in told} <= applied
        resent = sum(1 for r in rows.values() if (r.result or {}).get("duplicate"))
        print(f"crashes={CRASHES} told={len(told)} rows={len(rows)} resent_duplicates={resent}")


@pytest.mark.parametrize("store", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_partition_heals_and_every_transaction_arrives_once(
    store: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    central: CentralServer = request.getfixturevalue(
        "central" if store == "sqlite" else "pg_central"
    )
    secret = central.add_machine("kiosk-1")
    box = Outbox(tmp_path / "queue.db", "kiosk-1", min_free_bytes=0)
    with FaultProxy(central.port) as proxy:
        target = HttpTarget(
            f"http://127.0.0.1:{proxy.port}",
            "kiosk-1",
            secret,
            timeout_s=0.5,
            connect_timeout_s=0.5,
        )
        forwarder = Forwarder(
            box,
            target,
            batch_size=15,
            idle_poll_s=0.05,
            backoff=Backoff(base_s=0.02, max_s=0.2, rng=random.Random(5)),
            heartbeat_every_s=0.3,
        )
        events: list[ModeChanged] = []
        forwarder.on_mode_change(events.append)
        forwarder.start()
        rng = random.Random(11)
        faults = [
            ("pass", {}),
            ("blackhole", {}),
            ("reset", {}),
            ("cut", {"after": 40}),  # central applied the batch; the reply is lost
            ("pass", {}),
            ("delay", {"seconds": 0.7}),  # slower than the client's timeout
            ("half_open", {}),  # the request arrives, no reply ever comes
            ("http_5xx", {"status": 503}),
            ("cut", {"after": 200}),
            ("reset", {}),
        ]
        try:
            for mode, params in faults:
                proxy.set(mode, **params)
                for _ in range(25):
                    box.enqueue(*checkout_or_checkin(rng))
                time.sleep(0.6)
            proxy.set("pass")
            deadline = time.monotonic() + 60
            while box.depth() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            forwarder.stop()
        assert box.depth() == 0, box.status()
        assert {"blackhole", "reset", "cut", "half_open", "http_5xx"} <= set(proxy.stats.by_mode)
    assert_exactly_once_in_order(central, box, "kiosk-1")
    assert len(central.applied("kiosk-1")) == 250
    resent = [r for r in box.rows() if r.result.get("duplicate")]
    assert resent, "a cut reply should have made the forwarder resend an applied batch"
    modes = [e.mode for e in events]
    assert Mode.OFFLINE in modes and modes[-1] is Mode.ONLINE
    box.close()


@pytest.mark.slow
def test_long_outage_ten_thousand_queued_then_all_delivered(
    central: CentralServer, tmp_path: Path
) -> None:
    secret = central.add_machine("kiosk-1")
    box = Outbox(tmp_path / "queue.db", "kiosk-1", min_free_bytes=0)
    forwarder = Forwarder(
        box,
        HttpTarget(central.base_url, "kiosk-1", secret, timeout_s=60, connect_timeout_s=0.5),
        batch_size=500,
        idle_poll_s=0.05,
        backoff=Backoff(base_s=0.05, max_s=0.5),
        heartbeat_every_s=0.5,
    )
    events: list[ModeChanged] = []
    forwarder.on_mode_change(events.append)
    central.stop()
    forwarder.start()
    rng = random.Random(99)
    try:
        for _ in range(10_000):
            box.enqueue(*checkout_or_checkin(rng))
        assert box.depth() == 10_000, box.status()
        # A tight enqueue loop can hold the write lock the forwarder needs to claim a batch;
        # give it the moment it needs to find central gone (patrons do not enqueue this fast).
        noticed_by = time.monotonic() + 30
        while forwarder.mode is not Mode.OFFLINE and time.monotonic() < noticed_by:
            time.sleep(0.05)
        assert forwarder.mode is Mode.OFFLINE, events
        central.start()
        started = time.monotonic()
        deadline = started + 240
        while box.depth() and time.monotonic() < deadline:
            time.sleep(0.1)
        took = time.monotonic() - started
    finally:
        forwarder.stop()
    assert box.depth() == 0, box.status()
    assert_exactly_once_in_order(central, box, "kiosk-1")
    assert len(central.applied("kiosk-1")) == 10_000
    assert [e.mode for e in events][-2:] == [Mode.OFFLINE, Mode.ONLINE], events
    print(f"10,000 queued offline delivered in {took:.1f} s after central came back")
    box.close()


def test_slow_central_fallback_is_reconciled_with_central_outcome(
    central: CentralServer, tmp_path: Path
) -> None:
    """Central answers, but later than the patron waits: the machine's own decision stands,
    and where central disagrees the machine queues the fact so the records match."""
    secret = central.add_machine("kiosk-1")
    box = Outbox(tmp_path / "queue.db", "kiosk-1", min_free_bytes=0)
    with FaultProxy(central.port) as proxy:
        proxy.set("delay", seconds=1.0)  # every reply comes after the patron stopped waiting
        target = HttpTarget(f"http://127.0.0.1:{proxy.port}", "kiosk-1", secret, timeout_s=10)
        forwarder = Forwarder(box, target, wait_s=0.3, idle_poll_s=0.05, batch_size=1)
        forwarder.start()
        try:
            first = forwarder.submit(
                "checkout",
                {"patron": PATRONS[5], "item": ITEMS[11]},
                decide_offline=lambda: pytest.fail("this one waits for central"),
                wait_s=15,
            )
            assert first.source == "central" and first.allowed
            # Central will refuse this (the copy is on loan to PATRONS[5]); the machine,
            # not hearing back in time, lets the patron take it.
            late = forwarder.submit(
                "checkout",
                {"patron": PATRONS[6], "item": ITEMS[11]},
                decide_offline=lambda: {"allowed": True, "due": "2026-12-07"},
            )
            assert late.source == "offline" and late.allowed
            fine = forwarder.submit(
                "checkout",
                {"patron": PATRONS[6], "item": ITEMS[12]},
                decide_offline=lambda: {"allowed": True, "due": "2026-12-07"},
            )
            assert fine.source == "offline"
            deadline = time.monotonic() + 30
            while box.depth() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            forwarder.stop()
    rows = box.rows()
    row = {r.seq: r for r in rows}[late.transaction.seq]
    follow_ups = [r for r in rows if r.follows == row.seq]
    if row.mode == "online":  # in flight when the machine answered: central refused it
        assert row.outcome == "refused" and row.fallback["allowed"]
        [fact] = follow_ups
        assert (fact.kind, fact.mode, fact.payload) == ("checkout", "offline", row.payload)
    else:  # not yet sent when the machine answered: it went out as the offline fact itself
        assert not follow_ups
        fact = row
    assert fact.outcome in ("applied", "exception")  # central recorded what happened
    print(f"late answer reconciled by {'a follow-up' if follow_ups else 'sending it offline'}")
    assert not [r for r in rows if r.follows == fine.transaction.seq]  # agreed: no follow-up
    assert_exactly_once_in_order(central, box, "kiosk-1")
    box.close()
