"""The machine's queue section (``[outbox]``): where transactions wait for central."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class OutboxConfig(BaseModel):
    """The local durable queue and its forwarder."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    path: Path = Path("var/queue.db")
    """The queue's SQLite file (WAL, synchronous=FULL); relative paths are from the working
    directory. Keep it on the machine's own disk, not on a network share."""
    wait_s: float = Field(1.5, ge=0, le=30)
    """Online, how long a patron's request waits for central before the machine answers
    with its own offline decision."""
    batch_size: int = Field(100, ge=1, le=1000)
    """Transactions sent to central per request."""
    retention_days: float = Field(14, ge=0)
    """Delivered transactions are deleted after this many days; refused and exception
    transactions are kept until a technician has seen them."""
    min_free_mib: int = Field(8, ge=0)
    """New work is refused (with a clear message) when the disk has less free space."""
    backoff_base_s: float = Field(0.5, gt=0)
    """First retry delay after a failed delivery; it doubles, with jitter, per failure."""
    backoff_max_s: float = Field(30.0, gt=0)
    """Longest delay between retries while central is unreachable."""
    lease_s: float = Field(30.0, gt=0)
    """How long a forwarder's claim on the queue lasts without renewal; must exceed the
    central request timeout."""
    refresh_every_s: float = Field(300.0, gt=0)
    """How often the offline cache (policy, block list, hold list) is refreshed online."""
    heartbeat_every_s: float = Field(60.0, gt=0)
    """How often the machine tells central its queue depth and mode."""
