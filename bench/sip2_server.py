"""SIP2 ACS throughput: checkout+checkin round trips per second on loopback, and latency.

A real central store (a SQLite file in a temporary folder, production argon2 settings) with
the Hefei profile; the ACS runs as ``kiosk central serve --sip2`` runs it (its own thread and
event loop); 1, 10 and 50 self-check connections each log in, verify their patron's PIN once
(23 with AD), and then, timed from when all are ready, repeat checkout + checkin of their own
item as fast as the ACS answers. Latency is per request (one round trip).

    python -m bench.sip2_server [--seconds 5] [--connections 1,10,50]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from kiosk.central import open_central
from kiosk.central.security import PinHasher
from kiosk.central.services import load_fixture
from kiosk.clock import SystemClock
from kiosk.sip2.client import ClientSettings, Sip2Client
from kiosk.sip2.codec import format_date, make
from kiosk.sip2.server import serve

PATRONS = 50


def fixture() -> str:
    lines = [
        "[library]",
        'name = "Hefei Library"',
        'policy = "hefei"',
        'timezone = "Asia/Shanghai"',
        'currency = "CNY"',
        'branches = ["main"]',
        'institution_id = "HFL"',
    ]
    for n in range(PATRONS):
        lines += [
            "[[patron]]",
            f'barcode = "340101{n:07d}"',
            f'pin = "{246813 + n}"',
            f'name = "Bench Patron {n}"',
            'category = "adult"',
            "[[item]]",
            f'barcode = "3123400{n:07d}"',
            f'title = "Bench Book {n}"',
            'format = "book"',
            'owning_branch = "main"',
        ]
    return "\n".join(lines) + "\n"


async def self_check(
    host: str,
    port: int,
    secret: str,
    index: int,
    ready: asyncio.Barrier,
    window: dict[str, float],
    latencies: list[float],
) -> int:
    card, item, pin = f"340101{index:07d}", f"3123400{index:07d}", str(246813 + index)
    start = datetime(2026, 11, 23, 8, 0) + timedelta(days=index * 400)
    pairs = 0
    async with Sip2Client(host, port, settings=ClientSettings(timeout=60)) as client:
        assert await client.login(f"sc-{index}", secret)
        # the patron's visit starts with a patron status: the PIN is verified once (argon2)
        status = await client.request(
            make(
                "23",
                [("AO", "HFL"), ("AA", card), ("AC", ""), ("AD", pin)],
                language="000",
                transaction_date=format_date(start),
            )
        )
        assert status.get("CQ") == "Y"
        await ready.wait()
        stop_at = window["stop"]
        tick = 0
        while time.perf_counter() < stop_at:
            # each request carries its own transaction date, as a real self-check's would
            tick += 1
            when = format_date(start + timedelta(seconds=tick))
            began = time.perf_counter()
            out = await client.request(
                make(
                    "11",
                    [("AO", "HFL"), ("AA", card), ("AB", item), ("AC", ""), ("AD", pin)],
                    sc_renewal_policy="N",
                    no_block="N",
                    transaction_date=when,
                    nb_due_date=" " * 18,
                )
            )
            middle = time.perf_counter()
            back = await client.request(
                make(
                    "09",
                    [("AP", "main"), ("AO", "HFL"), ("AB", item), ("AC", "")],
                    no_block="N",
                    transaction_date=when,
                    return_date=" " * 18,
                )
            )
            done = time.perf_counter()
            assert out["ok"] == "1" and back["ok"] == "1", (out, back)
            latencies += [middle - began, done - middle]
            pairs += 1
    return pairs


async def run(connections: int, seconds: float, host: str, port: int, secrets: list[str]) -> dict:
    latencies: list[float] = []
    window: dict[str, float] = {}

    async def go() -> None:
        window["start"] = time.perf_counter()
        window["stop"] = window["start"] + seconds

    ready = asyncio.Barrier(connections + 1)
    tasks = [
        asyncio.create_task(self_check(host, port, secrets[i], i, ready, window, latencies))
        for i in range(connections)
    ]
    await go()
    await ready.wait()  # every self-check is logged in and its patron verified
    window["start"] = time.perf_counter()
    window["stop"] = window["start"] + seconds
    counts = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - window["start"]
    latencies.sort()
    return {
        "connections": connections,
        "pairs_per_s": sum(counts) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "requests": len(latencies),
    }


async def status_loop(
    host: str, port: int, secret: str, index: int, seconds: float, latencies: list[float]
) -> int:
    """SC status (99/98) round trips: the protocol and the ACS without the database."""
    done = 0
    async with Sip2Client(host, port, settings=ClientSettings(timeout=60)) as client:
        assert await client.login(f"sc-{index}", secret)
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            began = time.perf_counter()
            await client.sc_status()
            latencies.append(time.perf_counter() - began)
            done += 1
    return done


async def run_status(
    connections: int, seconds: float, host: str, port: int, secrets: list[str]
) -> dict:
    latencies: list[float] = []
    began = time.perf_counter()
    counts = await asyncio.gather(
        *(status_loop(host, port, secrets[i], i, seconds, latencies) for i in range(connections))
    )
    elapsed = time.perf_counter() - began
    latencies.sort()
    return {
        "connections": connections,
        "per_s": sum(counts) / elapsed,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", default="1,10,50")
    parser.add_argument(
        "--db",
        default="sqlite",
        help="sqlite (a temporary file) or a PostgreSQL URL (a scratch schema is made and dropped)",
    )
    args = parser.parse_args()
    levels = [int(n) for n in args.connections.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hefei.toml"
        path.write_text(fixture(), encoding="utf-8")
        schema = None
        if args.db == "sqlite":
            url = f"sqlite:///{Path(folder) / 'central.db'}"
        else:
            url, schema = args.db, f"bench_sip2_{uuid.uuid4().hex[:8]}"
            admin = create_engine(url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        central = open_central(url, clock=SystemClock(), schema=schema)
        load_fixture(path, central.sessions, PinHasher(central.settings))
        secrets = [central.service.add_machine(f"sc-{i}") for i in range(max(levels))]
        running = serve(central.service, "127.0.0.1:0")
        try:
            results = [
                asyncio.run(run(n, args.seconds, running.host, running.port, secrets))
                for n in levels
            ]
            status = [
                asyncio.run(run_status(n, args.seconds, running.host, running.port, secrets))
                for n in levels
            ]
        finally:
            running.stop()
            central.dispose()
            if schema is not None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
                admin.dispose()
    with open("/proc/cpuinfo", encoding="utf-8") as info:
        cpu = next(
            (line.split(":", 1)[1].strip() for line in info if "model name" in line),
            platform.processor(),
        )
    print(
        f"{os.cpu_count()} cores, {cpu}, python {platform.python_version()}, "
        f"{datetime.now(UTC):%Y-%m-%d}, central on "
        f"{'SQLite' if args.db == 'sqlite' else 'PostgreSQL'}, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    print("connections  checkout+checkin/s  p50 ms  p99 ms  requests")
    for r in results:
        print(
            f"{r['connections']:>11}  {r['pairs_per_s']:>18.1f}  {r['p50_ms']:>6.1f}  "
            f"{r['p99_ms']:>6.1f}  {r['requests']:>8}"
        )
    print("SC status (99) round trips, no database: connections  per s  p99 ms")
    for r in status:
        print(f"{r['connections']:>49}  {r['per_s']:>5.0f}  {r['p99_ms']:>6.1f}")


if __name__ == "__main__":
    main()
