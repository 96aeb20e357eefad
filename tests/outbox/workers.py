"""Code the fault tests run in child processes: a patron workload and a logging forwarder."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Sequence

from kiosk.domain import Transaction
from kiosk.outbox.forwarder import Backoff, Forwarder
from kiosk.outbox.http import HttpTarget
from kiosk.outbox.store import Delivery, Outbox
from tests.outbox.conftest import ITEMS, PATRONS


def checkout_or_checkin(rng: random.Random) -> tuple[str, dict[str, str]]:
    item = rng.choice(ITEMS)
    if rng.random() < 0.55:
        return "checkout", {"patron": rng.choice(PATRONS), "item": item}
    return "checkin", {"item": item}


def crash_workload(path: str, machine: str, url: str, secret: str, seed: int, told_fd: int) -> None:
    """Runs until killed: enqueue (with the forwarder draining alongside) and, only after
    each enqueue returned, write ``seq uuid`` to ``told_fd`` - what the patron was told."""
    rng = random.Random(seed)
    box = Outbox(path, machine, min_free_bytes=0)
    forwarder = Forwarder(
        box,
        HttpTarget(url, machine, secret, timeout_s=2.0, connect_timeout_s=1.0),
        batch_size=rng.choice([1, 7, 50]),
        idle_poll_s=0.02,
        backoff=Backoff(base_s=0.01, max_s=0.1, rng=rng),
        heartbeat_every_s=3600,
    )
    forwarder.start()
    while True:
        kind, payload = checkout_or_checkin(rng)
        tx = box.enqueue(kind, payload)
        os.write(told_fd, f"{tx.seq} {tx.uuid}\n".encode())
        if rng.random() < 0.3:
            time.sleep(rng.uniform(0, 0.004))


class LoggingTarget(HttpTarget):
    """An HTTP target that logs each send's interval and rows (one JSON line, O_APPEND)."""

    def __init__(self, log_path: str, owner: str, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._owner = owner

    def send(self, transactions: Sequence[Transaction]) -> list[Delivery]:
        seqs = [t.seq for t in transactions]
        self._line({"owner": self._owner, "event": "start", "t": time.time(), "seqs": seqs})
        time.sleep(0.01)  # widen each send so an overlap would show
        try:
            return super().send(transactions)
        finally:
            self._line({"owner": self._owner, "event": "end", "t": time.time(), "seqs": seqs})

    def _line(self, data: dict[str, object]) -> None:
        os.write(self._fd, (json.dumps(data) + "\n").encode())


def forward_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    for name in ("path", "machine", "url", "secret", "log", "owner"):
        parser.add_argument(name)
    args = parser.parse_args(argv)
    box = Outbox(args.path, args.machine, min_free_bytes=0)
    target = LoggingTarget(args.log, args.owner, args.url, args.machine, args.secret)
    forwarder = Forwarder(box, target, batch_size=10, idle_poll_s=0.02, lease_s=30.0)
    forwarder.drain(120)
    return 0


if __name__ == "__main__":
    sys.exit(forward_main(sys.argv[1:]))
