"""Asking whether a check-in is already recorded reads the queue without its write lock."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kiosk.outbox.store import Outbox
from kiosk.returns.outbox_checkin import OutboxCheckin


def test_is_recorded_does_not_wait_for_a_writer(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "queue.db", "ret-1", min_free_bytes=0, busy_timeout_s=0.3)
    port = OutboxCheckin(box)
    tx = box.enqueue("checkin", {"item": "31234000012345"})
    writer = sqlite3.connect(tmp_path / "queue.db", isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")  # e.g. the forwarder recording a batch
        # A write transaction would give up after the busy timeout ("database is locked").
        assert port.is_recorded(tx.uuid) is True
        assert port.is_recorded("00000000-0000-4000-8000-000000000000") is False
        writer.execute("ROLLBACK")
    finally:
        writer.close()
        box.close()
