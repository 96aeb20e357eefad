"""Patron login + account read latency (p50/p99) with 100,000 patrons and 1,000,000 items.

The data is bulk-inserted (one shared PIN hash; hashing 100,000 PINs is not what is measured),
with 200,000 loans spread over the patrons. Each sample is one ``POST /v1/patrons/login``
(argon2id verify at the production parameters) followed by one ``GET …/account``, through a
real ``kiosk central serve`` process. Run: ``python -m bench.central_login`` (``--quick`` for
10,000 patrons / 100,000 items; ``--backends sqlite`` to skip PostgreSQL).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import httpx

from bench._central_common import PIN, card, machine_line, populate, server, store


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    patrons, items, loans = (
        (10_000, 100_000, 20_000) if args.quick else (100_000, 1_000_000, 200_000)
    )
    print(
        f"central login+account: {patrons} patrons, {items} items, {loans} loans; {machine_line()}"
    )
    print(
        f"{'backend':9} {'load s':>7} {'login p50':>10} {'login p99':>10} "
        f"{'account p50':>12} {'account p99':>12} {'both p50':>9} {'both p99':>9}"
    )
    rng = random.Random(7)
    for kind in args.backends.split(","):
        with store(kind) as st:
            started = time.perf_counter()
            populate(st, patrons=patrons, items=items, loans=loans)
            load_s = time.perf_counter() - started
            logins: list[float] = []
            reads: list[float] = []
            with (
                server(st) as (base, headers),
                httpx.Client(base_url=base, headers=headers) as client,
            ):
                for n in range(args.samples + 10):
                    who = card(rng.randrange(patrons))
                    t0 = time.perf_counter()
                    login = client.post("/v1/patrons/login", json={"card": who, "pin": PIN})
                    t1 = time.perf_counter()
                    login.raise_for_status()
                    account = client.get(
                        f"/v1/patrons/{who}/account",
                        headers={"X-Patron-Session": login.json()["session"]},
                    )
                    t2 = time.perf_counter()
                    account.raise_for_status()
                    if n >= 10:  # warm-up excluded
                        logins.append((t1 - t0) * 1000)
                        reads.append((t2 - t1) * 1000)
                snaps = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    snap = client.get("/v1/snapshot", timeout=120)
                    snaps.append(time.perf_counter() - t0)
                    snap.raise_for_status()
                snapshot_line = (
                    f"{kind:9} snapshot (all {patrons} patrons): median "
                    f"{statistics.median(snaps):.2f} s, {len(snap.content) / 1e6:.1f} MB"
                )
            both = [a + b for a, b in zip(logins, reads, strict=True)]
            print(
                f"{kind:9} {load_s:>7.0f} {statistics.median(logins):>8.1f}ms "
                f"{percentile(logins, 0.99):>8.1f}ms {statistics.median(reads):>10.1f}ms "
                f"{percentile(reads, 0.99):>10.1f}ms {statistics.median(both):>7.1f}ms "
                f"{percentile(both, 0.99):>7.1f}ms",
                flush=True,
            )
            print(snapshot_line, flush=True)


if __name__ == "__main__":
    main()
