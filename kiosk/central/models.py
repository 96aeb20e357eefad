"""The central store's tables (SQLAlchemy 2, typed ``Mapped[...]``).

Alembic migrations in :mod:`kiosk.central.migrations` are the only way this schema reaches a
database; these classes must match the newest migration (a test compares them).

Sizes and indexes are chosen for a network of ~30 branches and ~1.7 million items: every
lookup a machine makes (card, item barcode, a patron's loans/holds/fees, an item's holds,
the daily jobs' due-date and hold-shelf scans) is an index seek.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

Money = Numeric(12, 2)


class UtcDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC on every backend (SQLite keeps no offsets)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the central store")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Library(Base):
    """The one library network this store serves (from the fixture's ``[library]``)."""

    __tablename__ = "library"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    policy: Mapped[str] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64))
    currency: Mapped[str] = mapped_column(String(3))
    branches: Mapped[list[str]] = mapped_column(JSON, default=list)
    institution_id: Mapped[str] = mapped_column(String(32))


class Patron(Base):
    __tablename__ = "patron"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    barcode: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    birth_date: Mapped[date | None] = mapped_column(Date)
    expires: Mapped[date | None] = mapped_column(Date)
    email: Mapped[str | None] = mapped_column(String(320))
    language: Mapped[str | None] = mapped_column(String(16))
    history_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    home_branch: Mapped[str | None] = mapped_column(String(64))
    blocked: Mapped[str] = mapped_column(String(500), default="")
    pin_hash: Mapped[str | None] = mapped_column(String(200))
    pin_is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_pins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Item(Base):
    __tablename__ = "item"
    __table_args__ = (Index("ix_item_title_status", "title", "status"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    barcode: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    author: Mapped[str | None] = mapped_column(String(300))
    format: Mapped[str] = mapped_column(String(32))
    audience: Mapped[str] = mapped_column(String(16), default="adult")
    collection: Mapped[str | None] = mapped_column(String(64))
    """Optional shelf collection; the return machine's reshelve bins may sort by it."""
    owning_branch: Mapped[str] = mapped_column(String(64))
    current_branch: Mapped[str | None] = mapped_column(String(64))
    price: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[str] = mapped_column(String(16), default="available")


class Loan(Base):
    """An item currently on loan. The row is deleted on return (privacy by default)."""

    __tablename__ = "loan"
    __table_args__ = (Index("ix_loan_due", "due"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"), unique=True)
    checked_out: Mapped[datetime] = mapped_column(UtcDateTime())
    due: Mapped[date] = mapped_column(Date)
    renewals: Mapped[int] = mapped_column(Integer, default=0)
    billed_on: Mapped[date | None] = mapped_column(Date)


class LoanHistory(Base):
    """Who borrowed what: kept only for patrons who opted in to borrowing history."""

    __tablename__ = "loan_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("item.id"))
    checked_out: Mapped[datetime] = mapped_column(UtcDateTime())
    returned: Mapped[datetime] = mapped_column(UtcDateTime())


class Hold(Base):
    __tablename__ = "hold"
    __table_args__ = (
        Index("ix_hold_item_status", "item_id", "status"),
        Index("ix_hold_title_status", "title", "status"),
        Index("ix_hold_status_ready", "status", "ready_since"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"))
    title: Mapped[str | None] = mapped_column(String(500))
    pickup_branch: Mapped[str] = mapped_column(String(64))
    placed: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    ready_since: Mapped[date | None] = mapped_column(Date)
    ready_item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    """The copy set aside on the hold shelf (a title hold is filled by any copy)."""


class Fee(Base):
    __tablename__ = "fee"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
    """A billed item that came back: the bill is cleared, the row stays in the ledger."""
    item_id: Mapped[int | None] = mapped_column(ForeignKey("item.id"), index=True)
    created: Mapped[date | None] = mapped_column(Date)


class CreditEntry(Base):
    """Prepaid hold credit movements: deposits (+) and hold fees taken (-)."""

    __tablename__ = "credit_entry"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class Machine(Base):
    __tablename__ = "machine"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(200))
    created: Mapped[datetime] = mapped_column(UtcDateTime())
    last_seq: Mapped[int] = mapped_column(Integer, default=-1)
    last_seen: Mapped[datetime | None] = mapped_column(UtcDateTime())
    queue_depth: Mapped[int | None] = mapped_column(Integer)
    oldest_age_s: Mapped[float | None] = mapped_column(Numeric(14, 3))
    mode: Mapped[str | None] = mapped_column(String(16))


class AppliedTransaction(Base):
    """Every transaction applied, keyed by its UUID, with the outcome first returned."""

    __tablename__ = "applied_tx"
    __table_args__ = (Index("ix_applied_tx_machine_seq", "machine_id", "seq"),)
    uuid: Mapped[str] = mapped_column(String(64), primary_key=True)
    machine_id: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(8))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    applied_at: Mapped[datetime] = mapped_column(UtcDateTime())
    outcome: Mapped[str] = mapped_column(String(16))
    reply: Mapped[dict] = mapped_column(JSON)


class TxException(Base):
    """An offline fact that broke a rule: recorded for staff with its reasons."""

    __tablename__ = "tx_exception"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tx_uuid: Mapped[str] = mapped_column(String(64), index=True)
    machine_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    patron: Mapped[str | None] = mapped_column(String(64))
    item: Mapped[str | None] = mapped_column(String(64))
    reasons: Mapped[list] = mapped_column(JSON)
    repairs: Mapped[list] = mapped_column(JSON)
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class PatronSession(Base):
    """A short-lived login session; only the SHA-256 of the token is stored."""

    __tablename__ = "patron_session"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    machine: Mapped[str | None] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class Notice(Base):
    """A notice queued for a patron, its text already in the patron's language."""

    __tablename__ = "notice"
    __table_args__ = (UniqueConstraint("dedupe_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200))
    patron_id: Mapped[int] = mapped_column(ForeignKey("patron.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    for_date: Mapped[date] = mapped_column(Date, index=True)
    language: Mapped[str] = mapped_column(String(16))
    email: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime(), index=True)


class JobRun(Base):
    """One daily job run per (job, date): ``tick`` is idempotent for a given date."""

    __tablename__ = "job_run"
    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    run_date: Mapped[date] = mapped_column(Date, primary_key=True)
    finished_at: Mapped[datetime] = mapped_column(UtcDateTime())
    summary: Mapped[dict] = mapped_column(JSON)
