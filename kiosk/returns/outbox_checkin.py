"""Check-ins through the outbox, exactly once per transaction UUID.

The controller commits the UUID to its journal before the door opens; this adapter enqueues
the check-in with that UUID (one durable commit), waits briefly for central's outcome
(online), and otherwise decides locally (offline: an item with a cached hold goes to the hold
shelf, anything else the machine cannot vouch for goes to staff). Asked again with the same
UUID (after a restart) it finds the row and returns its first outcome without queueing a
second transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from kiosk.domain import TxKind, TxMode
from kiosk.outbox.store import Delivery, Outbox, QueuedRow
from kiosk.returns.ports import CheckinOutcome, CheckinRequest

Snapshot = Callable[[], dict[str, Any]]
"""The offline cache body (``GET /v1/snapshot``): ``holds: {item: {patron_alias, …}}``."""


def offline_decision(item: str, snapshot: dict[str, Any] | None) -> dict[str, Any]:
    """Returns are always accepted offline; the bin follows what the cache knows."""
    holds = (snapshot or {}).get("holds") or {}
    items = (snapshot or {}).get("items") or {}
    hold = holds.get(item)
    known = items.get(item)
    decision: dict[str, Any] = {"allowed": True, "reasons": [], "offline": True}
    if hold:
        decision.update(
            destination="hold_shelf",
            hold_patron_alias=hold.get("patron_alias"),
            pickup_branch=hold.get("pickup_branch"),
            known=True,
        )
    elif known:
        decision.update(
            destination=known.get("destination", "reshelve"),
            title=known.get("title"),
            format=known.get("format"),
            collection=known.get("collection"),
            known=True,
        )
    else:
        decision.update(destination="staff", known=False, alert="offline_unknown")
    return decision


class OutboxCheckin:
    """:class:`kiosk.returns.ports.CheckinPort` over :class:`kiosk.outbox.store.Outbox`."""

    def __init__(
        self,
        outbox: Outbox,
        *,
        online: Callable[[], bool] = lambda: True,
        snapshot: Snapshot | None = None,
        wait_s: float = 1.5,
        branch: str | None = None,
        decide: Callable[[str], dict[str, Any]] | None = None,
    ) -> None:
        self.outbox = outbox
        self.online = online
        self.snapshot = snapshot
        self.wait_s = wait_s
        self.branch = branch
        self.decide = decide
        """The outbox's offline decider (``OfflineDecider.checkin``): its refusals (a format
        that may not be returned offline) send the item to staff."""

    def _row(self, tx_uuid: str) -> QueuedRow | None:
        # A read transaction: asking must not wait for (or block) the forwarder's writes.
        return self.outbox.find(tx_uuid)

    def is_recorded(self, tx_uuid: str) -> bool:
        return self._row(tx_uuid) is not None

    def _decide(self, item: str) -> dict[str, Any]:
        decision = offline_decision(item, self.snapshot() if self.snapshot else None)
        if self.decide is not None:
            policy = self.decide(item)
            codes = [r.get("code") for r in policy.get("reasons") or () if r.get("code")]
            if codes or not policy.get("allowed", True):
                decision.update(destination="staff", alert=str(codes[0] if codes else "refused"))
            if policy.get("fee") not in (None, "", "0", "0.00"):
                decision["fine"] = policy.get("fee")
        return decision

    def check_in(self, request: CheckinRequest) -> CheckinOutcome:
        existing = self._row(request.tx_uuid)
        if existing is not None:
            return self._from_row(request, existing, duplicate=True)
        payload: dict[str, Any] = {"item": request.item}
        if self.branch:
            payload["branch"] = self.branch
        if request.force_offline or not self.online():
            decision = self._decide(request.item)
            self.outbox.enqueue(
                TxKind.CHECKIN,
                payload,
                mode=TxMode.OFFLINE,
                occurred_at=request.occurred_at,
                uuid=request.tx_uuid,
            )
            return _from_decision(request, decision)
        tx = self.outbox.enqueue(
            TxKind.CHECKIN, payload, occurred_at=request.occurred_at, uuid=request.tx_uuid
        )
        row = self.outbox.wait(tx.seq, self.wait_s)
        if row.delivery is None:
            row = self.outbox.fall_back(tx.seq, self._decide(request.item))
        return self._from_row(request, row, duplicate=False)

    def _from_row(
        self, request: CheckinRequest, row: QueuedRow, *, duplicate: bool
    ) -> CheckinOutcome:
        delivery = row.delivery
        if delivery is not None:
            return _from_delivery(request, delivery, duplicate)
        decision = row.fallback or self._decide(request.item)
        outcome = _from_decision(request, decision)
        return _replace_dup(outcome, duplicate)


def _money(value: Any) -> Decimal:
    try:
        return Decimal(str(value)) if value not in (None, "") else Decimal("0")
    except InvalidOperation:
        return Decimal("0")


def _replace_dup(outcome: CheckinOutcome, duplicate: bool) -> CheckinOutcome:
    from dataclasses import replace

    return replace(outcome, duplicate=duplicate) if duplicate else outcome


def _from_delivery(request: CheckinRequest, d: Delivery, duplicate: bool) -> CheckinOutcome:
    result = d.result
    codes = [str(r.get("code")) for r in d.reasons if r.get("code")]
    known = "unknown_item" not in codes
    destination = str(result.get("destination") or ("staff" if codes else "reshelve"))
    alert = None
    if d.outcome.value != "applied" and known:
        alert = codes[0] if codes else d.outcome.value
    return CheckinOutcome(
        item=request.item,
        tx_uuid=request.tx_uuid,
        destination=destination,
        known=known,
        title=result.get("title"),
        format=result.get("format"),
        collection=result.get("collection"),
        fine=_money(result.get("fine")),
        hold_patron_alias=result.get("hold_patron_alias"),
        pickup_branch=result.get("pickup_branch"),
        offline=False,
        alert=alert,
        message_key=d.message_key or "checkin.ok",
        duplicate=duplicate,
    )


def _from_decision(request: CheckinRequest, decision: dict[str, Any]) -> CheckinOutcome:
    return CheckinOutcome(
        item=request.item,
        tx_uuid=request.tx_uuid,
        destination=str(decision.get("destination") or "staff"),
        known=bool(decision.get("known", False)),
        title=decision.get("title"),
        format=decision.get("format"),
        collection=decision.get("collection"),
        fine=_money(decision.get("fine")),
        hold_patron_alias=decision.get("hold_patron_alias"),
        pickup_branch=decision.get("pickup_branch"),
        offline=True,
        alert=decision.get("alert"),
        message_key="checkin.offline",
    )
