"""How fast the rules answer: profile load, decisions per second, barcode scans per second.

Run: ``python -m bench.policy_decisions``. The budget a decision must fit in is the machine's
online wait for central (about 1.5 s) and, offline, a scan-to-screen time a patron does not
notice (about 100 ms); the figures show how small a part of that the rules take. For the
barcode chain the peer is ``stdnum.luhn.is_valid`` alone (the check digit of the same scan
without normalising or classifying).
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dtime
from decimal import Decimal
from zoneinfo import ZoneInfo

from stdnum import luhn

from kiosk.domain import Fee, FeeKind, Item, Loan, Patron, PatronAccount
from kiosk.domain.barcode import BarcodeChain
from kiosk.policy import (
    check_checkin,
    check_checkout,
    check_place_hold,
    check_renew,
    fine_for,
    load_profile,
)

CARDS = {"hefei": "3401010000001", "hamburg": "21234000012346", "sanjose": "21234000012346"}


def rate(fn: Callable[[], object], seconds: float = 0.5) -> float:
    """Calls per second of ``fn`` over about ``seconds``."""
    count = 0
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(100):
            fn()
        count += 100
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - start)


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, {cpu_model()}, Python {platform.python_version()}")
    print(f"date: {date.today().isoformat()}")
    for name in ("hefei", "hamburg", "sanjose"):
        started = time.perf_counter()
        profile = load_profile(name)
        load_ms = (time.perf_counter() - started) * 1000
        zone = ZoneInfo(profile.timezone)
        now = datetime.combine(date(2026, 11, 23), dtime(12), tzinfo=zone)
        patron = Patron(CARDS[name], "Bench", "adult")
        items = [Item(f"3123400000{i:04d}", "T", "book") for i in range(4)]
        loans = tuple(
            Loan(patron.barcode, it.barcode, now - timedelta(10), date(2026, 12, 1)) for it in items
        )
        account = PatronAccount(
            patron,
            loans=loans,
            fees=(Fee(patron.barcode, FeeKind.HOLD, Decimal("2.00")),),
            credit=Decimal("3.00"),
        )
        book = Item("31234000019999", "T", "book")
        late = Loan(patron.barcode, book.barcode, now - timedelta(60), date(2026, 10, 1))
        figures = {
            "checkout": rate(lambda: check_checkout(profile, account, book, now)),  # noqa: B023
            "checkin+fine": rate(
                lambda: check_checkin(profile, book, now, loan=late, borrower=patron)  # noqa: B023
            ),
            "renew": rate(lambda: check_renew(profile, account, loans[0], items[0], now)),  # noqa: B023
            "hold": rate(lambda: check_place_hold(profile, account, "book", now)),  # noqa: B023
            "fine_for (60 days)": rate(lambda: fine_for(profile, late, book, patron, now)),  # noqa: B023
        }
        print(f"{name}: load_profile {load_ms:.1f} ms")
        for label, per_second in figures.items():
            print(f"  {label:<20} {per_second:>10,.0f}/s  ({1e6 / per_second:6.1f} µs each)")
    chain = BarcodeChain(load_profile("sanjose").barcodes.rules)
    scan = "A30234000517861B"
    ours = rate(lambda: chain.classify(scan))
    peer = rate(lambda: luhn.is_valid("30234000517861"))
    print(f"barcode chain classify: {ours:,.0f}/s; stdnum.luhn.is_valid alone: {peer:,.0f}/s")
    print(f"ratio chain/peer time: {peer / ours:.2f}x")


if __name__ == "__main__":
    main()
