"""Small builders shared by the central tests."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from sqlalchemy import select

from kiosk.central import models as m
from kiosk.domain import Transaction, TxKind, TxMode

_seq = itertools.count(1)


def tx(
    kind: str,
    at: datetime,
    mode: str = "online",
    machine: str = "kiosk-1",
    seq: int | None = None,
    **payload: Any,
) -> Transaction:
    return Transaction(
        machine_id=machine,
        seq=next(_seq) if seq is None else seq,
        kind=TxKind(kind),
        occurred_at=at,
        mode=TxMode(mode),
        payload=payload,
    )


def state(central) -> dict[str, Any]:
    """Everything a transaction can change, without surrogate ids or wall-clock stamps."""
    with central.sessions() as s:
        patrons = {p.id: p.barcode for p in s.scalars(select(m.Patron))}
        items = {i.id: i.barcode for i in s.scalars(select(m.Item))}
        return {
            "items": sorted(
                (i.barcode, i.status, i.current_branch) for i in s.scalars(select(m.Item))
            ),
            "loans": sorted(
                (patrons[x.patron_id], items[x.item_id], x.due.isoformat(), x.renewals)
                for x in s.scalars(select(m.Loan))
            ),
            "holds": sorted(
                (patrons[h.patron_id], items.get(h.item_id), h.title, h.status, str(h.ready_since))
                for h in s.scalars(select(m.Hold))
            ),
            "fees": sorted(
                (patrons[f.patron_id], f.kind, str(f.amount), str(f.paid), f.cancelled)
                for f in s.scalars(select(m.Fee))
            ),
            "credit": sorted(
                (patrons[c.patron_id], str(c.amount), c.reason)
                for c in s.scalars(select(m.CreditEntry))
            ),
            "applied": sorted((a.uuid, a.outcome) for a in s.scalars(select(m.AppliedTransaction))),
            "exceptions": sorted(
                (e.tx_uuid, tuple(r["code"] for r in e.reasons))
                for e in s.scalars(select(m.TxException))
            ),
            "history": sorted(
                (patrons[h.patron_id], items[h.item_id]) for h in s.scalars(select(m.LoanHistory))
            ),
        }
