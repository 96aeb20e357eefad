"""The outbox table and its state machine, on a real SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.domain import TxKind, TxMode, TxOutcome
from kiosk.errors import QueueError
from kiosk.outbox.store import Delivery, Outbox, RowState, integrity_ok

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def box(tmp_path: Path) -> Outbox:
    outbox = Outbox(tmp_path / "queue.db", "kiosk-1", min_free_bytes=0)
    yield outbox
    outbox.close()


def applied(uuid: str) -> Delivery:
    return Delivery(uuid=uuid, outcome=TxOutcome.APPLIED, message_key="checkout.ok")


def test_pragmas_are_wal_and_full(box: Outbox) -> None:
    with box.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL


def test_enqueue_is_durable_and_sequenced(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    with Outbox(path, "kiosk-1", min_free_bytes=0) as box:
        first = box.enqueue(TxKind.CHECKOUT, {"patron": "p", "item": "i1"})
        second = box.enqueue("checkin", {"item": "i1"})
    assert (first.seq, second.seq) == (1, 2)
    # Read back with plain sqlite3: the rows are on disk, not in some cache.
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT seq, uuid, kind, state, payload FROM outbox").fetchall()
    assert rows == [
        (1, first.uuid, "checkout", "queued", '{"patron":"p","item":"i1"}'),
        (2, second.uuid, "checkin", "queued", '{"item":"i1"}'),
    ]


def test_sequence_never_reused_after_prune(box: Outbox) -> None:
    for _ in range(3):
        tx = box.enqueue("checkin", {"item": "x"})
        rows = box.claim("me", 10, 30)
        box.record([(r.seq, applied(r.uuid)) for r in rows])
    # The newest row stays, so SQLite never hands out its seq again.
    assert box.prune(now=time.time() + box.retention.total_seconds() + 1) == 2
    assert [r.seq for r in box.rows()] == [tx.seq]
    assert box.enqueue("checkin", {"item": "x"}).seq == tx.seq + 1


def test_claim_marks_sending_in_order_and_respects_lease(box: Outbox) -> None:
    txs = [box.enqueue("checkin", {"item": str(n)}) for n in range(5)]
    rows = box.claim("a", 3, 30)
    assert [r.seq for r in rows] == [t.seq for t in txs[:3]]
    assert all(r.state is RowState.SENDING for r in rows)
    assert box.claim("b", 3, 30) is None  # a holds the lease
    assert box.status().lease_owner == "a"
    # a's attempt failed: back to queued, in order, with the error kept.
    box.requeue([r.seq for r in rows], "connection refused")
    again = box.claim("a", 10, 30)
    assert [r.seq for r in again] == [t.seq for t in txs]
    assert again[0].attempts == 2
    assert box.status().last_error == "connection refused"


def test_expired_lease_lets_another_forwarder_resend(box: Outbox) -> None:
    tx = box.enqueue("checkin", {"item": "1"})
    assert [r.seq for r in box.claim("a", 10, 0.05)] == [tx.seq]
    time.sleep(0.1)
    rows = box.claim("b", 10, 30)  # a died holding the row: b resends it
    assert [(r.seq, r.uuid) for r in rows] == [(tx.seq, tx.uuid)]


def test_dead_local_owner_lease_is_taken_over_at_once(box: Outbox) -> None:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    import socket

    dead = f"{socket.gethostname()}:{child.pid}:1"
    box.enqueue("checkin", {"item": "1"})
    assert box.claim(dead, 10, 3600)
    assert box.claim("b", 10, 30)


def test_record_outcomes_by_state(box: Outbox) -> None:
    txs = [box.enqueue("checkout", {"patron": "p", "item": str(n)}) for n in range(3)]
    rows = box.claim("a", 10, 30)
    reason = {"code": "reserved_for_other", "message_key": "reason.reserved_for_other"}
    box.record(
        [
            (rows[0].seq, applied(rows[0].uuid)),
            (rows[1].seq, Delivery(rows[1].uuid, TxOutcome.REFUSED, reasons=(reason,))),
            (rows[2].seq, Delivery(rows[2].uuid, TxOutcome.EXCEPTION, reasons=(reason,))),
        ]
    )
    states = {r.seq: (r.state, r.outcome) for r in box.rows()}
    assert states == {
        txs[0].seq: (RowState.DELIVERED, "applied"),
        txs[1].seq: (RowState.REFUSED, "refused"),
        txs[2].seq: (RowState.EXCEPTION, "exception"),
    }
    assert box.depth() == 0
    assert [r.seq for r in box.report()] == [txs[1].seq, txs[2].seq]
    assert box.report()[0].result["reasons"] == [reason]
    # A late duplicate reply does not overwrite the first outcome.
    box.record([(rows[1].seq, applied(rows[1].uuid))])
    assert box.get(rows[1].seq).state is RowState.REFUSED


def test_prune_keeps_refused_exception_and_recent(box: Outbox) -> None:
    box.retention = timedelta(hours=1)
    for n in range(4):
        box.enqueue("checkout", {"patron": "p", "item": str(n)})
    rows = box.claim("a", 10, 30)
    box.record(
        [
            (rows[0].seq, applied(rows[0].uuid)),
            (rows[1].seq, Delivery(rows[1].uuid, TxOutcome.REFUSED)),
            (rows[2].seq, Delivery(rows[2].uuid, TxOutcome.EXCEPTION)),
        ]
    )
    assert box.prune() == 0  # delivered just now: within retention
    assert box.prune(now=time.time() + 3601) == 1
    left = {r.seq: r.state for r in box.rows()}
    assert left == {
        rows[1].seq: RowState.REFUSED,
        rows[2].seq: RowState.EXCEPTION,
        rows[3].seq: RowState.SENDING,
    }


def test_fall_back_on_queued_row_turns_it_into_an_offline_fact(box: Outbox) -> None:
    tx = box.enqueue("checkout", {"patron": "p", "item": "i"})
    row = box.fall_back(tx.seq, {"allowed": True, "due": "2026-12-01"})
    assert row.mode == TxMode.OFFLINE and row.state is RowState.QUEUED
    assert box.claim("a", 1, 30)[0].transaction().mode is TxMode.OFFLINE


def test_fall_back_refused_queued_row_sends_nothing(box: Outbox) -> None:
    tx = box.enqueue("checkout", {"patron": "p", "item": "i"})
    row = box.fall_back(tx.seq, {"allowed": False, "reasons": [{"code": "offline_limit"}]})
    assert row.state is RowState.REFUSED and row.delivery is None
    assert box.claim("a", 10, 30) == []
    with pytest.raises(QueueError, match="already decided by the machine"):
        box.retry(row.seq)


def test_in_flight_fallback_allowed_but_central_refused_queues_the_fact(box: Outbox) -> None:
    tx = box.enqueue("checkout", {"patron": "p", "item": "i"})
    [row] = box.claim("a", 1, 30)
    box.fall_back(tx.seq, {"allowed": True})  # the patron left with the item
    follow = box.record([(row.seq, Delivery(row.uuid, TxOutcome.REFUSED))])
    assert len(follow) == 1
    fact = box.get(follow[0])
    assert (fact.kind, fact.mode, fact.follows, fact.payload) == (
        "checkout",
        "offline",
        tx.seq,
        {"patron": "p", "item": "i"},
    )
    assert fact.uuid != tx.uuid


def test_fallback_during_a_failed_send_becomes_a_fact_and_survives_a_lost_refusal(
    box: Outbox,
) -> None:
    tx = box.enqueue("checkout", {"patron": "p", "item": "i"})
    [row] = box.claim("a", 1, 30)
    box.fall_back(tx.seq, {"allowed": True})  # the patron left with the item
    box.requeue([row.seq], "timed out")  # the attempt failed; it may have reached central
    again = box.get(tx.seq)
    assert (again.state, again.mode) == (RowState.QUEUED, "offline")
    [row] = box.claim("a", 1, 30)
    assert row.transaction().mode is TxMode.OFFLINE
    # Central had refused the online request before the reply got lost: the resend only
    # fetches that refusal. The fact must still reach central, as a new transaction.
    refusal = Delivery(row.uuid, TxOutcome.REFUSED, duplicate=True)
    [follow] = box.record([(row.seq, refusal)])
    fact = box.get(follow)
    assert (fact.kind, fact.mode, fact.follows) == ("checkout", "offline", tx.seq)


def test_in_flight_fallback_refused_but_central_applied_queues_a_checkin(box: Outbox) -> None:
    tx = box.enqueue("checkout", {"patron": "p", "item": "i"})
    [row] = box.claim("a", 1, 30)
    box.fall_back(tx.seq, {"allowed": False})  # the patron was turned away
    [follow] = box.record([(row.seq, applied(row.uuid))])
    undo = box.get(follow)
    assert (undo.kind, undo.mode, undo.payload) == (
        "checkin",
        "offline",
        {"item": "i", "patron": "p"},
    )


def test_fall_back_after_central_answered_returns_central(box: Outbox) -> None:
    tx = box.enqueue("checkout", {"patron": "p", "item": "i"})
    [row] = box.claim("a", 1, 30)
    box.record([(row.seq, applied(row.uuid))])
    got = box.fall_back(tx.seq, {"allowed": False})
    assert got.delivery is not None and got.delivery.outcome is TxOutcome.APPLIED
    assert got.fallback is None


def test_retry_rules(box: Outbox) -> None:
    rejected = box.enqueue("checkout", {"patron": "p", "item": "1"})
    refused = box.enqueue("checkout", {"patron": "p", "item": "2"})
    exc = box.enqueue("checkout", {"patron": "p", "item": "3"})
    queued = box.enqueue("checkout", {"patron": "p", "item": "4"})
    rows = box.claim("a", 3, 30)
    box.reject(rows[0].seq, "central rejected it: invalid_request")
    box.record(
        [
            (rows[1].seq, Delivery(rows[1].uuid, TxOutcome.REFUSED)),
            (rows[2].seq, Delivery(rows[2].uuid, TxOutcome.EXCEPTION)),
        ]
    )
    again = box.retry(rejected.seq)
    assert (again.seq, again.uuid, again.state) == (rejected.seq, rejected.uuid, RowState.QUEUED)
    with pytest.raises(QueueError, match="already decided by central"):
        box.retry(refused.seq)
    with pytest.raises(QueueError, match="already decided by central"):
        box.retry(exc.seq)
    assert [r.seq for r in box.claim("a", 10, 30)] == [rejected.seq, queued.seq]
    with pytest.raises(QueueError, match="only refused or exception"):
        box.retry(queued.seq)
    with pytest.raises(QueueError, match="no transaction 999"):
        box.retry(999)


def test_wait_returns_when_outcome_arrives(box: Outbox) -> None:
    import threading

    tx = box.enqueue("checkin", {"item": "1"})

    def deliver() -> None:
        time.sleep(0.1)
        [row] = box.claim("a", 1, 30)
        box.record([(row.seq, applied(row.uuid))])

    threading.Thread(target=deliver).start()
    started = time.monotonic()
    row = box.wait(tx.seq, 5)
    assert row.state is RowState.DELIVERED
    assert time.monotonic() - started < 4  # it did not sit out the whole timeout
    assert box.wait(box.enqueue("checkin", {"item": "2"}).seq, 0.05).state is RowState.QUEUED


def test_status_counts_and_ages(box: Outbox) -> None:
    for n in range(3):
        box.enqueue("checkin", {"item": str(n)})
    [row] = box.claim("a", 1, 30)
    box.record([(row.seq, applied(row.uuid))])
    status = box.status()
    assert status.counts["queued"] == 2 and status.counts["delivered"] == 1
    assert status.depth == 2 and status.oldest_age_s is not None and status.oldest_age_s >= 0
    assert status.last_delivery_at is not None


# -- a full disk ---------------------------------------------------------------------------

_FILLER = textwrap.dedent(
    """
    import json, resource, signal, sys
    from kiosk.errors import QueueError
    from kiosk.outbox.store import Outbox
    path, limit = sys.argv[1], int(sys.argv[2])
    box = Outbox(path, "kiosk-1", min_free_bytes=0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    told = []
    try:
        while True:
            tx = box.enqueue("checkout", {"patron": "p", "item": "x" * 200})
            told.append(tx.uuid)
    except QueueError as error:
        print(json.dumps({"told": told, "error": str(error), "key": error.message_key}))
    """
)


def test_full_disk_refuses_new_work_and_keeps_the_queue(tmp_path: Path) -> None:
    path = tmp_path / "queue.db"
    Outbox(path, "kiosk-1", min_free_bytes=0).close()
    result = subprocess.run(
        [sys.executable, "-c", _FILLER, str(path), str(2 * 1024 * 1024)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        check=True,
    )
    report = json.loads(result.stdout)
    assert report["key"] == "queue.disk_full"
    assert "disk is full" in report["error"] and "kept" in report["error"]
    assert len(report["told"]) > 100
    assert integrity_ok(path)
    with Outbox(path, "kiosk-1", min_free_bytes=0) as box:
        kept = [r.uuid for r in box.rows()]
        assert kept[: len(report["told"])] == report["told"]  # nothing told was lost
        box.enqueue("checkin", {"item": "after"})  # space again: work goes on


def test_full_tmpfs_refuses_new_work_and_keeps_the_queue(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("mounting a small tmpfs needs root (CI runs as root)")
    mount = tmp_path / "small"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], check=True)
    try:
        told = []
        with Outbox(mount / "queue.db", "kiosk-1", min_free_bytes=0) as box:
            with pytest.raises(QueueError) as caught:
                for _ in range(100_000):
                    told.append(box.enqueue("checkout", {"patron": "p", "item": "y" * 300}).uuid)
            assert caught.value.message_key == "queue.disk_full"
            assert len(told) > 100
            assert [r.uuid for r in box.rows()][: len(told)] == told
            with pytest.raises(QueueError):
                box.enqueue("checkin", {"item": "z"})
        assert integrity_ok(mount / "queue.db")
        # The free-space check refuses early, with a clear message, before SQLite fails.
        with Outbox(mount / "queue.db", "kiosk-1", min_free_bytes=1024 * 1024) as box:
            with pytest.raises(QueueError, match="nearly full"):
                box.enqueue("checkin", {"item": "z"})
            assert len(box.rows()) >= len(told)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_unwritable_location_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(QueueError, match=r"cannot open the queue file|could not be written"):
        Outbox(blocker / "queue.db", "kiosk-1")


def test_readers_never_wait_for_a_writer_and_a_stuck_writer_is_one_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "queue.db"
    with Outbox(path, "kiosk-1", min_free_bytes=0, busy_timeout_s=0.3) as box:
        tx = box.enqueue("checkin", {"item": "1"})
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        try:
            assert box.get(tx.seq).state is RowState.QUEUED
            assert box.status().depth == 1 and len(box.rows()) == 1
            with pytest.raises(QueueError) as caught:
                box.enqueue("checkin", {"item": "2"})
            assert caught.value.message_key == "queue.busy"
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert box.enqueue("checkin", {"item": "2"}).seq == tx.seq + 1


def test_find_by_uuid(box: Outbox) -> None:
    txs = [box.enqueue("checkin", {"item": str(n)}) for n in range(50)]
    assert box.find(txs[-1].uuid).seq == txs[-1].seq
    assert box.find(txs[0].uuid).seq == txs[0].seq
    assert box.find("no-such-uuid") is None
