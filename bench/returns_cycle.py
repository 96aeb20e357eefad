"""Return machine: the controller's software time per cycle against the mechanics.

Runs the real controller against the simulated I/O board and scanner on pty ports, with the
real drivers, the outbox (SQLite, synchronous=FULL) and the cycle journal, and times every
``handle()`` call of each cycle: state machine, sorting, journal commits and the check-in's
outbox commit (offline decision, so no network wait). What is *not* counted is the
mechanics (door, belt, diverter) and the serial transfer, which run concurrently.

The ceiling is 3600 s / software time per cycle: the items per hour the controller could
serve if the mechanics were infinitely fast, against a real sorter's 1.5-3 s per item
(1,200-2,400 items/hour).

    python -m bench.returns_cycle [--cycles 1000] [--mechanics 0.01]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

from drivers.sim.returnunit import ReturnUnitSim
from drivers.sim.scanner import ScannerSim
from kiosk.config.returns import BinConfig, BinRole, ReturnsConfig
from kiosk.outbox.store import Outbox
from kiosk.returns.build import build_return_machine
from kiosk.returns.controller import State, Step, Tick

BINS = (
    BinConfig(number=1, role=BinRole.RESHELVE),
    BinConfig(number=2, role=BinRole.HOLD_SHELF),
    BinConfig(number=3, role=BinRole.STAFF),
    BinConfig(number=4, role=BinRole.TRANSIT),
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(cycles: int, mechanics: float) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-returns-"))
    sim = ReturnUnitSim(bins=4, cycle_time=mechanics, bin_capacity=10**9).start()
    scanner = ScannerSim().start()
    outbox = Outbox(tmp / "outbox.db", "bench-return")
    snapshot = {
        "holds": {f"31{n:012d}": {"patron_alias": "AB-1234"} for n in range(0, cycles, 7)},
        "items": {f"31{n:012d}": {"title": "T", "format": "book"} for n in range(cycles)},
    }
    config = ReturnsConfig(
        bins=BINS, read_timeout=1.0, jam_timeout=1.0, transport_timeout=2.0, door_timeout=1.0
    )
    machine = build_return_machine(
        config,
        board_url=sim.path,
        scanner_url=scanner.path,
        outbox=outbox,
        online=lambda: False,
        snapshot=lambda: snapshot,
        data_dir=tmp,
        tick=0.002,
    )
    controller = machine.controller
    handle = controller.handle
    current = [0.0]
    per_cycle: list[float] = []
    per_event: list[float] = []
    idle_ticks: list[float] = []
    done = threading.Condition()

    def timed(event: object, now: float | None = None) -> Step:
        start = time.perf_counter()
        deadline = controller._deadline  # to tell a firing tick from a no-op
        step = handle(event, now)
        spent = time.perf_counter() - start
        if isinstance(event, Tick) and (deadline is None or event.now < deadline):
            idle_ticks.append(spent)
        else:
            per_event.append(spent)
            current[0] += spent
        if step.finished:
            per_cycle.append(current[0])
            current[0] = 0.0
            with done:
                done.notify_all()
        return step

    controller.handle = timed  # type: ignore[method-assign]
    machine.start()
    machine.started.wait(5)
    wall_start = time.perf_counter()
    for n in range(cycles):
        with done:
            done.wait_for(lambda: controller.state is State.IDLE, 10)
        current[0] = 0.0
        sim.present_item()
        scanner.scan(f"31{n:012d}")
        with done:
            if not done.wait_for(lambda n=n: len(per_cycle) > n, 10):
                raise SystemExit(f"cycle {n} did not finish (state {controller.state})")
    wall = time.perf_counter() - wall_start
    machine.stop()
    sim.stop()
    scanner.stop()
    outbox.close()
    p50, p99 = _pct(per_cycle, 0.50), _pct(per_cycle, 0.99)
    return {
        "cycles": len(per_cycle),
        "p50_ms": p50 * 1000,
        "p99_ms": p99 * 1000,
        "mean_ms": statistics.fmean(per_cycle) * 1000,
        "events_per_cycle": len(per_event) / len(per_cycle),
        "idle_tick_us": statistics.fmean(idle_ticks) * 1e6 if idle_ticks else 0.0,
        "ceiling_p50": 3600 / p50,
        "ceiling_p99": 3600 / p99,
        "wall_per_item_ms": wall / cycles * 1000,
        "mechanics_ms": mechanics * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument(
        "--mechanics",
        type=float,
        default=0.01,
        help="simulated sorter cycle time in seconds (real: 1.5-3)",
    )
    args = parser.parse_args()
    r = run(args.cycles, args.mechanics)
    load = os.getloadavg()[0]
    print(
        f"machine: {os.cpu_count()} cores, {_cpu_model()}, Python "
        f"{platform.python_version()}, {date.today()}, load average {load:.1f}"
    )
    print(
        f"{r['cycles']:.0f} cycles; {r['events_per_cycle']:.1f} events handled per cycle; "
        f"idle tick {r['idle_tick_us']:.1f} us"
    )
    print(
        f"software time per cycle: p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms "
        f"(mean {r['mean_ms']:.2f} ms)"
    )
    print(f"ceiling: {r['ceiling_p50']:,.0f} items/hour at p50, {r['ceiling_p99']:,.0f} at p99")
    for real in (1.5, 3.0):
        print(
            f"  vs a {real} s sorter ({3600 / real:,.0f} items/hour): software is "
            f"{r['p99_ms'] / (real * 1000):.2%} of the cycle at p99 "
            f"(headroom {real * 1000 / r['p99_ms']:,.0f}x)"
        )
    print(
        f"end to end with {r['mechanics_ms']:.0f} ms simulated mechanics: "
        f"{r['wall_per_item_ms']:.1f} ms per item (mechanics + serial round trips + patron)"
    )


if __name__ == "__main__":
    main()
