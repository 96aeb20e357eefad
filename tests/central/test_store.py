"""Schema: Alembic is the only way it changes, and it matches the models on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from kiosk.central.db import current_revision, head_revision, migrate
from kiosk.central.models import Base


def test_migrations_reach_head_and_match_models(open_store) -> None:
    central = open_store(policy="hefei")
    assert current_revision(central.engine) == head_revision() is not None
    with central.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_migrate_twice_is_harmless(open_store) -> None:
    central = open_store(policy="hefei")
    migrate(central.engine)
    assert current_revision(central.engine) == head_revision()


def test_lookups_are_indexed(open_store) -> None:
    central = open_store(policy="hefei")
    inspector = inspect(central.engine)
    indexed = {
        table: {tuple(ix["column_names"]) for ix in inspector.get_indexes(table)}
        | {tuple(uc["column_names"]) for uc in inspector.get_unique_constraints(table)}
        for table in ("patron", "item", "loan", "hold", "fee", "notice")
    }
    assert ("barcode",) in indexed["patron"]
    assert ("barcode",) in indexed["item"]
    assert ("patron_id",) in indexed["loan"] and ("due",) in indexed["loan"]
    assert ("item_id",) in indexed["loan"]
    assert ("item_id", "status") in indexed["hold"] and ("title", "status") in indexed["hold"]
    assert ("status", "ready_since") in indexed["hold"]
    assert ("patron_id",) in indexed["fee"]
    assert ("dedupe_key",) in indexed["notice"]


def test_sqlite_runs_in_wal_mode(open_store, backend) -> None:
    central = open_store(policy="hefei")
    if backend.kind != "sqlite":
        with central.engine.connect() as conn:
            path = conn.execute(text("SHOW search_path")).scalar()
        assert backend.schema in path
        return
    with central.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
