"""Money is a ``Decimal`` in the profile's currency, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_money(value: object) -> Decimal:
    """Convert a fixture or config value to money, rounded to the cent.

    Floats are converted through their shortest ``repr`` so ``0.1`` becomes ``0.10``, not
    ``0.1000000000000000055…``.
    """
    if isinstance(value, Decimal):
        amount = value
    elif isinstance(value, bool):
        raise ValueError(f"not an amount of money: {value!r}")
    elif isinstance(value, int | str):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise ValueError(f"not an amount of money: {value!r}") from exc
    elif isinstance(value, float):
        amount = Decimal(repr(value))
    else:
        raise ValueError(f"not an amount of money: {value!r}")
    if not amount.is_finite():
        raise ValueError(f"not an amount of money: {value!r}")
    try:
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than the decimal context holds
        raise ValueError(f"not an amount of money: {value!r}") from exc


def format_money(amount: Decimal, currency: str) -> str:
    """A plain rendering for logs and receipts (``1.50 EUR``); the UI localises with Babel."""
    return f"{amount.quantize(CENT)} {currency}"
