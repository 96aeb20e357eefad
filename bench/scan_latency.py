"""Scan-to-event latency through a real pty at 9600 baud, against the wire time.

A simulated scanner sends a 14-digit library barcode plus CR (15 bytes) paced at 9600 baud
8N1, byte by byte, into a pty; the real driver (reader thread, framer, scanner) turns it into
a ``ScanEvent``. Latency runs from the moment the first byte starts on the "wire" to the
moment the event is handed to the application's ``emit``. The physical floor is the wire
time of those bytes: 15 × 10 bits / 9600 baud = 15.6 ms. Also measured: the time from the
last byte to the event (the driver's own overhead) and an unpaced burst.

    python -m bench.scan_latency [--scans 300]
"""

from __future__ import annotations

import argparse
import os
import platform
import queue
import statistics
import time
from datetime import UTC, datetime

from drivers.events import DeviceEvent, ScanEvent
from drivers.link import SerialSettings
from drivers.scanner import BarcodeScanner, ScannerSettings
from drivers.sim.port import PtyPort, byte_time
from drivers.sim.scanner import ScannerSim

BAUD = 9600


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
    return ordered[index]


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run(scans: int, paced: bool) -> tuple[list[float], list[float]]:
    arrivals: queue.Queue[tuple[float, str]] = queue.Queue()

    def emit(event: DeviceEvent) -> None:
        if isinstance(event, ScanEvent):
            arrivals.put((time.perf_counter(), event.code))

    sim = ScannerSim(PtyPort(), baudrate=BAUD if paced else None).start()
    scanner = BarcodeScanner(
        "bench", SerialSettings(sim.path, baudrate=BAUD), emit, ScannerSettings(duplicate_window=0)
    ).start()
    assert scanner.link.wait_connected(5)
    time.sleep(0.2)
    totals, after_last = [], []
    try:
        for n in range(scans):
            code = f"3123400{n:07d}"
            frame = sim.frame(code)
            start = time.perf_counter()
            sim.port.write(frame, BAUD if paced else None)
            last_byte = time.perf_counter()
            at, got = arrivals.get(timeout=5)
            if got != code:
                raise RuntimeError(f"expected {code}, got {got}")
            totals.append(at - start)
            after_last.append(at - last_byte)
            time.sleep(0.005)
    finally:
        scanner.stop()
        sim.stop()
    return totals, after_last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=300)
    args = parser.parse_args()
    frame_bytes = 15  # 14 digits + CR
    wire = frame_bytes * byte_time(BAUD)
    print(
        f"machine: {os.cpu_count()} cores, {cpu_model()}; Python {platform.python_version()}; "
        f"{datetime.now(UTC):%Y-%m-%d}"
    )
    print(
        f"frame: 14-digit barcode + CR = {frame_bytes} bytes; wire time at {BAUD} baud 8N1: "
        f"{wire * 1000:.2f} ms"
    )
    totals, after_last = run(args.scans, paced=True)
    p50, p99 = percentile(totals, 50), percentile(totals, 99)
    print(
        f"paced at {BAUD} baud, {len(totals)} scans: first byte -> event "
        f"p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, max {max(totals) * 1000:.2f} ms; "
        f"ratio to wire time p50 {p50 / wire:.3f}x, p99 {p99 / wire:.3f}x"
    )
    print(
        f"  last byte -> event: p50 {percentile(after_last, 50) * 1e6:.0f} us, "
        f"p99 {percentile(after_last, 99) * 1e6:.0f} us, "
        f"mean {statistics.mean(after_last) * 1e6:.0f} us"
    )
    burst, _ = run(args.scans, paced=False)
    print(
        f"unpaced burst (pty at full speed): write -> event p50 "
        f"{percentile(burst, 50) * 1e6:.0f} us, p99 {percentile(burst, 99) * 1e6:.0f} us"
    )


if __name__ == "__main__":
    main()
