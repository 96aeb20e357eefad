"""The forwarder against a real central (`kiosk central serve` in a child process)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from kiosk.domain import TxMode, TxOutcome
from kiosk.outbox.forwarder import Backoff, Forwarder, Mode, ModeChanged
from kiosk.outbox.http import HttpTarget
from kiosk.outbox.store import Outbox, RowState
from kiosk.outbox.target import TargetRejected, TargetUnavailable
from tests.outbox.conftest import ITEMS, PATRONS, REPO, CentralServer
from tests.outbox.workers import checkout_or_checkin


def machine(central: CentralServer, tmp_path: Path, name: str = "kiosk-1", **kwargs: object):
    secret = central.add_machine(name)
    box = Outbox(tmp_path / f"{name}.db", name, min_free_bytes=0)
    target = HttpTarget(central.base_url, name, secret, timeout_s=3.0, connect_timeout_s=1.0)
    options = {"idle_poll_s": 0.05, "backoff": Backoff(base_s=0.02, max_s=0.2)} | kwargs
    return box, target, Forwarder(box, target, **options), secret


def assert_exactly_once_in_order(central: CentralServer, box: Outbox, name: str) -> None:
    applied = central.applied(name)
    rows = box.rows()
    assert sorted(u for u, _, _ in applied) == sorted(r.uuid for r in rows)
    assert len({u for u, _, _ in applied}) == len(applied)
    seqs = [s for _, s, _ in applied]
    assert seqs == sorted(seqs), "central applied a machine's transactions out of order"
    assert all(r.terminal for r in rows)


def test_backoff_grows_with_jitter_and_caps() -> None:
    backoff = Backoff(base_s=0.1, factor=2, max_s=5, rng=random.Random(7))
    delays = [backoff.delay(n) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        cap = min(5, 0.1 * 2 ** (n - 1))
        assert cap / 2 <= delay <= cap
    assert len({round(d, 6) for d in delays}) == len(delays)  # jittered, not a fixed ladder
    assert max(delays) <= 5


def test_drains_in_order_in_batches(central: CentralServer, tmp_path: Path) -> None:
    box, _, forwarder, _ = machine(central, tmp_path, batch_size=100)
    rng = random.Random(3)
    for _ in range(250):
        box.enqueue(*checkout_or_checkin(rng))
    assert forwarder.drain(60)
    assert forwarder.sent_batches == 3
    assert_exactly_once_in_order(central, box, "kiosk-1")
    outcomes = {r.outcome for r in box.rows()}
    assert "applied" in outcomes and "refused" in outcomes  # real rules ran centrally


class _CountingTarget(HttpTarget):
    """Counts each transaction sent and notes sends that overlap in time."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.sent: list[str] = []
        self.busy = 0
        self.overlaps = 0

    def send(self, transactions):  # type: ignore[no-untyped-def]
        self.busy += 1
        self.overlaps += self.busy > 1
        try:
            time.sleep(0.01)  # widen each send so an overlap would show
            self.sent += [t.uuid for t in transactions]
            return super().send(transactions)
        finally:
            self.busy -= 1


def test_sync_now_while_the_loop_runs_sends_each_row_once(
    central: CentralServer, tmp_path: Path
) -> None:
    """A technician's "sync now" drains on the UI's thread while the forwarder's own thread
    runs: they must take turns, not send the same rows at once (a SIP2 link cannot)."""
    secret = central.add_machine("kiosk-1")
    box = Outbox(tmp_path / "kiosk-1.db", "kiosk-1", min_free_bytes=0)
    target = _CountingTarget(central.base_url, "kiosk-1", secret, timeout_s=3.0)
    forwarder = Forwarder(box, target, batch_size=5, idle_poll_s=0.01)
    rng = random.Random(11)
    for _ in range(60):
        box.enqueue(*checkout_or_checkin(rng))
    forwarder.start()
    try:
        assert forwarder.drain(60)
    finally:
        forwarder.stop()
    assert target.overlaps == 0
    assert sorted(target.sent) == sorted(r.uuid for r in box.rows())  # each sent once
    assert_exactly_once_in_order(central, box, "kiosk-1")


def test_submit_online_waits_for_central_and_wakes_at_once(
    central: CentralServer, tmp_path: Path
) -> None:
    # A poll interval far longer than the wait: only the wake-up on enqueue can deliver in time.
    box, _, forwarder, _ = machine(central, tmp_path, idle_poll_s=60, wait_s=5)
    events: list[ModeChanged] = []
    forwarder.on_mode_change(events.append)
    forwarder.start()
    try:
        time.sleep(0.2)  # let the loop go idle
        first = forwarder.submit(
            "checkout",
            {"patron": PATRONS[0], "item": ITEMS[0]},
            decide_offline=lambda: pytest.fail("central answered; no offline decision needed"),
        )
        assert first.source == "central" and first.allowed
        assert first.delivery.result["due"]
        second = forwarder.submit(
            "checkout",
            {"patron": PATRONS[1], "item": ITEMS[0]},  # already on loan to PATRONS[0]
            decide_offline=lambda: pytest.fail("no offline decision needed"),
        )
        assert second.source == "central" and not second.allowed
        assert box.get(second.transaction.seq).state is RowState.REFUSED
        assert [e.mode for e in events] == [Mode.ONLINE]
    finally:
        forwarder.stop()


def test_submit_falls_back_offline_then_delivers_the_fact(
    central: CentralServer, tmp_path: Path
) -> None:
    box, _, forwarder, _ = machine(central, tmp_path, wait_s=0.3, heartbeat_every_s=0.2)
    events: list[ModeChanged] = []
    forwarder.on_mode_change(events.append)
    central.stop()
    forwarder.start()
    try:
        asked = []
        got = forwarder.submit(
            "checkout",
            {"patron": PATRONS[2], "item": ITEMS[5]},
            decide_offline=lambda: asked.append(1) or {"allowed": True, "due": "2026-12-07"},
        )
        assert got.source == "offline" and got.allowed and asked == [1]
        assert box.get(got.transaction.seq).mode == TxMode.OFFLINE
        deadline = time.monotonic() + 10
        while forwarder.mode is not Mode.OFFLINE and time.monotonic() < deadline:
            time.sleep(0.02)
        # Offline now: decide locally at once; a refusal queues nothing.
        refused = forwarder.submit(
            "checkout",
            {"patron": PATRONS[2], "item": ITEMS[6]},
            decide_offline=lambda: {"allowed": False, "reasons": [{"code": "offline_limit"}]},
        )
        assert refused.transaction is None and not refused.allowed
        central.start()
        deadline = time.monotonic() + 30
        while box.depth() and time.monotonic() < deadline:
            time.sleep(0.05)
        row = box.get(got.transaction.seq)
        assert row.state is RowState.DELIVERED and row.outcome == TxOutcome.APPLIED
        assert central.applied("kiosk-1") == [(row.uuid, row.seq, "applied")]
        deadline = time.monotonic() + 10
        while forwarder.mode is not Mode.ONLINE and time.monotonic() < deadline:
            time.sleep(0.02)
        assert [e.mode for e in events][-2:] == [Mode.OFFLINE, Mode.ONLINE]
        assert box.get_meta("mode") == "online"
    finally:
        forwarder.stop()


def test_resend_after_reply_lost_and_after_dead_sender(
    central: CentralServer, tmp_path: Path
) -> None:
    box, target, forwarder, _ = machine(central, tmp_path)
    for n in range(6):
        box.enqueue("checkout", {"patron": PATRONS[n % 3], "item": ITEMS[n]})
    # A sender that died after central applied the batch but before recording the reply:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    import socket

    owner = f"{socket.gethostname()}:{int(dead.stdout)}:1"
    rows = box.claim(owner, 4, 3600)
    target.send([r.transaction() for r in rows])  # applied centrally; the reply is lost
    assert forwarder.drain(30)
    done = {r.seq: r for r in box.rows()}
    assert all(done[r.seq].result["duplicate"] for r in rows)  # central answered from memory
    assert not any(done[s].result["duplicate"] for s in done if s not in {r.seq for r in rows})
    assert_exactly_once_in_order(central, box, "kiosk-1")


def test_bad_credentials_keep_everything_queued(central: CentralServer, tmp_path: Path) -> None:
    central.add_machine("kiosk-9")
    box = Outbox(tmp_path / "q.db", "kiosk-9", min_free_bytes=0)
    target = HttpTarget(central.base_url, "kiosk-9", "wrong-secret")
    with pytest.raises(TargetUnavailable, match="401"):
        target.send([box.enqueue("checkin", {"item": ITEMS[0]})])
    forwarder = Forwarder(box, target, backoff=Backoff(base_s=0.01, max_s=0.02))
    assert not forwarder.drain(0.3)
    assert box.depth() == 1 and "401" in box.status().last_error


def test_rejected_transaction_is_isolated_and_the_rest_delivered(
    central: CentralServer, tmp_path: Path
) -> None:
    box, target, forwarder, _ = machine(central, tmp_path, batch_size=50)
    good = [box.enqueue("checkin", {"item": ITEMS[n]}) for n in range(3)]
    # A UUID central's schema does not accept: the whole request is refused (422).
    bad = box.enqueue("checkin", {"item": ITEMS[4]}, uuid="x" * 80)
    later = box.enqueue("checkin", {"item": ITEMS[5]})
    with pytest.raises(TargetRejected):
        target.send([bad])
    assert forwarder.drain(30)
    assert box.get(bad.seq).state is RowState.EXCEPTION
    assert "central rejected it" in box.get(bad.seq).last_error
    assert all(box.get(t.seq).state is RowState.DELIVERED for t in [*good, later])
    assert [r.seq for r in box.report()] == [bad.seq]


def test_machine_mismatch_is_a_rejection_that_keeps_the_rows(
    central: CentralServer, tmp_path: Path
) -> None:
    """Central's 403 machine_mismatch can never pass on a retry: the rows become exceptions
    for the technician (kept, with the reason) instead of being retried forever."""
    secret = central.add_machine("kiosk-1")
    # A queue written as kiosk-2 but sent with kiosk-1's credential (a copied configuration).
    box = Outbox(tmp_path / "q.db", "kiosk-2", min_free_bytes=0)
    target = HttpTarget(central.base_url, "kiosk-1", secret, timeout_s=3.0)
    rows = [box.enqueue("checkin", {"item": ITEMS[n]}) for n in range(3)]
    with pytest.raises(TargetRejected, match="machine_mismatch") as caught:
        target.send(rows[:1])
    assert caught.value.code == "machine_mismatch"
    forwarder = Forwarder(box, target, backoff=Backoff(base_s=0.01, max_s=0.02), batch_size=10)
    assert forwarder.drain(10)
    kept = box.rows()
    assert [r.uuid for r in kept] == [r.uuid for r in rows]
    assert all(r.state is RowState.EXCEPTION for r in kept)
    assert all("machine_mismatch" in r.last_error and "'kiosk-1'" in r.last_error for r in kept)
    assert [r.seq for r in box.report()] == [r.seq for r in rows]
    assert central.applied("kiosk-2") == [] and central.applied("kiosk-1") == []


def test_two_forwarder_processes_never_send_the_same_row_at_once(
    central: CentralServer, tmp_path: Path
) -> None:
    secret = central.add_machine("kiosk-1")
    path = tmp_path / "shared.db"
    log = tmp_path / "sends.jsonl"
    with Outbox(path, "kiosk-1", min_free_bytes=0) as box:
        for n in range(300):
            box.enqueue("checkin", {"item": ITEMS[n % len(ITEMS)]})
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.outbox.workers",
                str(path),
                "kiosk-1",
                central.base_url,
                secret,
                str(log),
                f"p{n}",
            ],
            cwd=REPO,
            env=env,
        )
        for n in range(2)
    ]
    # Kill whichever sends first part-way, so the other must take over its lease and rows.
    deadline = time.monotonic() + 30
    victim = None
    while victim is None and time.monotonic() < deadline:
        lines = log.read_text().splitlines() if log.exists() else []
        if len(lines) >= 8:
            victim = json.loads(lines[0])["owner"]
        time.sleep(0.01)
    assert victim is not None
    killed = procs[int(victim[1:])]
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    killed_at = time.time()
    for proc in procs:
        assert proc.wait(120) in (0, -signal.SIGKILL)
    events = [json.loads(line) for line in log.read_text().splitlines()]
    sends: list[tuple[str, float, float, set[int]]] = []
    open_sends: dict[str, dict] = {}
    for event in events:
        if event["event"] == "start":
            open_sends[event["owner"]] = event
        else:
            start = open_sends.pop(event["owner"])
            sends.append((event["owner"], start["t"], event["t"], set(event["seqs"])))
    for owner, start in open_sends.items():  # cut off by SIGKILL
        sends.append((owner, start["t"], killed_at, set(start["seqs"])))
    owners = {s[0] for s in sends}
    assert owners == {"p0", "p1"}, "the survivor should have taken over"
    for a in sends:
        for b in sends:
            if a[0] != b[0] and a[3] & b[3]:
                assert a[2] <= b[1] or b[2] <= a[1], f"{a[0]} and {b[0]} sent the same rows at once"
    with Outbox(path, "kiosk-1", min_free_bytes=0) as box:
        assert_exactly_once_in_order(central, box, "kiosk-1")


def test_running_forwarder_prunes_delivered_rows_after_retention(
    central: CentralServer, tmp_path: Path
) -> None:
    box, _, forwarder, _ = machine(central, tmp_path, prune_every_s=0.1)
    box.retention = timedelta(0)
    txs = [box.enqueue("checkin", {"item": ITEMS[n]}) for n in range(5)]
    forwarder.start()
    try:
        deadline = time.monotonic() + 20
        while len(box.rows()) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        forwarder.stop()
    assert [r.seq for r in box.rows()] == [txs[-1].seq]  # the newest stays: seq never reused
    assert len(central.applied("kiosk-1")) == 5


class _BrokenTarget:
    """A target with bugs (as a third-party one might have): wrong answers, exceptions."""

    name = "broken"
    SUPPORTS_SNAPSHOT = False

    def __init__(self) -> None:
        self.calls = 0

    def send(self, transactions):  # type: ignore[no-untyped-def]
        self.calls += 1
        if self.calls == 1:
            return []  # fewer outcomes than transactions
        raise KeyError("oops")

    def close(self) -> None:
        pass


def test_a_misbehaving_target_keeps_everything_queued(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "q.db", "kiosk-1", min_free_bytes=0)
    txs = [box.enqueue("checkin", {"item": ITEMS[n]}) for n in range(3)]
    forwarder = Forwarder(box, _BrokenTarget(), backoff=Backoff(base_s=0.001, max_s=0.002))
    assert forwarder.step() is None and "do not match" in box.status().last_error
    assert forwarder.step() is None and "KeyError" in box.status().last_error
    assert forwarder.mode is Mode.OFFLINE
    assert [(r.seq, r.state) for r in box.rows()] == [(t.seq, RowState.QUEUED) for t in txs]
    box.close()
