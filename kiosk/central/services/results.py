"""What applying a transaction produces, and the reasons central adds of its own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from kiosk.domain import TxOutcome
from kiosk.policy import Reason

KEY_MAX = 64


def safe_key(value: Any) -> str | None:
    """A barcode, card or branch from the wire, or None when it cannot be one.

    Hostile input (control characters, NUL, overlong text, non-strings) never reaches a
    query: it simply matches nothing.
    """
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    text = str(value).strip()
    if not text or len(text) > KEY_MAX or not text.isprintable():
        return None
    return text


def reason(code: str, **params: Any) -> Reason:
    """A reason central adds itself (unknown card, item already on loan …)."""
    return Reason(code=code, message_key=f"reason.{code}", params=params)


def jsonable(value: Any) -> Any:
    """Params and results as JSON: money as strings, dates as ISO 8601."""
    if isinstance(value, Decimal):
        return str(value.quantize(Decimal("0.01")))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def reason_wire(r: Reason) -> dict[str, Any]:
    return {"code": r.code, "message_key": r.message_key, "params": jsonable(dict(r.params))}


def reason_from_wire(data: dict[str, Any]) -> Reason:
    return Reason(
        code=data["code"], message_key=data.get("message_key", ""), params=data.get("params", {})
    )


@dataclass(frozen=True, slots=True)
class TxResult:
    uuid: str
    outcome: TxOutcome
    duplicate: bool = False
    reasons: tuple[Reason, ...] = ()
    message_key: str = ""
    result: dict[str, Any] = field(default_factory=dict)

    def to_wire(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "outcome": self.outcome.value,
            "duplicate": self.duplicate,
            "reasons": [reason_wire(r) for r in self.reasons],
            "message_key": self.message_key,
            "result": jsonable(self.result),
        }

    @classmethod
    def from_wire(cls, data: dict[str, Any], *, duplicate: bool) -> TxResult:
        return cls(
            uuid=data["uuid"],
            outcome=TxOutcome(data["outcome"]),
            duplicate=duplicate,
            reasons=tuple(reason_from_wire(r) for r in data.get("reasons", [])),
            message_key=data.get("message_key", ""),
            result=data.get("result", {}),
        )


def merge_reasons(*groups: tuple[Reason, ...] | list[Reason]) -> tuple[Reason, ...]:
    """Every reason once, by code, in first-seen order."""
    seen: set[str] = set()
    merged = []
    for group in groups:
        for r in group:
            if r.code not in seen:
                seen.add(r.code)
                merged.append(r)
    return tuple(merged)
