"""A Transaction is one state change a machine made, recorded before the patron is told.

It travels from the machine's outbox to central unchanged. ``uuid`` makes applying it
idempotent; ``(machine_id, seq)`` orders a machine's transactions.
"""

from __future__ import annotations

import uuid as uuid_module
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class TxKind(StrEnum):
    CHECKOUT = "checkout"
    CHECKIN = "checkin"
    RENEW = "renew"
    PLACE_HOLD = "place_hold"
    CANCEL_HOLD = "cancel_hold"
    PAY_FEE = "pay_fee"
    DEPOSIT_CREDIT = "deposit_credit"
    CHANGE_PIN = "change_pin"


class TxMode(StrEnum):
    ONLINE = "online"
    """A request: central decides and may refuse it."""
    OFFLINE = "offline"
    """A fact that already happened at the machine: central records it, raising exceptions."""


class TxOutcome(StrEnum):
    APPLIED = "applied"
    REFUSED = "refused"
    EXCEPTION = "exception"
    """Applied as an offline fact that broke a rule; staff must look at it."""


@dataclass(frozen=True, slots=True)
class Transaction:
    machine_id: str
    seq: int
    kind: TxKind
    occurred_at: datetime
    mode: TxMode = TxMode.ONLINE
    payload: dict[str, Any] = field(default_factory=dict)
    """Kind-specific fields: ``patron``, ``item``, ``amount``, ``pickup_branch``, ``due`` …"""
    uuid: str = field(default_factory=lambda: str(uuid_module.uuid4()))

    def __post_init__(self) -> None:
        if self.occurred_at.tzinfo is None:
            raise ValueError("a transaction's time must be time-zone aware")
        if self.seq < 0:
            raise ValueError("sequence numbers start at 0")

    def to_wire(self) -> dict[str, Any]:
        """The JSON shape sent to central (see docs/central-api.md)."""
        return {
            "uuid": self.uuid,
            "machine_id": self.machine_id,
            "seq": self.seq,
            "kind": self.kind.value,
            "occurred_at": self.occurred_at.isoformat(),
            "mode": self.mode.value,
            "payload": self.payload,
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any]) -> Transaction:
        return cls(
            uuid=str(data["uuid"]),
            machine_id=str(data["machine_id"]),
            seq=int(data["seq"]),
            kind=TxKind(data["kind"]),
            occurred_at=datetime.fromisoformat(str(data["occurred_at"]).replace("Z", "+00:00")),
            mode=TxMode(data.get("mode", "online")),
            payload=dict(data.get("payload") or {}),
        )
