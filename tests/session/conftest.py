"""A backend with scripted answers, to drive every transition of the session state machine.

The session's own logic is what is under test here; the real backend (outbox + central) is
exercised by tests/ui and the demo tests.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest

from kiosk.backend import (
    AccountInfo,
    CircReply,
    CircStatus,
    LoanInfo,
    LoginReply,
    LoginStatus,
    PatronView,
    ReasonView,
    Receipt,
    ReceiptChannel,
    mask_card,
)
from kiosk.session import Session, SessionSettings

PATRON = "3401010000001"
OTHER = "3401010000002"
LOANED = "31234000000009"


@dataclass
class ScriptedBackend:
    online: bool = True
    library_name: str = "Test Library"
    currency: str = "EUR"
    pins: dict[str, str] = field(default_factory=lambda: {PATRON: "1234"})
    refused_cards: dict[str, tuple[str, ...]] = field(default_factory=dict)
    refusals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    loans: dict[str, list[str]] = field(default_factory=lambda: {PATRON: [LOANED]})
    titles: dict[str, str] = field(default_factory=dict)
    attempts: int = 3
    print_ok: bool = True
    known_items: set[str] = field(default_factory=set)
    calls: list[tuple] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)

    def login(self, card: str, pin: str | None) -> LoginReply:
        self.calls.append(("login", card, pin))
        if card in self.refused_cards:
            reasons = tuple(ReasonView(code) for code in self.refused_cards[card])
            return LoginReply(LoginStatus.REFUSED, reasons=reasons)
        if card not in self.pins:
            return LoginReply(LoginStatus.UNKNOWN_CARD)
        if pin is None:
            return LoginReply(LoginStatus.PIN_REQUIRED)
        if pin != self.pins[card]:
            self.attempts -= 1
            if self.attempts <= 0:
                return LoginReply(LoginStatus.CARD_LOCKED)
            return LoginReply(LoginStatus.WRONG_PIN, attempts_left=self.attempts)
        patron = PatronView(mask_card(card), "Wang Fang", "zh_CN", "adult")
        return LoginReply(LoginStatus.OK, patron=patron, offline=not self.online)

    def _reply(self, kind: str, item: str) -> CircReply:
        title = self.titles.get(item, f"Title {item[-4:]}")
        if item in self.refusals:
            reasons = tuple(ReasonView(code) for code in self.refusals[item])
            return CircReply(CircStatus.REFUSED, item, reasons[0].message_key, title, None, reasons)
        return CircReply(
            CircStatus.APPLIED,
            item,
            f"{kind}.ok",
            title,
            date(2026, 12, 23),
            offline=not self.online,
        )

    def item_exists(self, barcode: str) -> bool | None:
        self.calls.append(("item_exists", barcode))
        if not self.online:
            return None
        return barcode.startswith("3123") or barcode in self.known_items

    def checkout(self, card: str, item: str) -> CircReply:
        self.calls.append(("checkout", card, item))
        reply = self._reply("checkout", item)
        if reply.applied:
            self.loans.setdefault(card, []).append(item)
        return reply

    def renew(self, card: str, item: str) -> CircReply:
        self.calls.append(("renew", card, item))
        return self._reply("renew", item)

    def checkin(self, item: str) -> CircReply:
        self.calls.append(("checkin", item))
        return self._reply("checkin", item)

    def account(self, card: str) -> AccountInfo | None:
        self.calls.append(("account", card))
        if not self.online:
            return None
        loans = tuple(
            LoanInfo(item, self.titles.get(item, "x"), date(2026, 12, 1))
            for item in self.loans.get(card, [])
        )
        return AccountInfo(loans=loans)

    def deliver_receipt(self, card: str, receipt: Receipt, channel: ReceiptChannel) -> bool:
        self.calls.append(("receipt", channel.value, len(receipt.lines)))
        self.receipts.append(receipt)
        return self.print_ok

    def end_visit(self, card: str) -> None:
        self.calls.append(("end", card))


class Ticker:
    """A monotonic clock the test moves by hand (the double-scan window)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def backend() -> ScriptedBackend:
    return ScriptedBackend()


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def session(backend: ScriptedBackend, ticker: Ticker) -> Session:
    return Session(backend, settings=SessionSettings(double_scan_window=3.0), monotonic=ticker)
