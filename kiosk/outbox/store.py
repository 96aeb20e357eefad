"""The outbox: every transaction is committed here, in one SQLite commit, before the patron
is told "done"; a forwarder then delivers it to central.

The file runs in WAL mode with ``synchronous=FULL`` (a commit survives power loss) and every
write transaction starts with ``BEGIN IMMEDIATE`` so that two processes on one file serialise
on the write lock instead of failing half-way. Only the holder of the forwarder lease (a row
in ``outbox_lease``) may move rows to ``sending``; that keeps two forwarder processes from
sending the same row at once and keeps delivery in sequence order.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import sqlite3
import threading
import time
import uuid as uuid_module
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, bindparam, create_engine, delete, event, func, insert, select, update
from sqlalchemy.exc import DBAPIError

from kiosk.clock import Clock, SystemClock
from kiosk.domain import Transaction, TxKind, TxMode, TxOutcome
from kiosk.errors import QueueError
from kiosk.outbox.schema import (
    PENDING_STATES,
    TERMINAL_STATES,
    RowState,
    lease,
    meta,
    metadata,
    outbox,
)

DEFAULT_RETENTION = timedelta(days=14)
DEFAULT_MIN_FREE_BYTES = 8 * 1024 * 1024

_JSON = json.JSONEncoder(separators=(",", ":"), default=str)

_ENQUEUE_COLUMNS = (
    "uuid",
    "machine_id",
    "kind",
    "mode",
    "occurred_at",
    "payload",
    "state",
    "queued_at",
    "attempts",
)

_STATE_FOR_OUTCOME = {
    TxOutcome.APPLIED: RowState.DELIVERED,
    TxOutcome.REFUSED: RowState.REFUSED,
    TxOutcome.EXCEPTION: RowState.EXCEPTION,
}


@dataclass(frozen=True, slots=True)
class Delivery:
    """Central's outcome for one transaction (one entry of the reply's ``outcomes``)."""

    uuid: str
    outcome: TxOutcome
    duplicate: bool = False
    reasons: tuple[dict[str, Any], ...] = ()
    message_key: str = ""
    result: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Delivery:
        return cls(
            uuid=str(data["uuid"]),
            outcome=TxOutcome(data["outcome"]),
            duplicate=bool(data.get("duplicate", False)),
            reasons=tuple(dict(r) for r in data.get("reasons") or ()),
            message_key=str(data.get("message_key") or ""),
            result=dict(data.get("result") or {}),
        )

    def to_wire(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "outcome": self.outcome.value,
            "duplicate": self.duplicate,
            "reasons": list(self.reasons),
            "message_key": self.message_key,
            "result": self.result,
        }


@dataclass(frozen=True, slots=True)
class QueuedRow:
    """One outbox row as the forwarder and the technician commands see it."""

    seq: int
    uuid: str
    machine_id: str
    kind: str
    mode: str
    occurred_at: str
    payload: dict[str, Any]
    state: RowState
    queued_at: float
    attempts: int
    lease_owner: str | None
    sent_at: float | None
    done_at: float | None
    outcome: str | None
    result: dict[str, Any] | None
    last_error: str | None
    fallback: dict[str, Any] | None
    follows: int | None

    @classmethod
    def from_mapping(cls, row: Any) -> QueuedRow:
        return cls(
            seq=row["seq"],
            uuid=row["uuid"],
            machine_id=row["machine_id"],
            kind=row["kind"],
            mode=row["mode"],
            occurred_at=row["occurred_at"],
            payload=json.loads(row["payload"]),
            state=RowState(row["state"]),
            queued_at=row["queued_at"],
            attempts=row["attempts"],
            lease_owner=row["lease_owner"],
            sent_at=row["sent_at"],
            done_at=row["done_at"],
            outcome=row["outcome"],
            result=json.loads(row["result"]) if row["result"] else None,
            last_error=row["last_error"],
            fallback=json.loads(row["fallback"]) if row["fallback"] else None,
            follows=row["follows"],
        )

    @property
    def terminal(self) -> bool:
        return self.state in TERMINAL_STATES

    @property
    def delivery(self) -> Delivery | None:
        """Central's outcome, once it came."""
        if self.outcome is None:
            return None
        data = dict(self.result or {})
        data.update(uuid=self.uuid, outcome=self.outcome)
        return Delivery.from_wire(data)

    def transaction(self) -> Transaction:
        return Transaction(
            uuid=self.uuid,
            machine_id=self.machine_id,
            seq=self.seq,
            kind=TxKind(self.kind),
            mode=TxMode(self.mode),
            occurred_at=datetime.fromisoformat(self.occurred_at),
            payload=self.payload,
        )


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """What ``kiosk queue status`` and the technician screen show."""

    counts: dict[str, int]
    depth: int
    oldest_age_s: float | None
    last_delivery_at: float | None
    last_error: str | None
    last_error_at: float | None
    mode: str
    lease_owner: str | None


def _is_full(error: BaseException) -> bool:
    orig = getattr(error, "orig", error)
    code = getattr(orig, "sqlite_errorcode", None)
    if code in (sqlite3.SQLITE_FULL,) or (code is not None and code & 0xFF == sqlite3.SQLITE_IOERR):
        return True
    text = str(orig).lower()
    return "disk is full" in text or "disk i/o error" in text


def _translate(error: DBAPIError | sqlite3.Error, path: Path) -> QueueError:
    """One clear QueueError for whatever SQLite said."""
    if _is_full(error):
        return QueueError(
            "queue.disk_full",
            f"the machine's disk is full ({path}): no new transaction can be recorded; "
            "everything already queued is kept. Free space, then try again.",
            path=str(path),
        )
    text = str(getattr(error, "orig", error)).lower()
    if "locked" in text or "busy" in text:
        return QueueError(
            "queue.busy",
            f"the queue file {path} is locked by another process for too long",
            path=str(path),
        )
    if "not a database" in text or "malformed" in text:
        return QueueError(
            "queue.damaged",
            f"the queue file {path} is not a readable queue (damaged, or another kind of "
            "file); keep it for recovery and do not delete it",
            path=str(path),
        )
    return QueueError(
        "queue.storage",
        f"the queue file {path} could not be used: {getattr(error, 'orig', error)}",
        path=str(path),
    )


class Outbox:
    """The machine's durable queue. Thread-safe; several processes may share one file."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        machine_id: str,
        *,
        clock: Clock | None = None,
        retention: timedelta = DEFAULT_RETENTION,
        min_free_bytes: int = DEFAULT_MIN_FREE_BYTES,
        busy_timeout_s: float = 30.0,
    ) -> None:
        self.path = Path(path)
        self.machine_id = machine_id
        self.clock = clock or SystemClock()
        self.retention = retention
        self.min_free_bytes = min_free_bytes
        self._busy_ms = int(busy_timeout_s * 1000)
        self._changed = threading.Condition()
        self._waiters = 0
        self._listeners: list[Callable[[], None]] = []
        self._space_checked_at = 0.0
        self._write_lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.engine = self._make_engine()
            with self.engine.begin() as conn:
                metadata.create_all(conn)
                conn.execute(insert(lease).prefix_with("OR IGNORE").values(id=1, until=0, epoch=0))
            self._writer = self.engine.connect()
            self._raw: sqlite3.Connection = self._writer.connection.dbapi_connection
            self._raw.isolation_level = "IMMEDIATE"  # this connection only runs enqueue
        except (DBAPIError, sqlite3.Error) as exc:
            raise _translate(exc, self.path) from exc
        except OSError as exc:
            raise QueueError(
                "queue.storage", f"cannot open the queue file {self.path}: {exc.strerror}"
            ) from exc
        # The enqueue hot path runs the INSERT compiled from the table definition straight on
        # the writer's DBAPI connection: BEGIN IMMEDIATE, one INSERT, one COMMIT (fsync).
        columns = [c.name for c in outbox.c if c.name != "seq" and c.name in _ENQUEUE_COLUMNS]
        compiled = (
            insert(outbox)
            .values({name: bindparam(name) for name in columns})
            .compile(dialect=self.engine.dialect)
        )
        self._insert_sql = compiled.string
        if tuple(compiled.positiontup or ()) != _ENQUEUE_COLUMNS:
            raise RuntimeError(f"unexpected INSERT parameter order: {compiled.positiontup}")

    # -- wiring --------------------------------------------------------------------------

    def _make_engine(self) -> Engine:
        engine = create_engine(
            f"sqlite:///{self.path}", connect_args={"check_same_thread": False}, pool_size=4
        )
        busy_ms = self._busy_ms

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
            dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Any) -> None:
            # Writers take the write lock up front (no deadlock-prone upgrade); readers
            # take none and see the last committed state (WAL).
            reading = conn.get_execution_options().get("outbox_read", False)
            conn.exec_driver_sql("BEGIN" if reading else "BEGIN IMMEDIATE")

        return engine

    def close(self) -> None:
        self._writer.close()
        self.engine.dispose()

    def __enter__(self) -> Outbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def on_enqueue(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after every local commit (the forwarder wakes at once)."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        if self._waiters:
            with self._changed:
                self._changed.notify_all()
        for listener in self._listeners:
            listener()

    # -- enqueue -------------------------------------------------------------------------

    def _check_space(self) -> None:
        if not self.min_free_bytes:
            return
        now = time.monotonic()
        if now - self._space_checked_at < 1.0:
            return
        free = shutil.disk_usage(self.path.parent).free
        if free < self.min_free_bytes:
            raise QueueError(
                "queue.disk_full",
                f"the machine's disk is nearly full ({free // 1024} KiB free under "
                f"{self.path.parent}): no new transaction is taken; everything already "
                "queued is kept. Free space, then try again.",
                path=str(self.path),
                free=free,
            )
        self._space_checked_at = now

    def enqueue(
        self,
        kind: TxKind | str,
        payload: dict[str, Any],
        *,
        mode: TxMode = TxMode.ONLINE,
        occurred_at: datetime | None = None,
        uuid: str | None = None,
    ) -> Transaction:
        """Commit one transaction durably and return it with its sequence number.

        When this returns, the row is on disk (fsynced): only then may the patron be told.
        Raises :class:`QueueError` when the disk is full; nothing already queued is touched.
        """
        kind = kind if type(kind) is TxKind else TxKind(kind)
        mode = mode if type(mode) is TxMode else TxMode(mode)
        occurred = occurred_at or self.clock.now()
        tx_uuid = uuid or str(uuid_module.uuid4())
        self._check_space()
        # In _ENQUEUE_COLUMNS order (checked against the compiled INSERT at start-up).
        params = (
            tx_uuid,
            self.machine_id,
            kind.value,
            mode.value,
            occurred.isoformat(),
            _JSON.encode(payload),
            "queued",
            time.time(),
            0,
        )
        try:
            with self._write_lock:
                # isolation_level "IMMEDIATE": sqlite3 opens BEGIN IMMEDIATE before the INSERT.
                try:
                    seq = self._raw.execute(self._insert_sql, params).lastrowid
                    self._raw.commit()
                except BaseException:
                    self._raw.rollback()
                    raise
        except (DBAPIError, sqlite3.Error) as exc:
            raise _translate(exc, self.path) from exc
        self._notify()
        return Transaction(
            uuid=tx_uuid,
            machine_id=self.machine_id,
            seq=int(seq),
            kind=kind,
            mode=mode,
            occurred_at=occurred,
            payload=payload,
        )

    # -- reading -------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """A read transaction that takes no write lock (a deferred BEGIN)."""
        with self.engine.connect() as conn:
            conn.execution_options(outbox_read=True)
            try:
                yield conn
            finally:
                conn.rollback()

    def get(self, seq: int) -> QueuedRow | None:
        with self.reading() as conn:
            row = conn.execute(select(outbox).where(outbox.c.seq == seq)).mappings().first()
        return QueuedRow.from_mapping(row) if row else None

    def find(self, uuid: str) -> QueuedRow | None:
        """The row with this UUID, searched newest first (recent ones are found at once;
        ``uuid`` carries no index, so that an enqueue writes a single b-tree page)."""
        with self.reading() as conn:
            row = (
                conn.execute(
                    select(outbox).where(outbox.c.uuid == uuid).order_by(outbox.c.seq.desc())
                )
                .mappings()
                .first()
            )
        return QueuedRow.from_mapping(row) if row else None

    def rows(
        self, states: Iterable[RowState] | None = None, *, limit: int | None = None
    ) -> list[QueuedRow]:
        query = select(outbox).order_by(outbox.c.seq)
        if states is not None:
            query = query.where(outbox.c.state.in_([RowState(s).value for s in states]))
        if limit is not None:
            query = query.limit(limit)
        with self.reading() as conn:
            found = conn.execute(query).mappings().all()
        return [QueuedRow.from_mapping(r) for r in found]

    def depth(self) -> int:
        with self.reading() as conn:
            value = conn.execute(select(func.count()).where(*self._pending(conn))).scalar_one()
        return int(value)

    def get_meta(self, key: str) -> str | None:
        with self.reading() as conn:
            value = conn.execute(select(meta.c.value).where(meta.c.key == key)).scalar()
        return value

    def set_meta(self, values: dict[str, str | None]) -> None:
        try:
            with self.engine.begin() as conn:
                for key, value in values.items():
                    conn.execute(
                        insert(meta).prefix_with("OR REPLACE").values(key=key, value=value)
                    )
        except (DBAPIError, sqlite3.Error) as exc:
            raise _translate(exc, self.path) from exc

    def status(self) -> QueueStatus:
        now = time.time()
        with self.reading() as conn:
            counts = {s.value: 0 for s in RowState}
            for state, count in conn.execute(
                select(outbox.c.state, func.count()).group_by(outbox.c.state)
            ):
                counts[state] = count
            oldest = conn.execute(
                select(func.min(outbox.c.queued_at)).where(*self._pending(conn))
            ).scalar()
            values = dict(conn.execute(select(meta.c.key, meta.c.value)).all())
            owner, until = conn.execute(select(lease.c.owner, lease.c.until)).one()

        def as_float(key: str) -> float | None:
            return float(values[key]) if values.get(key) else None

        return QueueStatus(
            counts=counts,
            depth=counts["queued"] + counts["sending"],
            oldest_age_s=(now - oldest) if oldest is not None else None,
            last_delivery_at=as_float("last_delivery_at"),
            last_error=values.get("last_error") or None,
            last_error_at=as_float("last_error_at"),
            mode=values.get("mode") or "unknown",
            lease_owner=owner if owner and until > now else None,
        )

    # -- the forwarder's side ------------------------------------------------------------

    def claim(self, owner: str, limit: int, lease_s: float) -> list[QueuedRow] | None:
        """Take (or renew) the forwarder lease and mark the next ``limit`` rows ``sending``.

        Returns None when another live forwarder holds the lease. Rows left ``sending`` by a
        forwarder that died are claimed again: resending them is harmless (same UUID).
        """
        now = time.time()
        try:
            with self.engine.begin() as conn:
                holder, until, epoch = conn.execute(
                    select(lease.c.owner, lease.c.until, lease.c.epoch).where(lease.c.id == 1)
                ).one()
                if holder not in (None, owner) and until > now and not _owner_dead(holder):
                    return None
                conn.execute(
                    update(lease)
                    .where(lease.c.id == 1)
                    .values(
                        owner=owner,
                        until=now + lease_s,
                        epoch=epoch if holder == owner else epoch + 1,
                    )
                )
                found = (
                    conn.execute(
                        select(outbox)
                        .where(*self._pending(conn))
                        .order_by(outbox.c.seq)
                        .limit(limit)
                    )
                    .mappings()
                    .all()
                )
                if not found:
                    newest = conn.execute(select(func.max(outbox.c.seq))).scalar() or 0
                    self._put_meta(conn, {"frontier": str(newest + 1)})
                else:
                    self._put_meta(conn, {"frontier": str(found[0]["seq"])})
                    seqs = [r["seq"] for r in found]
                    conn.execute(
                        update(outbox)
                        .where(outbox.c.seq.in_(seqs))
                        .values(
                            state=RowState.SENDING.value,
                            lease_owner=owner,
                            attempts=outbox.c.attempts + 1,
                            sent_at=now,
                        )
                    )
        except (DBAPIError, sqlite3.Error) as exc:
            raise _translate(exc, self.path) from exc
        return [
            QueuedRow.from_mapping(
                {
                    **r,
                    "state": "sending",
                    "lease_owner": owner,
                    "attempts": r["attempts"] + 1,
                    "sent_at": now,
                }
            )
            for r in found
        ]

    def holds_lease(self, owner: str, *, extend_s: float | None = None) -> bool:
        """True while ``owner`` holds a live lease; optionally extend it."""
        now = time.time()
        with self.engine.begin() as conn:
            holder, until = conn.execute(select(lease.c.owner, lease.c.until)).one()
            if holder != owner or until <= now:
                return False
            if extend_s is not None:
                conn.execute(update(lease).where(lease.c.id == 1).values(until=now + extend_s))
        return True

    def release_lease(self, owner: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(
                update(lease).where(lease.c.id == 1, lease.c.owner == owner).values(until=0)
            )

    def requeue(self, seqs: Sequence[int], error: str) -> None:
        """Put rows that could not be delivered back to ``queued`` (a transport failure)."""
        now = time.time()
        with self.engine.begin() as conn:
            if seqs:
                conn.execute(
                    update(outbox)
                    .where(outbox.c.seq.in_(list(seqs)), outbox.c.state == RowState.SENDING.value)
                    .values(state=RowState.QUEUED.value, lease_owner=None, last_error=error)
                )
                # A row the machine meanwhile let through offline is a fact from now on;
                # if the failed attempt did reach central, the resend only fetches its outcome.
                for seq, fallback in conn.execute(
                    select(outbox.c.seq, outbox.c.fallback).where(
                        outbox.c.seq.in_(list(seqs)), outbox.c.fallback.is_not(None)
                    )
                ).all():
                    if json.loads(fallback).get("allowed"):
                        conn.execute(
                            update(outbox)
                            .where(outbox.c.seq == seq)
                            .values(mode=TxMode.OFFLINE.value)
                        )
            self._put_meta(conn, {"last_error": error, "last_error_at": repr(now)})

    def reject(self, seq: int, error: str) -> None:
        """Central will not take this transaction at all (malformed, unknown kind …).

        It becomes an ``exception`` with no central outcome, for staff; ``kiosk queue retry``
        sends it again.
        """
        now = time.time()
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(outbox.c.seq == seq, outbox.c.state.in_(PENDING_STATES))
                .values(
                    state=RowState.EXCEPTION.value, lease_owner=None, last_error=error, done_at=now
                )
            )
            self._put_meta(conn, {"last_error": error, "last_error_at": repr(now)})
        self._notify()

    def record(self, deliveries: Sequence[tuple[int, Delivery]]) -> list[int]:
        """Store central's outcomes; returns the seqs of follow-ups queued to correct a
        fallback decision that central contradicted (see :meth:`fall_back`)."""
        now = time.time()
        follow_ups: list[int] = []
        try:
            with self.engine.begin() as conn:
                seqs = [seq for seq, _ in deliveries]
                current = {
                    r["seq"]: r
                    for r in conn.execute(select(outbox).where(outbox.c.seq.in_(seqs)))
                    .mappings()
                    .all()
                }
                changes = []
                for seq, delivery in deliveries:
                    row = current.get(seq)
                    if row is None or row["state"] in TERMINAL_STATES:
                        continue  # a late duplicate reply: the first outcome stands
                    body = delivery.to_wire()
                    del body["uuid"], body["outcome"]
                    changes.append(
                        {
                            "b_seq": seq,
                            "b_state": _STATE_FOR_OUTCOME[delivery.outcome].value,
                            "b_outcome": delivery.outcome.value,
                            "b_result": _JSON.encode(body),
                        }
                    )
                    if row["fallback"]:
                        follow = self._follow_up(conn, QueuedRow.from_mapping(row), delivery)
                        if follow is not None:
                            follow_ups.append(follow)
                if changes:  # one executemany for the batch
                    conn.execute(
                        update(outbox)
                        .where(outbox.c.seq == bindparam("b_seq"))
                        .values(
                            state=bindparam("b_state"),
                            outcome=bindparam("b_outcome"),
                            result=bindparam("b_result"),
                            done_at=now,
                            lease_owner=None,
                        ),
                        changes,
                    )
                if deliveries:
                    self._put_meta(conn, {"last_delivery_at": repr(now)})
        except (DBAPIError, sqlite3.Error) as exc:
            raise _translate(exc, self.path) from exc
        self._notify()
        return follow_ups

    def _follow_up(self, conn: Any, row: QueuedRow, delivery: Delivery) -> int | None:
        """Queue the fact the machine created when it answered offline and central disagreed.

        The patron left with the item (fallback allowed, central refused the online request,
        perhaps answered again as a duplicate of a resend): queue it again as an offline
        fact. The patron was turned away (fallback refused) but central applied the checkout:
        queue a checkin that undoes it.
        """
        if not row.fallback:
            return None
        allowed = bool(row.fallback.get("allowed"))
        if allowed and delivery.outcome is TxOutcome.REFUSED:
            kind, payload = row.kind, dict(row.payload)
        elif not allowed and delivery.outcome is TxOutcome.APPLIED and row.kind == "checkout":
            kind = TxKind.CHECKIN.value
            payload = {k: v for k, v in row.payload.items() if k in ("item", "patron")}
        else:
            return None
        result = conn.execute(
            insert(outbox).values(
                uuid=str(uuid_module.uuid4()),
                machine_id=row.machine_id,
                kind=kind,
                mode=TxMode.OFFLINE.value,
                occurred_at=row.occurred_at,
                payload=json.dumps(payload, separators=(",", ":"), default=str),
                state=RowState.QUEUED.value,
                queued_at=time.time(),
                attempts=0,
                follows=row.seq,
            )
        )
        return int(result.inserted_primary_key[0])

    @staticmethod
    def _pending(conn: Any) -> tuple[Any, ...]:
        """Where-clauses for queued and sending rows: a primary-key range scan from the
        frontier (every row below it is finished), then a filter on state."""
        frontier = conn.execute(select(meta.c.value).where(meta.c.key == "frontier")).scalar()
        return (outbox.c.seq >= int(frontier or 0), outbox.c.state.in_(PENDING_STATES))

    @staticmethod
    def _put_meta(conn: Any, values: dict[str, str]) -> None:
        for key, value in values.items():
            conn.execute(insert(meta).prefix_with("OR REPLACE").values(key=key, value=value))

    # -- the caller's side ---------------------------------------------------------------

    def wait(self, seq: int, timeout: float) -> QueuedRow:
        """Wait up to ``timeout`` seconds for central's outcome of ``seq``; return the row."""
        deadline = time.monotonic() + timeout
        while True:
            row = self.get(seq)
            if row is None:
                raise QueueError("queue.unknown_row", f"no transaction {seq} in the queue", seq=seq)
            remaining = deadline - time.monotonic()
            if row.terminal or remaining <= 0:
                return row
            with self._changed:
                self._waiters += 1
                try:
                    self._changed.wait(min(remaining, 0.05))
                finally:
                    self._waiters -= 1

    def fall_back(self, seq: int, decision: dict[str, Any]) -> QueuedRow:
        """Central's outcome did not come in time: the machine answers with ``decision``.

        A row not yet sent becomes an offline fact (``mode=offline``) when the decision
        allowed it, and is dropped from sending when it refused (nothing happened). A row
        already in flight keeps the decision so that :meth:`record` can reconcile. A row
        already decided by central is returned unchanged: use central's outcome.
        """
        allowed = bool(decision.get("allowed"))
        with self.engine.begin() as conn:
            row = conn.execute(select(outbox).where(outbox.c.seq == seq)).mappings().first()
            if row is None:
                raise QueueError("queue.unknown_row", f"no transaction {seq} in the queue", seq=seq)
            if row["state"] in TERMINAL_STATES:
                return QueuedRow.from_mapping(row)
            values: dict[str, Any] = {"fallback": json.dumps(decision, default=str)}
            if row["state"] == RowState.QUEUED:
                if allowed:
                    values["mode"] = TxMode.OFFLINE.value
                    due = decision.get("due")
                    payload = json.loads(row["payload"])
                    if due and "due" not in payload:
                        # Central records the due date the patron was shown.
                        values["payload"] = _JSON.encode({**payload, "due": str(due)})
                else:
                    # The patron was turned away locally: nothing happened, nothing to send.
                    body = {"reasons": decision.get("reasons", []), "local": True}
                    values.update(
                        state=RowState.REFUSED.value,
                        result=json.dumps(body, default=str),
                        done_at=time.time(),
                        last_error="refused offline by the machine",
                    )
            conn.execute(update(outbox).where(outbox.c.seq == seq).values(**values))
            updated = conn.execute(select(outbox).where(outbox.c.seq == seq)).mappings().one()
        return QueuedRow.from_mapping(updated)

    # -- the technician's side -----------------------------------------------------------

    def prune(self, now: float | None = None) -> int:
        """Delete delivered rows older than the retention period; refused and exception rows
        stay for staff."""
        cutoff = (now if now is not None else time.time()) - self.retention.total_seconds()
        with self.engine.begin() as conn:
            newest = conn.execute(select(func.max(outbox.c.seq))).scalar() or 0
            result = conn.execute(
                delete(outbox).where(
                    outbox.c.state == RowState.DELIVERED.value,
                    outbox.c.done_at < cutoff,
                    outbox.c.seq < newest,  # the newest row stays: seq is never reused
                )
            )
        return int(result.rowcount or 0)

    def report(self) -> list[QueuedRow]:
        """Refused and exception transactions, oldest first (for staff who fix them by hand)."""
        return self.rows([RowState.REFUSED, RowState.EXCEPTION])

    def retry(self, seq: int) -> QueuedRow:
        """Send again a transaction central never decided (it rejected the request itself).

        It goes back to ``queued`` with its UUID, so central applies it at most once. A
        transaction central refused or recorded as an exception is not resent: refused means
        nothing happened (the patron was told so), and an exception is already recorded
        centrally for staff to resolve there.
        """
        with self.engine.begin() as conn:
            row = conn.execute(select(outbox).where(outbox.c.seq == seq)).mappings().first()
            if row is None:
                raise QueueError("queue.unknown_row", f"no transaction {seq} in the queue", seq=seq)
            current = QueuedRow.from_mapping(row)
            if current.state not in (RowState.REFUSED, RowState.EXCEPTION):
                raise QueueError(
                    "queue.not_retryable",
                    f"transaction {seq} is {current.state.value}: only refused or exception "
                    "transactions can be retried",
                    seq=seq,
                )
            if current.outcome is not None or (current.result or {}).get("local"):
                decided = "the machine" if current.outcome is None else "central"
                raise QueueError(
                    "queue.already_decided",
                    f"transaction {seq} was already decided by {decided} "
                    f"({current.state.value}); resending it cannot change that. Staff resolve "
                    "it in the central staff tools",
                    seq=seq,
                )
            conn.execute(
                update(outbox)
                .where(outbox.c.seq == seq)
                .values(state=RowState.QUEUED.value, done_at=None, last_error=None)
            )
            frontier = conn.execute(select(meta.c.value).where(meta.c.key == "frontier")).scalar()
            if frontier is not None and int(frontier) > seq:
                self._put_meta(conn, {"frontier": str(seq)})
            fresh = conn.execute(select(outbox).where(outbox.c.seq == seq)).mappings().one()
        self._notify()
        return QueuedRow.from_mapping(fresh)


def _owner_dead(owner: str) -> bool:
    """True when ``owner`` (``host:pid:thread``) was a process on this host that is gone.

    A forwarder restarted after a crash takes the lease over at once instead of waiting for
    it to expire; holders on other hosts (a shared file system) are trusted until expiry.
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def integrity_ok(path: str | os.PathLike[str]) -> bool:
    """SQLite's own integrity check of a queue file (used after crash tests)."""
    try:
        with sqlite3.connect(path) as conn:
            return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    except sqlite3.Error:
        return False


__all__ = [
    "Delivery",
    "Outbox",
    "QueueStatus",
    "QueuedRow",
    "RowState",
    "integrity_ok",
]
