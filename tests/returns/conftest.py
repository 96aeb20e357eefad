"""A return machine on real pty serial ports: the I/O board and scanner simulators, the real
drivers, the real outbox (SQLite file) and the cycle journal, with mechanics sped up."""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from drivers.sim.returnunit import ReturnUnitSim
from drivers.sim.scanner import ScannerSim
from kiosk.config.returns import BinConfig, BinRole, ReturnsConfig
from kiosk.outbox.store import Outbox
from kiosk.returns.build import build_return_machine
from kiosk.returns.controller import State, Step, Tick
from kiosk.returns.runner import ReturnMachine
from tests.returns.helpers import clock

CYCLE = 0.05
"""The simulated mechanics' cycle time (seconds); real machines take 1.5-3 s."""

BINS = (
    BinConfig(number=1, role=BinRole.RESHELVE, formats=("book",)),
    BinConfig(number=2, role=BinRole.HOLD_SHELF),
    BinConfig(number=3, role=BinRole.STAFF),
    BinConfig(number=4, role=BinRole.TRANSIT),
    BinConfig(number=5, role=BinRole.OVERFLOW),
)

SNAPSHOT = {
    "holds": {"31000000000002": {"patron_alias": "AB-1234", "pickup_branch": "main"}},
    "items": {
        "31000000000001": {"title": "Book", "format": "book"},
        "31000000000003": {"title": "Elsewhere", "format": "book", "destination": "transit"},
    },
}


def scaled_config(cycle: float = CYCLE, **overrides: object) -> ReturnsConfig:
    values: dict[str, object] = dict(
        bins=BINS,
        read_timeout=max(0.1, cycle * 3),
        read_attempts=2,
        jam_timeout=max(0.05, cycle * 2),
        reverse_seconds=cycle * 0.3,
        transport_timeout=max(0.4, cycle * 10),
        door_timeout=max(0.2, cycle * 4),
        take_back_timeout=5.0,
    )
    values.update(overrides)
    return ReturnsConfig(**values)  # type: ignore[arg-type]


class CountingSim(ReturnUnitSim):
    """The simulator, plus a tally of drops per bin that "bin emptied" does not reset."""

    poll = 0.005
    """Seconds the simulator waits for input between mechanics ticks (its time step)."""

    def __init__(self, *args: object, poll: float = 0.005, **kwargs: object) -> None:
        self.dropped: Counter[int] = Counter()
        self.poll = poll
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def _run(self) -> None:  # the base loop, with a finer time step for fast soaks
        while not self._stop.is_set():
            data = self.port.read(self.poll)
            if data:
                self.received.extend(data)
                self.on_bytes(data)
            self.tick(time.monotonic())

    def _drop_into(self, bin_number: int) -> None:
        self.dropped[bin_number] += 1
        super()._drop_into(bin_number)

    def bin_full(self, bin_number: int = 1) -> None:
        with self._lock:
            self.dropped[bin_number] -= 1  # the simulator fills a bin by a drop of no item
            super().bin_full(bin_number)

    def power_cycle_keeping_items(self) -> None:
        """Power loss as it really is: the items stay where they are, the board forgets."""
        with self._lock:
            items, counts, full = list(self.items), list(self.bin_counts), list(self.full)
            self.power_cycle()
            self.items, self.bin_counts, self.full = items, counts, full


@dataclass
class Rig:
    tmp: Path
    config: ReturnsConfig
    sim: CountingSim
    scanner: ScannerSim
    outbox: Outbox
    machine: ReturnMachine | None = None
    snapshot: dict[str, object] = field(default_factory=lambda: SNAPSHOT)
    ack_timeout: float = 0.3
    trace: deque[str] = field(default_factory=lambda: deque(maxlen=60))
    """The last events the controller handled (shown when a soak fails)."""
    changed: threading.Condition = field(default_factory=threading.Condition)

    def build(self) -> ReturnMachine:
        machine = build_return_machine(
            self.config,
            board_url=self.sim.path,
            scanner_url=self.scanner.path,
            outbox=self.outbox,
            online=lambda: False,
            snapshot=lambda: self.snapshot,
            data_dir=self.tmp,
            clock=clock(),
            ack_timeout=self.ack_timeout,
            tick=0.002,
        )
        machine.controller.listeners.append(self._on_step)
        handle = machine.controller.handle

        def traced(event: object, now: float | None = None) -> Step:
            step = handle(event, now)
            if not isinstance(event, Tick):
                self.trace.append(f"{time.monotonic():.4f} {event!r:.90} -> {step.state}")
            return step

        machine.controller.handle = traced  # type: ignore[method-assign]
        self.machine = machine
        return machine

    def _on_step(self, step: Step) -> None:
        with self.changed:
            self.changed.notify_all()

    def start(self) -> ReturnMachine:
        machine = self.build().start()
        assert machine.started.wait(5)
        self.wait_for(lambda: self.state is State.IDLE, what="idle after start")
        return machine

    def restart(self) -> ReturnMachine:
        """Software restart: the controller process dies and comes back; the board runs on."""
        assert self.machine is not None
        self.machine.stop()
        self.machine = None
        machine = self.build().start()
        assert machine.started.wait(5)
        return machine

    @property
    def state(self) -> State:
        assert self.machine is not None
        return self.machine.controller.state

    def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 10.0, what: str = ""
    ) -> None:
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {what or predicate}; state {self.state}"
                    )
                self.changed.wait(min(left, 0.01))

    def wait_state(self, *states: State, timeout: float = 10.0) -> None:
        self.wait_for(lambda: self.state in states, timeout, what=f"state in {states}")

    def return_item(self, code: str | None) -> None:
        """A patron pushes an item in; the fixed scanner reads it (``None``: it cannot)."""
        self.sim.present_item()
        if code is not None:
            self.scanner.scan(code)

    def checkins(self) -> Counter[str]:
        return Counter(r.payload["item"] for r in self.outbox.rows() if r.kind == "checkin")


@pytest.fixture
def make_rig(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    rigs: list[Rig] = []

    def make(cycle: float = CYCLE, sub: str = "m", poll: float = 0.005, **overrides: object) -> Rig:
        base = tmp_path / sub
        base.mkdir()
        sim = CountingSim(bins=5, cycle_time=cycle, bin_capacity=10_000, poll=poll).start()
        scanner = ScannerSim().start()
        outbox = Outbox(base / "outbox.db", f"return-{sub}")
        rig = Rig(base, scaled_config(cycle, **overrides), sim, scanner, outbox)  # type: ignore[arg-type]
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        if rig.machine is not None:
            rig.machine.stop()
        rig.sim.stop()
        rig.scanner.stop()
        rig.outbox.close()
