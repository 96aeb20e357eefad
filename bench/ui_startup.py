"""Cold start of ``kiosk demo`` to its first interactive screen, and its resident memory.

Runs ``kiosk demo`` in a fresh process on a pseudo-terminal (as a kiosk's console would)
and waits for the app's trace line written once the welcome screen is drawn. Three runs:
a first start that loads the library's demo fixture (every PIN hashed with argon2), a start
over an already loaded store, and the peer: a minimal Textual app with one button started
the same way. RSS is read from /proc at the first screen.

    python -m bench.ui_startup [--runs 3] [--library hefei]
"""

from __future__ import annotations

import argparse
import os
import pty
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PEER = """
import json, os, sys
from textual.app import App
from textual.widgets import Button
class Peer(App):
    def compose(self):
        yield Button("Start", id="start")
    def on_mount(self):
        self.call_after_refresh(self.ready)
    def ready(self):
        with open(os.environ["KIOSK_UI_TRACE"], "a") as f:
            f.write(json.dumps({"screen": "peer"}) + "\\n")
Peer().run()
"""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start(command: list[str], trace: Path, timeout: float = 120.0) -> tuple[float, float]:
    """Seconds from spawn to the first trace line, and RSS (MiB) then."""
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "KIOSK_UI_TRACE": str(trace),
        "TERM": "xterm-256color",
        "COLUMNS": "120",
        "LINES": "40",
    }
    began = time.perf_counter()
    process = subprocess.Popen(
        command, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=ROOT, close_fds=True
    )
    os.close(slave)
    try:
        while not (trace.exists() and trace.stat().st_size > 0):
            if process.poll() is not None or time.perf_counter() - began > timeout:
                raise RuntimeError(f"{command[2:]} did not show a screen")
            try:  # keep the pty drained so the app never blocks writing to it
                os.read(master, 65536) if _readable(master) else time.sleep(0.005)
            except OSError:
                time.sleep(0.005)
        elapsed = time.perf_counter() - began
        memory = rss_mib(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        os.close(master)
    return elapsed, memory


def _readable(fd: int) -> bool:
    import select

    return bool(select.select([fd], [], [], 0.005)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--library", default="hefei")
    args = parser.parse_args()
    demo = [sys.executable, "-m", "kiosk.cli", "demo", "--library", args.library]
    results: dict[str, list[tuple[float, float]]] = {"fresh": [], "loaded": [], "peer": []}
    for run in range(args.runs):
        with tempfile.TemporaryDirectory() as folder:
            data = Path(folder) / "data"
            results["fresh"].append(start([*demo, "--data-dir", str(data)], Path(folder) / "a"))
            results["loaded"].append(start([*demo, "--data-dir", str(data)], Path(folder) / "b"))
            peer = Path(folder) / "peer.py"
            peer.write_text(PEER)
            results["peer"].append(start([sys.executable, str(peer)], Path(folder) / "c"))
        print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1][0]:.2f} s" for k, v in results.items()))
    peer_time = statistics.median(t for t, _ in results["peer"])
    peer_rss = statistics.median(m for _, m in results["peer"])
    print(f"{'start':<40} {'median s':>9} {'RSS MiB':>8} {'× peer time':>12} {'× peer RSS':>11}")
    labels = {
        "fresh": "kiosk demo, first run (loads fixture)",
        "loaded": "kiosk demo, store already loaded",
        "peer": "minimal Textual app (peer)",
    }
    for key, label in labels.items():
        elapsed = statistics.median(t for t, _ in results[key])
        memory = statistics.median(m for _, m in results[key])
        print(
            f"{label:<40} {elapsed:>9.2f} {memory:>8.1f} {elapsed / peer_time:>11.1f}× "
            f"{memory / peer_rss:>10.1f}×"
        )


if __name__ == "__main__":
    main()
