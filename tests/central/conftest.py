"""The central suite runs every test on SQLite (a real WAL file) and on PostgreSQL.

PostgreSQL: ``KIOSK_TEST_PG_URL`` (default the CI server on 127.0.0.1:5432, database
``test``). Each test gets its own schema under a prefix unique to this test session; all of
them are dropped at the end. If the server is unreachable the PostgreSQL tests FAIL.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from kiosk.central import Central, CentralSettings, open_central
from kiosk.central.security import PinHasher
from kiosk.central.services import load_fixture
from kiosk.clock import FixedClock

PG_URL = os.environ.get("KIOSK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
SESSION_PREFIX = f"kc_{uuid.uuid4().hex[:8]}"
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
REPO = Path(__file__).resolve().parents[2]

# Cheap argon2id parameters keep the suite fast; production defaults are tested separately.
FAST = CentralSettings(argon2_time_cost=1, argon2_memory_kib=1024)


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[object]:
    engine = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc.orig}", pytrace=False)
    yield engine
    with engine.connect() as conn:
        schemas = conn.scalars(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
            {"p": f"{SESSION_PREFIX}%"},
        ).all()
        for schema in schemas:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    engine.dispose()


class Backend:
    """Where one test's central store lives: a URL plus, on PostgreSQL, a schema."""

    def __init__(self, kind: str, url: str, schema: str | None) -> None:
        self.kind = kind
        self.url = url
        self.schema = schema

    @property
    def cli_url(self) -> str:
        """A URL the ``kiosk`` command can use (search_path in the query for PostgreSQL)."""
        if self.schema is None:
            return self.url
        return f"{self.url}?options=-csearch_path%3D{self.schema}"


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        yield Backend("sqlite", f"sqlite:///{tmp_path / 'central.db'}", None)
        return
    admin = request.getfixturevalue("pg_admin")
    schema = f"{SESSION_PREFIX}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield Backend("postgres", PG_URL, schema)
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


@pytest.fixture
def open_store(backend: Backend, clock: FixedClock) -> Iterator[Callable[..., Central]]:
    opened: list[Central] = []

    def _open(policy: str | None = None, settings: CentralSettings = FAST) -> Central:
        central = open_central(
            backend.url, policy=policy, clock=clock, settings=settings, schema=backend.schema
        )
        opened.append(central)
        return central

    yield _open
    for central in opened:
        central.dispose()


@pytest.fixture
def load(open_store: Callable[..., Central], tmp_path: Path) -> Callable[..., Central]:
    """Write a fixture's TOML text to a file, load it, return the opened store."""

    def _load(toml_text: str, name: str = "fixture.toml") -> Central:
        central = open_store()
        path = tmp_path / name
        path.write_text(toml_text, encoding="utf-8")
        load_fixture(path, central.sessions, PinHasher(central.settings))
        return central

    return _load
