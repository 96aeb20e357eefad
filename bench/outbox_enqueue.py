"""Durable enqueue rate: one transaction per commit, ours against raw sqlite3 and persist-queue.

All three write the same checkout (a UUID, the machine, kind, mode, time and a JSON payload)
into a SQLite file in WAL mode with ``synchronous=FULL``, one fsynced commit per transaction,
in the same run, interleaved in short chunks (first mover rotating) so that disk noise from
other processes hits them alike:

- ``outbox``: :meth:`kiosk.outbox.Outbox.enqueue` (what a kiosk does before saying "done");
- ``raw sqlite3``: the same row into the same table and indexes through the standard
  library, nothing else;
- ``persist-queue``: ``persistqueue.SQLiteAckQueue.put`` (its defaults: WAL, and the
  SQLite default ``synchronous=FULL``, checked below).

    python -m bench.outbox_enqueue [--n 200] [--rounds 20] [--dir DIR]
"""

from __future__ import annotations

import argparse
import json
import platform
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import persistqueue
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.schema import CreateIndex, CreateTable

from kiosk.outbox import Outbox
from kiosk.outbox.schema import outbox

PAYLOAD = {"patron": "3401010000001", "item": "31234000012345"}


class OutboxRun:
    def __init__(self, directory: Path) -> None:
        self.box = Outbox(directory / "outbox.db", "kiosk-1", min_free_bytes=0)

    def run(self, n: int) -> None:
        for _ in range(n):
            self.box.enqueue("checkout", PAYLOAD)

    def close(self) -> None:
        self.box.close()


class RawRun:
    SQL = (
        "INSERT INTO q (uuid, machine_id, kind, mode, occurred_at, payload, state, queued_at, "
        "attempts) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)"
    )

    def __init__(self, directory: Path) -> None:
        self.conn = sqlite3.connect(directory / "raw.db")
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=FULL")
        # The very same table and indexes as the outbox's, from its SQLAlchemy definition.
        dialect = sqlite_dialect.dialect()
        self.conn.execute(str(CreateTable(outbox).compile(dialect=dialect)).replace("outbox", "q"))
        for index in outbox.indexes:
            self.conn.execute(
                str(CreateIndex(index).compile(dialect=dialect)).replace("outbox", "q")
            )
        self.conn.commit()

    def run(self, n: int) -> None:
        for _ in range(n):
            self.conn.execute(
                self.SQL,
                (
                    str(uuid.uuid4()),
                    "kiosk-1",
                    "checkout",
                    "online",
                    datetime.now(UTC).isoformat(),
                    json.dumps(PAYLOAD),
                    "queued",
                    time.time(),
                ),
            )
            self.conn.commit()

    def close(self) -> None:
        self.conn.close()


class PersistQueueRun:
    def __init__(self, directory: Path) -> None:
        self.queue = persistqueue.SQLiteAckQueue(str(directory / "pq"), auto_commit=True)
        sync = self.queue._putter.execute("PRAGMA synchronous").fetchone()[0]
        journal = self.queue._putter.execute("PRAGMA journal_mode").fetchone()[0]
        assert (sync, journal) == (2, "wal"), f"persist-queue runs with {sync=}, {journal=}"

    def run(self, n: int) -> None:
        for _ in range(n):
            self.queue.put(
                {
                    "uuid": str(uuid.uuid4()),
                    "machine_id": "kiosk-1",
                    "kind": "checkout",
                    "occurred_at": datetime.now(UTC).isoformat(),
                    "payload": PAYLOAD,
                }
            )

    def close(self) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=200, help="commits per chunk")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--dir", default=None, help="where the files go (default: $TMPDIR)")
    args = parser.parse_args()
    kinds: dict[str, Callable[[Path], Any]] = {
        "outbox": OutboxRun,
        "raw sqlite3": RawRun,
        "persist-queue": PersistQueueRun,
    }
    spent = dict.fromkeys(kinds, 0.0)
    ratios: dict[str, list[float]] = {"raw sqlite3": [], "persist-queue": []}
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        runs = {}
        for name, make in kinds.items():
            (Path(tmp) / name).mkdir()
            runs[name] = make(Path(tmp) / name)
        names = list(kinds)
        for round_ in range(args.rounds):
            took = {}
            for name in names[round_ % 3 :] + names[: round_ % 3]:  # rotate who goes first
                started = time.perf_counter()
                runs[name].run(args.n)
                took[name] = time.perf_counter() - started
                spent[name] += took[name]
            for peer in ratios:
                ratios[peer].append(took[peer] / took["outbox"])
        for run in runs.values():
            run.close()
    total = args.n * args.rounds
    print(
        f"python {platform.python_version()}, sqlite {sqlite3.sqlite_version}, "
        f"{args.rounds} rounds x {args.n} commits each, interleaved; WAL + synchronous=FULL"
    )
    for name, seconds in spent.items():
        print(f"  {name:14s} {total / seconds:8,.0f} commits/s")
    for peer, values in ratios.items():
        print(
            f"  outbox / {peer:14s} = {spent[peer] / spent['outbox']:.2f} overall, "
            f"{statistics.median(values):.2f} median of paired rounds"
        )


if __name__ == "__main__":
    main()
