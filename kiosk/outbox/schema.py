"""The outbox's tables in the machine's own SQLite file.

``outbox.seq`` is the rowid: the per-machine sequence number central orders by. It is never
reused because pruning always keeps the newest row (SQLite hands out max(rowid) + 1); that
saves the extra page AUTOINCREMENT writes on every commit. The table has no secondary index,
so an enqueue writes one b-tree page: nothing looks rows up by ``uuid``, and the pending rows
are found from the *frontier* (``outbox_meta``), a seq below which every row is finished, by
a range scan of the primary key.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


class RowState(StrEnum):
    QUEUED = "queued"
    """Committed locally, not yet sent (or sent and to be sent again)."""
    SENDING = "sending"
    """Claimed by a forwarder holding the lease; resent if that forwarder died."""
    DELIVERED = "delivered"
    """Central applied it (``outcome`` says ``applied``). Pruned after the retention period."""
    REFUSED = "refused"
    """Central refused it (online requests only: nothing changed centrally). Kept for staff."""
    EXCEPTION = "exception"
    """An offline fact that broke a rule, or a transaction central would not accept. Kept."""


TERMINAL_STATES = (RowState.DELIVERED, RowState.REFUSED, RowState.EXCEPTION)
PENDING_STATES = (RowState.QUEUED, RowState.SENDING)

outbox = Table(
    "outbox",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("uuid", String(36), nullable=False),
    Column("machine_id", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("occurred_at", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),
    Column("queued_at", Float, nullable=False),
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("lease_owner", String(80)),
    Column("sent_at", Float),
    Column("done_at", Float),
    Column("outcome", String(16)),
    # central's reply for this transaction as JSON (reasons, message_key, result, duplicate)
    Column("result", Text),
    Column("last_error", Text),
    # the offline decision the machine showed when central's outcome came too late (JSON)
    Column("fallback", Text),
    # for a follow-up the machine queued itself: the seq of the transaction it corrects
    Column("follows", Integer),
)

lease = Table(
    "outbox_lease",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner", String(80)),
    Column("until", Float, nullable=False, server_default="0"),
    Column("epoch", Integer, nullable=False, server_default="0"),
)

meta = Table(
    "outbox_meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text),
)

cache = Table(
    "offline_cache",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("body", Text, nullable=False),
    Column("fetched_at", Float, nullable=False),
)
