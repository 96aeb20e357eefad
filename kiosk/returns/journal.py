"""The cycle journal: what the machine knows about the item inside it, on disk.

Every step that matters for recovery is one SQLite commit (WAL, synchronous=FULL) made
*before* the machine acts on it: the barcode and transaction UUID before the door opens,
the chosen bin before the diverter moves, the drop when the diverter eye confirms it. After a
power loss the last open cycle says exactly how far the item got. The same file keeps the
per-bin counters (items since the bin was emptied) and the fault and recovery log.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cycles (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    barcode TEXT,
    tx_uuid TEXT UNIQUE,
    stage TEXT NOT NULL,
    bin INTEGER,
    role TEXT,
    reason TEXT,
    outcome TEXT,
    finished TEXT,
    note TEXT
);
CREATE TABLE IF NOT EXISTS bins (
    bin INTEGER PRIMARY KEY,
    since_emptied INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    emptied_at TEXT
);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '',
    recovered_at TEXT,
    recovery TEXT
);
"""


class Stage(StrEnum):
    READ = "read"
    """Barcode read; the item is still outside (not yet accepted)."""
    ACCEPTED = "accepted"
    """The door was told to open: from here the item is the machine's responsibility."""
    CHECKED_IN = "checked_in"
    """The check-in is recorded and the bin chosen; the item is on its way."""
    DROPPED = "dropped"
    """The diverter eye saw the item go into its bin."""
    DONE = "done"
    CANCELLED = "cancelled"
    """Never accepted (taken back, unreadable and refused)."""


OPEN_STAGES = (Stage.READ, Stage.ACCEPTED, Stage.CHECKED_IN, Stage.DROPPED)


@dataclass(frozen=True, slots=True)
class CycleRecord:
    id: int
    started: str
    barcode: str | None
    tx_uuid: str | None
    stage: Stage
    bin: int | None
    role: str | None
    reason: str | None
    outcome: dict[str, Any] | None
    finished: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class FaultRecord:
    id: int
    at: str
    kind: str
    detail: str
    recovered_at: str | None
    recovery: str | None


@dataclass(frozen=True, slots=True)
class BinCounter:
    bin: int
    since_emptied: int
    total: int
    emptied_at: str | None


class Journal:
    """One SQLite file; safe to read from the UI thread while the controller writes."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        with self._lock:
            cursor = self._db.execute(sql, params)
            return int(cursor.lastrowid or 0)

    def _rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params).fetchall())

    # --- cycles --------------------------------------------------------------------------

    def start_cycle(
        self,
        at: datetime,
        barcode: str | None,
        tx_uuid: str | None,
        stage: Stage = Stage.READ,
    ) -> int:
        return self._write(
            "INSERT INTO cycles (started, barcode, tx_uuid, stage) VALUES (?, ?, ?, ?)",
            (at.isoformat(), barcode, tx_uuid, stage.value),
        )

    def set_stage(
        self,
        cycle: int,
        stage: Stage,
        *,
        at: datetime | None = None,
        bin: int | None = None,
        role: str | None = None,
        reason: str | None = None,
        outcome: dict[str, Any] | None = None,
        note: str | None = None,
    ) -> None:
        sets = ["stage = ?"]
        params: list[Any] = [stage.value]
        for column, value in (("bin", bin), ("role", role), ("reason", reason), ("note", note)):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        if outcome is not None:
            sets.append("outcome = ?")
            params.append(json.dumps(outcome, default=str))
        if stage in (Stage.DONE, Stage.CANCELLED) and at is not None:
            sets.append("finished = ?")
            params.append(at.isoformat())
        params.append(cycle)
        self._write(f"UPDATE cycles SET {', '.join(sets)} WHERE id = ?", tuple(params))

    def record_drop(self, cycle: int, bin_number: int, at: datetime) -> None:
        """The item is in ``bin_number``: one commit for the stage and the bin counter."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute(
                    "UPDATE cycles SET stage = ?, bin = ? WHERE id = ?",
                    (Stage.DROPPED.value, bin_number, cycle),
                )
                self._db.execute(
                    "INSERT INTO bins (bin, since_emptied, total) VALUES (?, 1, 1) "
                    "ON CONFLICT(bin) DO UPDATE SET since_emptied = since_emptied + 1, "
                    "total = total + 1",
                    (bin_number,),
                )
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def open_cycle(self) -> CycleRecord | None:
        """The last cycle that did not finish (at most one: one item at a time)."""
        marks = ",".join("?" for _ in OPEN_STAGES)
        rows = self._rows(
            f"SELECT * FROM cycles WHERE stage IN ({marks}) ORDER BY id DESC LIMIT 1",
            tuple(s.value for s in OPEN_STAGES),
        )
        return _cycle(rows[0]) if rows else None

    def cycles(self, limit: int | None = None) -> list[CycleRecord]:
        sql = "SELECT * FROM cycles ORDER BY id DESC"
        rows = self._rows(sql + (f" LIMIT {int(limit)}" if limit else ""))
        return [_cycle(r) for r in rows]

    def cycles_for(self, barcode: str) -> list[CycleRecord]:
        """Every cycle of one item, newest first (the technician's "where is it?")."""
        rows = self._rows("SELECT * FROM cycles WHERE barcode = ? ORDER BY id DESC", (barcode,))
        return [_cycle(r) for r in rows]

    def placed(self) -> int:
        """Finished cycles whose item is in a bin."""
        rows = self._rows(
            "SELECT COUNT(*) FROM cycles WHERE stage = ? AND bin IS NOT NULL", (Stage.DONE.value,)
        )
        return int(rows[0][0])

    def cycle(self, cycle: int) -> CycleRecord | None:
        rows = self._rows("SELECT * FROM cycles WHERE id = ?", (cycle,))
        return _cycle(rows[0]) if rows else None

    # --- bins ----------------------------------------------------------------------------

    def counters(self) -> dict[int, BinCounter]:
        rows = self._rows("SELECT bin, since_emptied, total, emptied_at FROM bins")
        return {r[0]: BinCounter(*r) for r in rows}

    def bin_emptied(self, bin_number: int, at: datetime) -> None:
        self._write(
            "INSERT INTO bins (bin, since_emptied, total, emptied_at) VALUES (?, 0, 0, ?) "
            "ON CONFLICT(bin) DO UPDATE SET since_emptied = 0, emptied_at = excluded.emptied_at",
            (bin_number, at.isoformat()),
        )

    # --- faults --------------------------------------------------------------------------

    def fault(self, at: datetime, kind: str, detail: str = "") -> int:
        return self._write(
            "INSERT INTO faults (at, kind, detail) VALUES (?, ?, ?)",
            (at.isoformat(), kind, detail),
        )

    def recovered(self, kind: str, at: datetime, recovery: str) -> None:
        """Mark every open fault of ``kind`` recovered."""
        self._write(
            "UPDATE faults SET recovered_at = ?, recovery = ? "
            "WHERE kind = ? AND recovered_at IS NULL",
            (at.isoformat(), recovery, kind),
        )

    def faults(self, limit: int = 200, open_only: bool = False) -> list[FaultRecord]:
        where = " WHERE recovered_at IS NULL" if open_only else ""
        rows = self._rows(f"SELECT * FROM faults{where} ORDER BY id DESC LIMIT {int(limit)}")
        return [FaultRecord(*r) for r in rows]


def _cycle(row: tuple[Any, ...]) -> CycleRecord:
    values = list(row)
    values[4] = Stage(values[4])
    values[8] = json.loads(values[8]) if values[8] else None
    return CycleRecord(*values)
