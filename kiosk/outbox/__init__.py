"""The machine's durable queue and the forwarder that delivers it to central.

Every transaction is committed to the machine's own SQLite file (WAL, ``synchronous=FULL``)
before the patron is told; :class:`Forwarder` drains it in sequence order to a
:class:`Target` (central's HTTP API first), and the machine decides offline with the same
policy code over a cached snapshot when central does not answer.
"""

from kiosk.outbox.forwarder import Backoff, Forwarder, Mode, ModeChanged, Submitted
from kiosk.outbox.http import HttpTarget
from kiosk.outbox.schema import RowState
from kiosk.outbox.store import Delivery, Outbox, QueuedRow, QueueStatus
from kiosk.outbox.target import Target, TargetRejected, TargetUnavailable

__all__ = [
    "Backoff",
    "Delivery",
    "Forwarder",
    "HttpTarget",
    "Mode",
    "ModeChanged",
    "Outbox",
    "QueueStatus",
    "QueuedRow",
    "RowState",
    "Submitted",
    "Target",
    "TargetRejected",
    "TargetUnavailable",
]
