"""Plain data: patrons, items, loans, holds, fees, transactions; barcode checks."""

from kiosk.domain.models import (
    CreditEntry,
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
from kiosk.domain.money import ZERO, format_money, to_money
from kiosk.domain.transaction import Transaction, TxKind, TxMode, TxOutcome

__all__ = [
    "ZERO",
    "CreditEntry",
    "Fee",
    "FeeKind",
    "Hold",
    "HoldStatus",
    "Item",
    "ItemStatus",
    "Loan",
    "Patron",
    "PatronAccount",
    "Transaction",
    "TxKind",
    "TxMode",
    "TxOutcome",
    "format_money",
    "to_money",
]
