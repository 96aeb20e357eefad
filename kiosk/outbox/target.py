"""Where the forwarder delivers transactions: a small interface with capability flags.

The first target is central's HTTP API (:mod:`kiosk.outbox.http`); the SIP2 issue adds one for
an existing library system. A target either returns one :class:`Delivery` per transaction, in
the order sent, or raises :class:`TargetUnavailable` (try again later: nothing is known about
the batch) or :class:`TargetRejected` (the target will never take this batch as it is).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

from kiosk.domain import Transaction
from kiosk.outbox.store import Delivery


class TargetUnavailable(Exception):
    """The target could not be reached or gave no usable answer; retry with backoff."""


class TargetRejected(Exception):
    """The target refused the request itself (malformed, unknown kind); retrying as is cannot
    help. ``code`` is the target's error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


@runtime_checkable
class Target(Protocol):
    """What the forwarder needs from a destination."""

    name: str
    SUPPORTS_SNAPSHOT: ClassVar[bool]
    """True when :meth:`fetch_policy` and :meth:`fetch_snapshot` work (offline cache)."""

    def send(self, transactions: Sequence[Transaction]) -> list[Delivery]:
        """Deliver a batch; one Delivery per transaction, in the order given."""
        ...

    def fetch_policy(self) -> dict[str, Any]: ...

    def fetch_snapshot(self) -> dict[str, Any]: ...

    def heartbeat(self, *, queue_depth: int, oldest_age_s: float, mode: str) -> None: ...

    def close(self) -> None: ...


def check_deliveries(
    transactions: Sequence[Transaction], deliveries: Sequence[Delivery]
) -> list[Delivery]:
    """A reply must name every transaction sent, in order; anything else is unusable."""
    if len(deliveries) != len(transactions) or any(
        d.uuid != t.uuid for d, t in zip(deliveries, transactions, strict=True)
    ):
        raise TargetUnavailable(
            f"the reply lists {len(deliveries)} outcomes that do not match the "
            f"{len(transactions)} transactions sent"
        )
    return list(deliveries)
