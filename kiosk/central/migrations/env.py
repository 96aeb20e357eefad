"""Alembic environment: always run programmatically through kiosk.central.db.migrate."""

from __future__ import annotations

from alembic import context

from kiosk.central.models import Base

target_metadata = Base.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # pragma: no cover - only via kiosk.central.db.migrate
        raise RuntimeError("run migrations with `kiosk central migrate --db URL`")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
