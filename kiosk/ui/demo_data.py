"""Which demo cards and items the helper panel offers, picked from a library's demo fixture.

Each library's fixture covers its rules' edges; this picks one example of each situation a
visitor should try: a patron who can borrow, one with a hold ready, one with fees, a blocked
and an expired card, items to borrow, an item reserved for someone else, one already on the
borrower's card, and a barcode the library does not know.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from kiosk.ui.widgets.demo_panel import DemoEntry, DemoScript

FIXTURES = Path(__file__).resolve().parents[2] / "config" / "demo"
LIBRARIES = ("hefei", "hamburg", "sanjose")


@dataclass(frozen=True)
class DemoCast:
    """The picked examples by role, for the panel and for tests."""

    library: str
    borrower: str
    borrower_pin: str
    pickup: str
    pickup_pin: str
    fees: str
    blocked: str
    expired: str
    refused: str
    """A card the rules refuse at login (an old card where the library has them)."""
    available: tuple[str, ...]
    reserved: str
    on_loan_to_borrower: str
    ready_for_pickup: str
    unknown: str
    titles: dict[str, str] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    pins: dict[str, str] = field(default_factory=dict)
    languages: dict[str, str] = field(default_factory=dict)

    def script(self) -> DemoScript:
        def card(code: str, role: str) -> DemoEntry:
            return DemoEntry(f"{self.names[code]} ({role})", code, "card")

        def item(code: str, role: str = "") -> DemoEntry:
            title = self.titles.get(code, code)
            return DemoEntry(f"{title} {role}".strip(), code, "scanner")

        cards = (
            card(self.borrower, "✓"),
            card(self.pickup, "⌂"),
            card(self.fees, "$"),
            card(self.blocked, "⛔"),
            card(self.expired, "⌛"),
        )
        if self.refused != self.expired:
            cards = (*cards, card(self.refused, "✗"))
        items = (
            *(item(code) for code in self.available),
            item(self.on_loan_to_borrower, "↻"),
            item(self.ready_for_pickup, "⌂"),
            item(self.reserved, "⚑"),
            DemoEntry(f"? {self.unknown}", self.unknown, "scanner"),
        )
        return DemoScript(cards=cards, items=items, pins=dict(self.pins))


def fixture_path(library: str) -> Path:
    if library not in LIBRARIES:
        raise ValueError(f"unknown demo library {library!r}: choose {', '.join(LIBRARIES)}")
    return FIXTURES / f"{library}.toml"


def _pin(patron: dict[str, Any]) -> str:
    if patron.get("pin"):
        return str(patron["pin"])
    birth = str(patron.get("birth_date", ""))
    return birth.replace("-", "")


def pick_cast(library: str, today: date = date(2026, 11, 23)) -> DemoCast:
    data = tomllib.loads(fixture_path(library).read_text("utf-8"))
    patrons = data.get("patron", [])
    items = data.get("item", [])
    loans = data.get("loan", [])
    holds = data.get("hold", [])
    fees = data.get("fee", [])
    loaned = {loan["item"]: loan["patron"] for loan in loans}
    held = {hold.get("item") for hold in holds if hold.get("item")}
    owing = {fee["patron"] for fee in fees}
    loans_of: dict[str, list[dict[str, Any]]] = {}
    for loan in loans:
        loans_of.setdefault(loan["patron"], []).append(loan)

    def overdue(card: str) -> bool:
        return any(
            loan.get("due") and date.fromisoformat(str(loan["due"])[:10]) < today
            for loan in loans_of.get(card, [])
        )

    def expired(p: dict[str, Any]) -> bool:
        return bool(p.get("expires")) and date.fromisoformat(str(p["expires"])) < today

    good = [
        p
        for p in patrons
        if p["category"] == "adult"
        and not p.get("blocked")
        and not expired(p)
        and p["barcode"] not in owing
        and not overdue(p["barcode"])
        and 0 < len(loans_of.get(p["barcode"], [])) < 3
        and _pin(p)
    ]
    ready = [h for h in holds if h.get("status") == "ready" and h.get("item")]
    ready_patron = next(
        p for h in ready for p in patrons if p["barcode"] == h["patron"] and not p.get("blocked")
    )
    ready_item = next(h["item"] for h in ready if h["patron"] == ready_patron["barcode"])
    borrower = good[0]
    available = [
        i["barcode"]
        for i in items
        if i.get("status", "available") == "available"
        and i["format"] == "book"
        and i.get("audience", "adult") == "adult"
        and i["barcode"] not in loaned
        and i["barcode"] not in held
    ][:4]
    # On the hold shelf for someone else: the patron is told to leave it at the desk.
    reserved = next(
        h["item"]
        for h in ready
        if h["patron"] not in (borrower["barcode"], ready_patron["barcode"])
        and h["item"] not in loaned
    )
    on_loan = loans_of[borrower["barcode"]][0]["item"]
    # A well-formed barcode the catalogue does not hold: the library's own item shape when
    # its numbers are digits, else an EAN-13 book label (valid check digit).
    item_sample = items[0]["barcode"]
    unknown = item_sample[:-5] + "99999" if item_sample.isdigit() else "4006381333931"
    if library == "sanjose":
        unknown = "4006381333931"
    fee_patron = next(p for p in patrons if p["barcode"] in owing and not p.get("blocked"))
    blocked = next(p for p in patrons if p.get("blocked"))
    expired_patron = next(p for p in patrons if expired(p) and not p.get("blocked"))
    prefix = borrower["barcode"][:3]
    old = [p for p in patrons if not p["barcode"].startswith(prefix) and p["barcode"][0].isdigit()]
    refused = old[-1] if old and library == "hefei" else expired_patron
    chosen = [borrower, ready_patron, fee_patron, blocked, expired_patron, refused]
    return DemoCast(
        library=library,
        borrower=borrower["barcode"],
        borrower_pin=_pin(borrower),
        pickup=ready_patron["barcode"],
        pickup_pin=_pin(ready_patron),
        fees=fee_patron["barcode"],
        blocked=blocked["barcode"],
        expired=expired_patron["barcode"],
        refused=refused["barcode"],
        available=tuple(available),
        reserved=reserved,
        on_loan_to_borrower=on_loan,
        ready_for_pickup=ready_item,
        unknown=unknown,
        titles={i["barcode"]: i["title"] for i in items},
        names={p["barcode"]: p["name"] for p in chosen},
        pins={p["barcode"]: _pin(p) for p in chosen if _pin(p)},
        languages={p["barcode"]: p.get("language") or "en" for p in chosen},
    )
