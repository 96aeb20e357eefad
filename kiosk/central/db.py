"""Engines and schema migrations for the central store.

SQLite (a file, the embedded default) runs in WAL mode with ``BEGIN IMMEDIATE`` so that
concurrent writers queue on the busy timeout instead of failing on lock upgrades; PostgreSQL
is used as is. The schema only ever changes through Alembic (:func:`migrate`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.central.errors import CentralError

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str, *, schema: str | None = None, echo: bool = False) -> Engine:
    """An engine for ``url``; ``schema`` puts every table in that PostgreSQL schema."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise CentralError("bad_db_url", f"not a database URL: {url!r}", status=500) from exc
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
        engine = create_engine(parsed, **kwargs)
        _sqlite_pragmas(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        connect_args: dict[str, Any] = {}
        if schema:
            connect_args["options"] = f"-csearch_path={schema}"
        kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        return create_engine(parsed, connect_args=connect_args, **kwargs)
    raise CentralError(
        "bad_db_url",
        f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql",
    )


def _sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(connection: Any) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (the only way the schema changes)."""
    try:
        with engine.begin() as connection:
            command.upgrade(_alembic_config(connection), revision)
    except OperationalError as exc:
        raise CentralError(
            "db_unreachable", f"cannot open the central database: {exc.orig}", status=503
        ) from exc


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def require_current(engine: Engine) -> None:
    """Refuse to run on a database whose schema is not at the newest migration."""
    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise CentralError(
            "db_unreachable", f"cannot open the central database: {exc.orig}", status=503
        ) from exc
    if current != head_revision():
        raise CentralError(
            "db_not_migrated",
            f"database schema is at {current or 'nothing'}, expected {head_revision()}: "
            "run `kiosk central migrate --db URL`",
        )


def ping(engine: Engine) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
