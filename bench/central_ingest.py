"""Ingest: transactions applied per second through ``POST /v1/transactions``.

Batches of 100 and 500 (checkout + checkin pairs, online), on SQLite and on PostgreSQL,
against plain batched INSERTs of the same number of rows into the same database in the same
run (the physical floor of "write a row per transaction"). Run: ``python -m bench.central_ingest``
(``--quick`` for a short run; ``--backends sqlite`` to skip PostgreSQL).
"""

from __future__ import annotations

import argparse
import json
import time
import uuid

import httpx
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert

from bench._central_common import NOW, card, item, machine_line, populate, server, store
from kiosk.central import CentralSettings
from kiosk.domain import Transaction


def plain_insert_rate(st, rows: int, batch: int) -> float:
    """Rows/s for batched INSERTs (one commit per batch) into a scratch table."""
    meta = MetaData()
    table = Table(
        f"bench_plain_{batch}",
        meta,
        Column("id", Integer, primary_key=True),
        Column("uuid", String(64), unique=True),
        Column("machine", String(64)),
        Column("seq", Integer),
        Column("body", Text),
    )
    meta.create_all(st.central.engine)
    payload = json.dumps({"patron": card(1), "item": item(1)})
    started = time.perf_counter()
    for start in range(0, rows, batch):
        with st.central.engine.begin() as conn:
            conn.execute(
                insert(table),
                [
                    {"uuid": str(uuid.uuid4()), "machine": "m", "seq": n, "body": payload}
                    for n in range(start, min(start + batch, rows))
                ],
            )
    elapsed = time.perf_counter() - started
    meta.drop_all(st.central.engine)
    return rows / elapsed


def _pairs(machine: str, total: int, first_item: int) -> list[dict]:
    txs = []
    seq = 0
    for n in range(total // 2):
        patron, barcode = card(n % 1000), item(first_item + n)
        for kind, payload in (
            ("checkout", {"patron": patron, "item": barcode}),
            ("checkin", {"item": barcode}),
        ):
            seq += 1
            txs.append(
                {
                    "uuid": str(uuid.uuid4()),
                    "machine_id": machine,
                    "seq": seq,
                    "kind": kind,
                    "occurred_at": NOW.isoformat(),
                    "mode": "online",
                    "payload": payload,
                }
            )
    return txs


def service_rate(st, total: int, batch: int, first_item: int) -> float:
    """The same work in-process (no HTTP, no JSON): what the service layer itself costs."""
    txs = [Transaction.from_wire(t) for t in _pairs("in-process", total, first_item)]
    started = time.perf_counter()
    for start in range(0, len(txs), batch):
        results = st.central.service.apply_batch(txs[start : start + batch])
        assert all(r.outcome.value == "applied" for r in results)
    return len(txs) / (time.perf_counter() - started)


def api_rate(
    base: str, headers: dict[str, str], machine: str, total: int, batch: int, first_item: int
) -> float:
    txs = _pairs(machine, total, first_item)
    with httpx.Client(base_url=base, headers=headers, timeout=120) as client:
        started = time.perf_counter()
        for start in range(0, len(txs), batch):
            reply = client.post(
                "/v1/transactions", json={"transactions": txs[start : start + batch]}
            )
            reply.raise_for_status()
            outcomes = reply.json()["outcomes"]
            assert all(o["outcome"] == "applied" for o in outcomes), outcomes[:2]
        elapsed = time.perf_counter() - started
    return len(txs) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    total = 1000 if args.quick else 4000
    print(f"central ingest: {total} transactions per run; {machine_line()}")
    print(
        f"{'backend':9} {'batch':>5} {'api tx/s':>9} {'service tx/s':>13} "
        f"{'INSERT rows/s':>14} {'ratio':>6}"
    )
    for kind in args.backends.split(","):
        with store(kind, CentralSettings()) as st:
            populate(st, patrons=1000, items=4 * total + 1000, loans=0)
            first = 0
            for batch in (100, 500):
                with server(st) as (base, headers):
                    rate = api_rate(base, headers, headers["X-Kiosk-Machine"], total, batch, first)
                first += total
                inproc = service_rate(st, total, batch, first)
                first += total
                floor = plain_insert_rate(st, total, batch)
                print(
                    f"{kind:9} {batch:>5} {rate:>9.0f} {inproc:>13.0f} {floor:>14.0f} "
                    f"{rate / floor:>6.3f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
