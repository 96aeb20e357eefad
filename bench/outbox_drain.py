"""Drain rate: 10,000 queued transactions delivered into a real central, SQLite and PostgreSQL.

A machine's outbox is filled while central is unreachable (a patron workload of checkouts and
checkins over a small Hefei fixture); then `kiosk central serve` starts on 127.0.0.1 and one
forwarder drains the queue in batches. The time from central answering to an empty queue is
the figure (the long-outage test in tests/outbox/test_faults.py runs the same scenario).

    python -m bench.outbox_drain [--n 10000] [--batch 500] [--backend sqlite,postgres]
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from kiosk.outbox import Forwarder, HttpTarget, Outbox
from tests.outbox.conftest import PG_URL, CentralServer
from tests.outbox.workers import checkout_or_checkin


class TimedTarget(HttpTarget):
    """Counts the time spent in central's round trips (the rest is the machine's own work)."""

    spent = 0.0

    def send(self, transactions):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return super().send(transactions)
        finally:
            self.spent += time.perf_counter() - started


def fill(box: Outbox, n: int) -> float:
    rng = random.Random(42)
    started = time.perf_counter()
    for _ in range(n):
        box.enqueue(*checkout_or_checkin(rng))
    return time.perf_counter() - started


def run(backend: str, n: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        schema = None
        admin = None
        if backend == "postgres":
            admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            schema = f"outbox_bench_{uuid.uuid4().hex[:10]}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
            server = CentralServer(PG_URL, schema, tmp)
        else:
            server = CentralServer(f"sqlite:///{tmp / 'central.db'}", None, tmp)
        try:
            secret = server.add_machine("kiosk-1")
            box = Outbox(tmp / "queue.db", "kiosk-1", min_free_bytes=0)
            filled = fill(box, n)
            server.start()
            target = TimedTarget(server.base_url, "kiosk-1", secret, timeout_s=120)
            forwarder = Forwarder(box, target, batch_size=batch)
            started = time.perf_counter()
            ok = forwarder.drain(1800)
            took = time.perf_counter() - started
            load = os.getloadavg()[0]
            applied = len(server.applied("kiosk-1"))
            assert ok and applied == n, f"{backend}: {applied} of {n} applied"
            print(
                f"  {backend:9s} {n:,} queued in {filled:.1f} s; drained in {took:.1f} s "
                f"= {n / took:,.0f} transactions/s (batches of {batch}); "
                f"{target.spent / took:.0%} of it waiting for central's replies; "
                f"load average {load:.1f}"
            )
            box.close()
        finally:
            server.close()
            if admin is not None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--backend", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"drain {args.n:,} into central ({os.cpu_count()} cores)")
    for backend in args.backend.split(","):
        run(backend.strip(), args.n, args.batch)


if __name__ == "__main__":
    main()
