"""A real central for the outbox tests: `kiosk central serve` in a child process on
127.0.0.1 with a random port, over a store loaded with a small Hefei fixture and one machine
account per test. PostgreSQL stores live in a schema unique to the test, dropped afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from kiosk.central import CentralSettings, open_central
from kiosk.central.security import PinHasher
from kiosk.central.services import CirculationService, load_fixture
from kiosk.clock import SystemClock

PG_URL = os.environ.get("KIOSK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REPO = Path(__file__).resolve().parents[2]

PATRONS = [f"34010100000{n:02d}" for n in range(10, 20)]
ITEMS = [f"312340000{n:05d}" for n in range(20000, 20040)]
BLOCKED = "3401010000099"
HELD_ITEM = "31234000029999"
HOLDER = PATRONS[1]


def fixture_text() -> str:
    parts = [
        '[library]\nname = "Hefei Library"\npolicy = "hefei"\ntimezone = "Asia/Shanghai"\n'
        'currency = "CNY"\nbranches = ["main"]\n'
    ]
    for n, card in enumerate(PATRONS):
        parts.append(
            f'[[patron]]\nbarcode = "{card}"\npin = "2468{n:02d}"\nname = "Patron {n}"\n'
            'category = "adult"\n'
        )
    for n, item in enumerate(ITEMS):
        parts.append(
            f'[[item]]\nbarcode = "{item}"\ntitle = "Book {n}"\nformat = "book"\n'
            'owning_branch = "main"\n'
        )
    parts.append(
        f'[[patron]]\nbarcode = "{BLOCKED}"\npin = "864213"\nname = "Blocked Card"\n'
        'category = "adult"\nblocked = "card reported lost"\n'
    )
    parts.append(
        f'[[item]]\nbarcode = "{HELD_ITEM}"\ntitle = "On the hold shelf"\nformat = "book"\n'
        'owning_branch = "main"\n'
    )
    parts.append(
        f'[[hold]]\npatron = "{HOLDER}"\nitem = "{HELD_ITEM}"\npickup_branch = "main"\n'
        'placed = "2026-11-01T09:00:00"\nstatus = "ready"\nready_since = "2026-11-20"\n'
    )
    return "\n".join(parts)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class CentralServer:
    """One central store and the `kiosk central serve` process in front of it."""

    def __init__(self, url: str, schema: str | None, tmp: Path) -> None:
        self.url = url
        self.schema = schema
        self.tmp = tmp
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        settings = CentralSettings(argon2_time_cost=1, argon2_memory_kib=1024)
        self.central = open_central(url, schema=schema, settings=settings)
        path = tmp / "fixture.toml"
        path.write_text(fixture_text(), encoding="utf-8")
        load_fixture(path, self.central.sessions, PinHasher(self.central.settings))

    @property
    def cli_url(self) -> str:
        if self.schema is None:
            return self.url
        return f"{self.url}?options=-csearch_path%3D{self.schema}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def add_machine(self, name: str) -> str:
        return CirculationService.add_machine_to(self.central.sessions, name, SystemClock().now())

    def start(self) -> CentralServer:
        log = open(self.tmp / "central.log", "ab")  # noqa: SIM115 - closed with the process
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk.cli",
                "central",
                "serve",
                "--db",
                self.cli_url,
                "--http",
                f"127.0.0.1:{self.port}",
            ],
            cwd=REPO,
            stdout=log,
            stderr=log,
            env={**os.environ, "KIOSK_NOW": ""},
        )
        deadline = time.monotonic() + 60  # generous: CI machines may be loaded
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"central exited: {(self.tmp / 'central.log').read_text()}")
            try:
                if httpx.get(f"{self.base_url}/health", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("central did not start within 60 s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def applied(self, machine: str) -> list[tuple[str, int, str]]:
        """(uuid, seq, outcome) of the machine's transactions in the order central stored
        them (SQLite: rowid; PostgreSQL: applied_at)."""
        order = "rowid" if self.schema is None else "applied_at"
        with self.central.engine.connect() as conn:
            rows = conn.execute(
                text(
                    f"SELECT uuid, seq, outcome FROM applied_tx WHERE machine_id = :m "
                    f"ORDER BY {order}"
                ),
                {"m": machine},
            ).all()
        return [(r[0], int(r[1]), r[2]) for r in rows]

    def close(self) -> None:
        self.stop()
        self.central.dispose()


@pytest.fixture
def central(tmp_path: Path) -> Iterator[CentralServer]:
    server = CentralServer(f"sqlite:///{tmp_path / 'central.db'}", None, tmp_path)
    server.start()
    yield server
    server.close()


@pytest.fixture
def pg_central(tmp_path: Path) -> Iterator[CentralServer]:
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    schema = f"outbox_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc}", pytrace=False)
    server = CentralServer(PG_URL, schema, tmp_path)
    server.start()
    yield server
    server.close()
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    admin.dispose()
