"""The forwarder: drains the outbox to a target in sequence order, in batches, forever.

One thread per machine. It wakes at once when a transaction is queued in this process and
polls otherwise (another process may share the file). Failures back off exponentially with
jitter, capped, for as long as the outage lasts. Only the holder of the file's lease sends, so
two forwarder processes never send the same row at once and never reorder a machine's rows.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from kiosk.domain import Transaction, TxKind, TxMode
from kiosk.errors import QueueError
from kiosk.outbox.store import Delivery, Outbox, QueuedRow
from kiosk.outbox.target import Target, TargetRejected, TargetUnavailable, check_deliveries

log = logging.getLogger("kiosk.outbox")


class Mode(StrEnum):
    ONLINE = "online"
    OFFLINE = "offline"


@dataclass(frozen=True, slots=True)
class ModeChanged:
    """Told to listeners (the UI bridge) whenever the machine goes online or offline."""

    mode: Mode
    previous: Mode | None
    at: float
    reason: str = ""


@dataclass
class Backoff:
    """Exponential backoff with "equal jitter": a delay in [cap/2, cap], cap doubling."""

    base_s: float = 0.2
    factor: float = 2.0
    max_s: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, failures: int) -> float:
        cap = min(self.max_s, self.base_s * self.factor ** max(failures - 1, 0))
        return self.rng.uniform(cap / 2, cap)


@dataclass(frozen=True, slots=True)
class Submitted:
    """What a caller shows the patron: central's outcome, or the machine's own decision."""

    transaction: Transaction | None
    """None when the machine refused offline: nothing happened, nothing was queued."""
    source: str
    """``central`` or ``offline``."""
    delivery: Delivery | None = None
    decision: dict[str, Any] | None = None

    @property
    def allowed(self) -> bool:
        if self.delivery is not None:
            return self.delivery.outcome.value != "refused"
        return bool(self.decision and self.decision.get("allowed"))


def _readable(row: QueuedRow) -> bool:
    try:
        row.transaction()
    except ValueError:
        return False
    return True


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Forwarder:
    def __init__(
        self,
        outbox: Outbox,
        target: Target,
        *,
        batch_size: int = 100,
        lease_s: float = 30.0,
        idle_poll_s: float = 1.0,
        wait_s: float = 1.5,
        backoff: Backoff | None = None,
        owner: str | None = None,
        cache: Any | None = None,
        refresh_every_s: float = 300.0,
        heartbeat_every_s: float = 60.0,
        prune_every_s: float = 3600.0,
    ) -> None:
        self.outbox = outbox
        self.target = target
        self.batch_size = batch_size
        self.lease_s = lease_s
        self.idle_poll_s = idle_poll_s
        self.wait_s = wait_s
        self.backoff = backoff or Backoff()
        self.owner = owner or default_owner()
        self.cache = cache
        self.refresh_every_s = refresh_every_s
        self.heartbeat_every_s = heartbeat_every_s
        self.prune_every_s = prune_every_s
        self._last_prune = 0.0
        self.failures = 0
        self.sent_batches = 0
        self._mode: Mode | None = None
        self._listeners: list[Callable[[ModeChanged], None]] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._single = False
        self._step_lock = threading.Lock()
        """One send at a time per forwarder: its thread and a caller's :meth:`drain` (a
        technician's "sync now") share the lease owner, so the lease alone cannot keep them
        from sending the same rows at once, which a SIP2 link cannot survive."""
        self._last_refresh = 0.0
        self._last_heartbeat = 0.0
        outbox.on_enqueue(self.wake)

    # -- mode ----------------------------------------------------------------------------

    @property
    def mode(self) -> Mode:
        return self._mode or Mode.ONLINE

    def on_mode_change(self, listener: Callable[[ModeChanged], None]) -> None:
        self._listeners.append(listener)

    def _set_mode(self, mode: Mode, reason: str = "") -> None:
        if mode is self._mode:
            return
        previous, self._mode = self._mode, mode
        event = ModeChanged(mode=mode, previous=previous, at=time.time(), reason=reason)
        try:
            self.outbox.set_meta({"mode": mode.value, "mode_since": repr(event.at)})
        except QueueError:
            log.warning("could not record the mode change", exc_info=True)
        log.info("machine is %s (%s)", mode.value, reason)
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                log.exception("mode listener failed")

    # -- one step ------------------------------------------------------------------------

    def step(self) -> int | None:
        """Send one batch. Returns how many rows central decided, 0 when there was nothing
        to send (or another forwarder holds the lease), None when the attempt failed."""
        with self._step_lock:
            return self._step()

    def _step(self) -> int | None:
        limit = 1 if self._single else self.batch_size
        rows = self.outbox.claim(self.owner, limit, self.lease_s)
        if not rows:
            return 0
        try:
            txs = [row.transaction() for row in rows]
        except ValueError as exc:  # a row no target could read: set it aside for staff
            bad = next(r for r in rows if not _readable(r))
            self.outbox.requeue([r.seq for r in rows if r is not bad], "")
            self.outbox.reject(bad.seq, f"unreadable in the queue file: {exc}")
            return 1
        try:
            deliveries = check_deliveries(txs, self.target.send(txs))
        except TargetUnavailable as exc:
            self._failed(rows, str(exc))
            return None
        except TargetRejected as exc:
            if len(rows) > 1:
                # Find the transaction central will not take: resend one at a time.
                self.outbox.requeue([r.seq for r in rows], str(exc))
                self._single = True
                return 0
            self.outbox.reject(rows[0].seq, f"central rejected it: {exc}")
            self._single = False
            return 1
        except Exception as exc:  # a target bug must not kill the forwarder
            log.exception("target %s failed", getattr(self.target, "name", self.target))
            self._failed(rows, f"{type(exc).__name__}: {exc}")
            return None
        self.outbox.record([(row.seq, d) for row, d in zip(rows, deliveries, strict=True)])
        self._single = False
        self.failures = 0
        self.sent_batches += 1
        self._set_mode(Mode.ONLINE, "delivered")
        return len(rows)

    def _failed(self, rows: list[QueuedRow], error: str) -> None:
        self.outbox.requeue([r.seq for r in rows], error)
        self.failures += 1
        self._set_mode(Mode.OFFLINE, error)
        log.info("delivery failed (%d in a row): %s", self.failures, error)

    def probe(self) -> bool:
        """With nothing to send, find out whether central answers (leaving offline mode)."""
        now = time.monotonic()
        try:
            refresh_due = (
                self.mode is Mode.OFFLINE or now - self._last_refresh >= self.refresh_every_s
            )
            if (
                self.cache is not None
                and getattr(self.target, "SUPPORTS_SNAPSHOT", False)
                and refresh_due
            ):
                self.cache.refresh(self.target)
                self._last_refresh = now
            if self.mode is Mode.OFFLINE or now - self._last_heartbeat >= self.heartbeat_every_s:
                status = self.outbox.status()
                self.target.heartbeat(
                    queue_depth=status.depth,
                    oldest_age_s=status.oldest_age_s or 0.0,
                    mode=self.mode.value,
                )
                self._last_heartbeat = now
        except (TargetUnavailable, TargetRejected) as exc:
            self.failures += 1
            self._set_mode(Mode.OFFLINE, str(exc))
            return False
        self.failures = 0
        self._set_mode(Mode.ONLINE, "central answered")
        return True

    # -- the loop ------------------------------------------------------------------------

    def wake(self) -> None:
        self._wake.set()

    def run(self) -> None:
        """Loop until :meth:`stop`; never raises (errors are logged and retried)."""
        while not self._stop.is_set():
            try:
                done = self.step()
                now = time.monotonic()
                timed_due = now - self._last_heartbeat >= self.heartbeat_every_s or (
                    self.cache is not None and now - self._last_refresh >= self.refresh_every_s
                )
                # Idle: probe when offline (is central back?) or when a heartbeat or a cache
                # refresh is due; busy: the sends prove central is up, but the cache and
                # heartbeat still keep their schedule.
                probe = (done == 0 and (self.mode is Mode.OFFLINE or timed_due)) or (
                    bool(done) and timed_due
                )
                if probe and not self.probe():
                    done = None
                if time.monotonic() - self._last_prune >= self.prune_every_s:
                    self._last_prune = time.monotonic()
                    self.outbox.prune()
            except QueueError as exc:
                log.error("queue problem: %s", exc)
                self.failures += 1
                done = None
            except Exception:
                log.exception("forwarder step failed")
                self.failures += 1
                done = None
            if done is None:
                self._stop.wait(self.backoff.delay(self.failures))
            elif done == 0:
                self._wake.wait(self.idle_poll_s)
                self._wake.clear()
        self.outbox.release_lease(self.owner)

    def start(self) -> Forwarder:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="kiosk-forwarder", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def drain(self, timeout: float) -> bool:
        """Send until the queue is empty or ``timeout`` passes (the CLI and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = self.step()
            if done is None:
                pause = min(self.backoff.delay(self.failures), deadline - time.monotonic())
                time.sleep(max(pause, 0.0))
            elif done == 0 and self.outbox.depth() == 0:
                return True
            elif done == 0:
                time.sleep(0.05)
        return self.outbox.depth() == 0

    # -- what the session calls ----------------------------------------------------------

    def submit(
        self,
        kind: TxKind | str,
        payload: dict[str, Any],
        *,
        decide_offline: Callable[[], dict[str, Any]],
        wait_s: float | None = None,
    ) -> Submitted:
        """Record a transaction and tell the caller what to show.

        Online: queue it (one durable commit), wait up to ``wait_s`` for central's outcome,
        and fall back to the offline decision when it does not come. Offline: decide locally
        first; a refusal queues nothing, an allowed transaction is queued as an offline fact.
        """
        if self.mode is Mode.OFFLINE:
            decision = decide_offline()
            if not decision.get("allowed"):
                return Submitted(None, "offline", decision=decision)
            tx = self.outbox.enqueue(kind, with_shown_due(payload, decision), mode=TxMode.OFFLINE)
            return Submitted(tx, "offline", decision=decision)
        tx = self.outbox.enqueue(kind, payload)
        row = self.outbox.wait(tx.seq, self.wait_s if wait_s is None else wait_s)
        if row.delivery is not None:
            return Submitted(tx, "central", delivery=row.delivery)
        decision = decide_offline()
        row = self.outbox.fall_back(tx.seq, decision)
        if row.delivery is not None:
            return Submitted(tx, "central", delivery=row.delivery)
        return Submitted(tx, "offline", decision=decision)


def with_shown_due(payload: dict[str, Any], decision: dict[str, Any]) -> dict[str, Any]:
    """The payload with the due date the patron was shown, so central records that one.

    An offline checkout is a fact: the receipt in the patron's hand names a due date, and
    central must not compute a different one.
    """
    due = decision.get("due")
    if not due or "due" in payload:
        return payload
    return {**payload, "due": str(due)}
