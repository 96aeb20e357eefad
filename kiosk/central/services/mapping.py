"""Database rows to the plain domain objects the policy engine reasons about."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import bindparam, func, select, union
from sqlalchemy.orm import Session

from kiosk.central import models as m
from kiosk.domain import (
    ZERO,
    Fee,
    FeeKind,
    Hold,
    HoldStatus,
    Item,
    ItemStatus,
    Loan,
    Patron,
    PatronAccount,
)

ACTIVE_HOLDS = ("waiting", "ready")


def patron_of(row: m.Patron) -> Patron:
    return Patron(
        barcode=row.barcode,
        name=row.name,
        category=row.category,
        expires=row.expires,
        birth_date=row.birth_date,
        email=row.email,
        language=row.language,
        history_opt_in=row.history_opt_in,
        home_branch=row.home_branch,
        blocked=row.blocked or "",
        pin_is_default=row.pin_is_default,
    )


def item_of(row: m.Item) -> Item:
    return Item(
        barcode=row.barcode,
        title=row.title,
        format=row.format,
        audience=row.audience,
        owning_branch=row.owning_branch,
        author=row.author,
        price=row.price,
        status=ItemStatus(row.status),
        collection=row.collection,
        current_branch=row.current_branch,
    )


def loan_of(row: m.Loan, patron: str, item: str) -> Loan:
    return Loan(
        patron=patron,
        item=item,
        checked_out=row.checked_out,
        due=row.due,
        renewals=row.renewals,
    )


def hold_of(row: m.Hold, patron: str, item: str | None) -> Hold:
    return Hold(
        patron=patron,
        pickup_branch=row.pickup_branch,
        placed=row.placed,
        item=item,
        title=row.title,
        status=HoldStatus(row.status),
        ready_since=row.ready_since,
        id=row.id,
    )


def fee_of(row: m.Fee, patron: str, item: str | None) -> Fee:
    return Fee(
        patron=patron,
        kind=FeeKind(row.kind),
        amount=row.amount,
        paid=row.paid,
        item=item,
        created=row.created,
        id=row.id,
    )


def open_fees(s: Session, patron_id: int) -> list[m.Fee]:
    return list(
        s.scalars(
            select(m.Fee)
            .where(m.Fee.patron_id == patron_id, m.Fee.cancelled.is_(False))
            .where(m.Fee.paid < m.Fee.amount)
            .order_by(m.Fee.created, m.Fee.id)
        )
    )


# Hot-path reads are prebuilt Core statements: building and hydrating ORM entities cost
# far more than the index seeks themselves (see docs/BENCHMARKS.md).
_L, _I, _H, _F, _C = (t.__table__ for t in (m.Loan, m.Item, m.Hold, m.Fee, m.CreditEntry))
_SHELF = _I.alias("shelf")
_LOANS = (
    select(_L.c.checked_out, _L.c.due, _L.c.renewals, *_I.c)
    .join_from(_L, _I, _L.c.item_id == _I.c.id)
    .where(_L.c.patron_id == bindparam("pid"))
)
_HOLDS = (
    select(
        _H.c.id,
        _H.c.placed,
        _H.c.title,
        _H.c.pickup_branch,
        _H.c.status,
        _H.c.ready_since,
        _I.c.barcode.label("item_barcode"),
        _SHELF.c.barcode.label("shelf_barcode"),
    )
    .select_from(_H)
    .outerjoin(_I, _H.c.item_id == _I.c.id)
    .outerjoin(_SHELF, _H.c.ready_item_id == _SHELF.c.id)
    .where(_H.c.patron_id == bindparam("pid"), _H.c.status.in_(ACTIVE_HOLDS))
    .order_by(_H.c.placed, _H.c.id)
)
_FEES = (
    select(_F.c.id, _F.c.kind, _F.c.amount, _F.c.paid, _F.c.created, _I.c.barcode)
    .select_from(_F)
    .outerjoin(_I, _F.c.item_id == _I.c.id)
    .where(_F.c.patron_id == bindparam("pid"), _F.c.cancelled.is_(False))
    .where(_F.c.paid < _F.c.amount)
    .order_by(_F.c.created, _F.c.id)
)
_CREDIT = select(func.coalesce(func.sum(_C.c.amount), 0)).where(_C.c.patron_id == bindparam("pid"))
_HOLD_IDS = union(
    select(_H.c.id).where(_H.c.item_id == bindparam("iid"), _H.c.status.in_(ACTIVE_HOLDS)),
    select(_H.c.id).where(_H.c.ready_item_id == bindparam("iid"), _H.c.status == "ready"),
    select(_H.c.id).where(
        _H.c.title == bindparam("title"), _H.c.item_id.is_(None), _H.c.status.in_(ACTIVE_HOLDS)
    ),
)


def credit_of(s: Session, patron_id: int) -> Decimal:
    total = s.connection().execute(_CREDIT, {"pid": patron_id}).scalar()
    return Decimal(total or 0).quantize(Decimal("0.01"))


def account_of(s: Session, patron: m.Patron) -> PatronAccount:
    """Everything the rules need about ``patron`` (4 index seeks, no ORM hydration)."""
    s.flush()  # the Core reads below must see this transaction's pending changes
    conn = s.connection()
    params = {"pid": patron.id}
    loans: list[Loan] = []
    items: dict[str, Item] = {}
    for row in conn.execute(_LOANS, params):
        loans.append(
            Loan(
                patron=patron.barcode,
                item=row.barcode,
                checked_out=row.checked_out,
                due=row.due,
                renewals=row.renewals,
            )
        )
        items[row.barcode] = Item(
            barcode=row.barcode,
            title=row.title,
            format=row.format,
            audience=row.audience,
            owning_branch=row.owning_branch,
            author=row.author,
            price=row.price,
            status=ItemStatus(row.status),
            collection=row.collection,
            current_branch=row.current_branch,
        )
    holds = tuple(
        Hold(
            patron=patron.barcode,
            pickup_branch=row.pickup_branch,
            placed=row.placed,
            item=row.item_barcode or row.shelf_barcode,
            title=row.title,
            status=HoldStatus(row.status),
            ready_since=row.ready_since,
            id=row.id,
        )
        for row in conn.execute(_HOLDS, params)
    )
    fees = tuple(
        Fee(
            patron=patron.barcode,
            kind=FeeKind(row.kind),
            amount=row.amount,
            paid=row.paid,
            item=row.barcode,
            created=row.created,
            id=row.id,
        )
        for row in conn.execute(_FEES, params)
    )
    return PatronAccount(
        patron=patron_of(patron),
        loans=tuple(loans),
        holds=holds,
        fees=fees,
        credit=credit_of(s, patron.id),
        items_on_loan=items,
    )


def holds_on(s: Session, item: m.Item) -> list[tuple[m.Hold, m.Patron]]:
    """Active holds that this copy could fill or is set aside for, oldest first.

    Three index seeks (on the copy, set aside on the copy, on its title) rather than one
    OR-query, so the cost does not grow with the number of holds in the network; most
    copies have none, and then no entity is loaded at all.
    """
    s.flush()
    ids = list(s.connection().execute(_HOLD_IDS, {"iid": item.id, "title": item.title}).scalars())
    if not ids:
        return []
    rows = s.execute(
        select(m.Hold, m.Patron)
        .join(m.Patron, m.Hold.patron_id == m.Patron.id)
        .where(m.Hold.id.in_(ids))
        .order_by(m.Hold.placed, m.Hold.id)
    )
    result = []
    for hold, patron in rows:
        # A ready title hold set aside on another copy does not concern this one.
        if hold.status == "ready" and hold.ready_item_id not in (None, item.id):
            continue
        result.append((hold, patron))
    return result


def domain_holds(pairs: Sequence[tuple[m.Hold, m.Patron]], item: m.Item) -> tuple[Hold, ...]:
    return tuple(
        hold_of(hold, patron.barcode, item.barcode if hold.item_id or hold.ready_item_id else None)
        for hold, patron in pairs
    )


def balance(fees: Sequence[Fee]) -> Decimal:
    return sum((fee.outstanding for fee in fees), ZERO)
