"""A real central store (SQLite file) with a real SIP2 server on 127.0.0.1 for each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from kiosk.central import Central, CentralSettings, open_central
from kiosk.central.security import PinHasher
from kiosk.central.services import CirculationService, load_fixture
from kiosk.clock import FixedClock
from kiosk.sip2.acs import AcsSettings, CentralAcs
from kiosk.sip2.client import ClientSettings, Sip2Client
from kiosk.sip2.server import ServerSettings, Sip2Server

FAST = CentralSettings(argon2_time_cost=1, argon2_memory_kib=1024)

HEFEI = """
[library]
name = "Hefei Library"
policy = "hefei"
timezone = "Asia/Shanghai"
currency = "CNY"
branches = ["main", "yueshufang-1"]
institution_id = "HFL"

[[patron]]
barcode = "3401010000002"
pin = "246813"
name = "Li Lei"
category = "adult"
language = "zh_CN"

[[patron]]
barcode = "3401010000003"
pin = "975310"
name = "Zhao Min"
category = "adult"
language = "de"

[[patron]]
barcode = "3401010000004"
pin = "864200"
name = "Sun Li"
category = "adult"

[[patron]]
barcode = "3401010000005"
pin = "135790"
name = "Expired Card"
category = "adult"
expires = "2025-01-31"

[[item]]
barcode = "31234000012345"
title = "红楼梦"
format = "book"
owning_branch = "main"

[[item]]
barcode = "31234000012346"
title = "西游记"
format = "book"
owning_branch = "main"

[[item]]
barcode = "31234000012347"
title = "三国演义"
format = "book"
owning_branch = "yueshufang-1"

[[item]]
barcode = "31234000012348"
title = "水浒传"
format = "book"
owning_branch = "main"

[[item]]
barcode = "31234000012349"
title = "围城"
format = "book"
owning_branch = "main"

[[loan]]
patron = "3401010000003"
item = "31234000012349"
checked_out = "2026-10-01T10:00:00"
due = "2026-10-31"

[[fee]]
patron = "3401010000004"
kind = "overdue"
amount = "1.50"
created = "2026-11-02"

[[hold]]
patron = "3401010000004"
item = "31234000012348"
pickup_branch = "main"
placed = "2026-11-01T09:00:00"
"""

PATRON = "3401010000002"  # clean account, Chinese
PIN = "246813"
OVERDUE = "3401010000003"  # has an overdue loan: may not borrow (Hefei)
OWES = "3401010000004"  # owes 1.50 CNY: may not borrow (Hefei); has a hold on ...348
EXPIRED = "3401010000005"
ITEM, ITEM2, ITEM_BRANCH, ITEM_HELD = (
    "31234000012345",
    "31234000012346",
    "31234000012347",
    "31234000012348",
)


@dataclass
class Site:
    central: Central
    service: CirculationService
    clock: FixedClock
    server: Sip2Server
    host: str
    port: int
    machine: str
    secret: str

    def client(self, **settings: object) -> Sip2Client:
        return Sip2Client(self.host, self.port, settings=ClientSettings(timeout=5, **settings))  # type: ignore[arg-type]


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 23, 2, 0, tzinfo=UTC))


PG_URL = os.environ.get("KIOSK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture
def central(request: pytest.FixtureRequest, tmp_path: Path, clock: FixedClock) -> Iterator[Central]:
    """The store on a SQLite file, or (``indirect`` param "postgres") in a scratch schema."""
    backend = getattr(request, "param", "sqlite")
    schema = None
    if backend == "postgres":
        admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        schema = f"ksip2_{uuid.uuid4().hex[:12]}"
        try:
            with admin.connect() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except OperationalError as exc:
            pytest.fail(f"PostgreSQL is not reachable at {PG_URL}: {exc.orig}", pytrace=False)
        url = PG_URL
    else:
        url = f"sqlite:///{tmp_path / 'central.db'}"
    store = open_central(url, clock=clock, settings=FAST, schema=schema)
    path = tmp_path / "hefei.toml"
    path.write_text(HEFEI, encoding="utf-8")
    load_fixture(path, store.sessions, PinHasher(store.settings))
    yield store
    store.dispose()
    if schema is not None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def make_site(central: Central, clock: FixedClock) -> Callable[..., object]:
    async def _make(settings: ServerSettings | None = None) -> Site:
        service = central.service
        secret = service.add_machine("sc-1")
        acs = CentralAcs(service, AcsSettings(institution="HFL", branch="main"))
        server = Sip2Server(acs, settings=settings)
        host, port = await server.start("127.0.0.1", 0)
        return Site(central, service, clock, server, host, port, "sc-1", secret)

    return _make


@pytest.fixture
async def site(make_site: Callable[..., object]) -> AsyncIterator[Site]:
    made: Site = await make_site()  # type: ignore[misc]
    yield made
    await made.server.close()
