"""Shared parts of the central benchmarks: stores on both backends, bulk data, a server."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import create_engine, insert, text

from kiosk.central import Central, CentralSettings, open_central
from kiosk.central import models as m
from kiosk.central.security import PinHasher
from kiosk.clock import FixedClock

PG_URL = os.environ.get("KIOSK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
NOW = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)
PIN = "4826"


def machine_line() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, {date.today()}, "
        f"load average {load}"
    )


@dataclass
class Store:
    kind: str
    url: str
    cli_url: str
    schema: str | None
    central: Central


@contextmanager
def store(kind: str, settings: CentralSettings | None = None) -> Iterator[Store]:
    """An empty, migrated San José store on ``kind`` (sqlite file or a PostgreSQL schema)."""
    settings = settings or CentralSettings()
    clock = FixedClock(NOW)
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as folder:
            url = f"sqlite:///{folder}/central.db"
            central = open_central(url, policy="sanjose", clock=clock, settings=settings)
            try:
                yield Store(kind, url, url, None, central)
            finally:
                central.dispose()
        return
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    central = open_central(PG_URL, policy="sanjose", clock=clock, settings=settings, schema=schema)
    try:
        yield Store(kind, PG_URL, f"{PG_URL}?options=-csearch_path%3D{schema}", schema, central)
    finally:
        central.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


def populate(st: Store, patrons: int, items: int, loans: int, *, chunk: int = 20_000) -> None:
    """Bulk-insert a library: one PIN hash shared by every patron (hashing is not measured)."""
    pin_hash = PinHasher(st.central.settings).hash(PIN)
    formats = ("book", "dvd", "cd", "video", "magazine", "lucky_day", "boardgame")
    branches = [f"branch-{n:02d}" for n in range(30)]
    engine = st.central.engine
    with engine.begin() as conn:
        conn.execute(
            insert(m.Library),
            [
                {
                    "name": "San José Public Library",
                    "policy": "sanjose",
                    "timezone": "America/Los_Angeles",
                    "currency": "USD",
                    "branches": branches,
                    "institution_id": "SJPL",
                }
            ],
        )
    for start in range(0, patrons, chunk):
        rows = [
            {
                "id": i + 1,
                "barcode": card(i),
                "name": f"Patron {i}",
                "category": "adult",
                "email": f"p{i}@example.org" if i % 3 else None,
                "language": "en",
                "history_opt_in": False,
                "blocked": "",
                "pin_hash": pin_hash,
                "pin_is_default": False,
                "failed_pins": 0,
            }
            for i in range(start, min(start + chunk, patrons))
        ]
        with engine.begin() as conn:
            conn.execute(insert(m.Patron), rows)
    for start in range(0, items, chunk):
        rows = [
            {
                "id": i + 1,
                "barcode": item(i),
                "title": f"Title {i // 3}",
                "format": formats[i % 7],
                "audience": "adult",
                "owning_branch": branches[i % 30],
                "current_branch": branches[i % 30],
                "price": 20,
                "status": "on_loan" if i < loans else "available",
            }
            for i in range(start, min(start + chunk, items))
        ]
        with engine.begin() as conn:
            conn.execute(insert(m.Item), rows)
    for start in range(0, loans, chunk):
        rows = [
            {
                "patron_id": (i % patrons) + 1,
                "item_id": i + 1,
                "checked_out": NOW - timedelta(days=i % 20),
                "due": (NOW + timedelta(days=1 + i % 20)).date(),
                "renewals": 0,
            }
            for i in range(start, min(start + chunk, loans))
        ]
        with engine.begin() as conn:
            conn.execute(insert(m.Loan), rows)
    if st.kind == "postgres":
        with engine.begin() as conn:
            for table in ("patron", "item", "loan"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT coalesce(max(id), 1) FROM {table}))"
                    )
                )
            conn.execute(text("ANALYZE"))


def card(i: int) -> str:
    return f"21197{i:09d}"


def item(i: int) -> str:
    return f"31197{i:09d}"


@contextmanager
def server(st: Store) -> Iterator[tuple[str, dict[str, str]]]:
    """``kiosk central serve`` in its own process, with a fresh machine credential."""
    secret = st.central.service.add_machine(f"bench-{uuid.uuid4().hex[:6]}")
    name = next(iter(_machines(st)))
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "central",
            "serve",
            "--db",
            st.cli_url,
            "--http",
            f"127.0.0.1:{port}",
            "--now",
            NOW.isoformat(),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                if process.poll() is not None:
                    detail = process.stderr.read() if process.stderr else "server died"
                    raise RuntimeError(detail) from None
                time.sleep(0.1)
        yield base, {"Authorization": f"Bearer {secret}", "X-Kiosk-Machine": name}
    finally:
        process.terminate()
        process.wait(timeout=20)


def _machines(st: Store) -> list[str]:
    with st.central.sessions() as s:
        from sqlalchemy import select

        return list(s.scalars(select(m.Machine.name).order_by(m.Machine.id.desc())))
