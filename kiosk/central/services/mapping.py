"""Database rows to the plain domain objects the policy engine reasons about."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import func, select, union
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


def credit_of(s: Session, patron_id: int) -> Decimal:
    total = s.scalar(
        select(func.coalesce(func.sum(m.CreditEntry.amount), 0)).where(
            m.CreditEntry.patron_id == patron_id
        )
    )
    return Decimal(total or 0).quantize(Decimal("0.01"))


def account_of(s: Session, patron: m.Patron) -> PatronAccount:
    """Everything the rules need about ``patron`` (4 indexed queries)."""
    loans: list[Loan] = []
    items: dict[str, Item] = {}
    for loan, item in s.execute(
        select(m.Loan, m.Item)
        .join(m.Item, m.Loan.item_id == m.Item.id)
        .where(m.Loan.patron_id == patron.id)
    ):
        loans.append(loan_of(loan, patron.barcode, item.barcode))
        items[item.barcode] = item_of(item)
    holds = []
    shelf = m.Item.__table__.alias("shelf")
    for hold, item_barcode, shelf_barcode in s.execute(
        select(m.Hold, m.Item.barcode, shelf.c.barcode)
        .outerjoin(m.Item, m.Hold.item_id == m.Item.id)
        .outerjoin(shelf, m.Hold.ready_item_id == shelf.c.id)
        .where(m.Hold.patron_id == patron.id, m.Hold.status.in_(ACTIVE_HOLDS))
        .order_by(m.Hold.placed, m.Hold.id)
    ):
        holds.append(hold_of(hold, patron.barcode, item_barcode or shelf_barcode))
    fees = []
    for fee, item_barcode in s.execute(
        select(m.Fee, m.Item.barcode)
        .outerjoin(m.Item, m.Fee.item_id == m.Item.id)
        .where(m.Fee.patron_id == patron.id, m.Fee.cancelled.is_(False))
        .where(m.Fee.paid < m.Fee.amount)
        .order_by(m.Fee.created, m.Fee.id)
    ):
        fees.append(fee_of(fee, patron.barcode, item_barcode))
    return PatronAccount(
        patron=patron_of(patron),
        loans=tuple(loans),
        holds=tuple(holds),
        fees=tuple(fees),
        credit=credit_of(s, patron.id),
        items_on_loan=items,
    )


def holds_on(s: Session, item: m.Item) -> list[tuple[m.Hold, m.Patron]]:
    """Active holds that this copy could fill or is set aside for, oldest first.

    Three index seeks (on the copy, set aside on the copy, on its title) rather than one
    OR-query, so the cost does not grow with the number of holds in the network.
    """
    ids = union(
        select(m.Hold.id).where(m.Hold.item_id == item.id, m.Hold.status.in_(ACTIVE_HOLDS)),
        select(m.Hold.id).where(m.Hold.ready_item_id == item.id, m.Hold.status == "ready"),
        select(m.Hold.id).where(
            m.Hold.title == item.title,
            m.Hold.item_id.is_(None),
            m.Hold.status.in_(ACTIVE_HOLDS),
        ),
    ).subquery()
    rows = s.execute(
        select(m.Hold, m.Patron)
        .join(m.Patron, m.Hold.patron_id == m.Patron.id)
        .where(m.Hold.id.in_(select(ids.c.id)))
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
