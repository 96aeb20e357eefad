"""Scan-to-screen latency of the kiosk: from the scanner's last byte on the pty to the item's
row drawn on the checkout list, p50/p99 over N scans, online (embedded central through the
outbox) and offline (the machine's own decision from its cached snapshot).

The whole demo machine runs (pty scanner simulator -> real driver -> bridge -> session ->
outbox -> central -> screen) under Textual's headless driver. Each scan is a different item,
so the double-scan window never hides one; refused checkouts (the loan limit) draw a row too
and are counted separately.

    python -m bench.ui_scan_latency [--scans 200] [--library hefei]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import tomllib

from kiosk.session import State
from kiosk.ui.demo import build_demo
from kiosk.ui.demo_data import fixture_path


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


async def measure(library: str, scans: int, offline: bool) -> tuple[list[float], int]:
    machine = build_demo(library)
    app, cast = machine.app, machine.cast
    data = tomllib.loads(fixture_path(library).read_text("utf-8"))
    loaned = {loan["item"] for loan in data.get("loan", [])}
    items = [
        i["barcode"]
        for i in data["item"]
        if i["barcode"] not in loaned and i.get("status", "available") == "available"
    ]
    latencies: list[float] = []
    drawn = asyncio.Event()
    stamps: list[float] = []

    def row_shown(row) -> None:  # type: ignore[no-untyped-def]
        app.call_after_refresh(lambda: (stamps.append(time.perf_counter()), drawn.set()))

    app.row_listeners.append(row_shown)
    applied = 0
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            machine.card_sim.scan(cast.borrower)
            while app.session.state is not State.PIN:
                await pilot.pause(0.02)
            await pilot.pause(0.2)
            for digit in cast.borrower_pin:
                await pilot.click(f"#pin-{digit}")
            await pilot.click("#pin-ok")
            while app.session.state is not State.ITEMS:
                await pilot.pause(0.02)
            if offline:
                machine.demo_network(False)
                await pilot.pause(0.3)
            app.settings  # noqa: B018 - keep the visit alive: no inactivity timeout below
            for index in range(scans):
                code = items[index % len(items)]
                drawn.clear()
                machine.scanner_sim.scan(code)  # returns once the last byte is written
                sent = time.perf_counter()
                await asyncio.wait_for(drawn.wait(), 30)
                latencies.append(stamps[-1] - sent)
                app.touch()
                if index % 20 == 19:  # a new visit keeps the loan limit from refusing all
                    applied += sum(1 for r in app.session.rows if r.ok)
                    app.session.rows.clear()
            applied += sum(1 for r in app.session.rows if r.ok)
    finally:
        machine.close()
    return latencies, applied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=200)
    parser.add_argument("--library", default="hefei")
    args = parser.parse_args()
    print(f"{'mode':<8} {'scans':>5} {'applied':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for offline in (False, True):
        latencies, applied = asyncio.run(measure(args.library, args.scans, offline))
        ms = [v * 1000 for v in latencies]
        print(
            f"{'offline' if offline else 'online':<8} {len(ms):>5} {applied:>7} "
            f"{statistics.median(ms):>8.1f} {percentile(ms, 99):>8.1f} {max(ms):>8.1f}"
        )


if __name__ == "__main__":
    main()
