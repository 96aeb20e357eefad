from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.domain import Patron, Transaction, TxKind, TxMode, to_money


def test_money_from_float_is_exact_cents() -> None:
    assert to_money(0.1) == Decimal("0.10")
    assert to_money("2.00") + to_money("0.25") == Decimal("2.25")


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", True, None, [1], "1e30", 1e300])
def test_money_rejects_non_amounts(bad: object) -> None:
    with pytest.raises(ValueError):
        to_money(bad)


@given(st.lists(st.decimals(min_value=0, max_value=1000, places=2), max_size=50))
def test_money_sums_exactly(amounts: list[Decimal]) -> None:
    total = sum((to_money(a) for a in amounts), Decimal("0"))
    assert total == sum(amounts, Decimal("0"))


def test_patron_alias_never_shows_the_name() -> None:
    patron = Patron(barcode="3401010000001", name="Wang Fang", category="adult")
    assert patron.alias == "WF-0001"
    assert "Wang" not in patron.alias


def test_transaction_round_trips_through_the_wire() -> None:
    tx = Transaction(
        machine_id="kiosk-1",
        seq=7,
        kind=TxKind.CHECKOUT,
        occurred_at=datetime(2026, 11, 23, 10, 0, tzinfo=UTC),
        mode=TxMode.OFFLINE,
        payload={"patron": "3401010000001", "item": "31234000012345"},
    )
    assert Transaction.from_wire(tx.to_wire()) == tx


def test_transaction_refuses_naive_time() -> None:
    with pytest.raises(ValueError):
        Transaction(machine_id="m", seq=0, kind=TxKind.CHECKIN, occurred_at=datetime(2026, 1, 1))
