"""Test doubles for the controller's unit tests (the pty tests use the real board)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from kiosk.clock import FixedClock
from kiosk.returns.ports import CheckinOutcome, CheckinRequest, HoldSlip

if TYPE_CHECKING:
    pass

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def clock() -> FixedClock:
    return FixedClock(NOW)


@dataclass
class RecordingBoard:
    """Records every command; sensors are set by the test."""

    commands: list[str] = field(default_factory=list)
    intake: bool = False
    door_is_closed: bool = True
    diverter: bool = False

    def open_door(self) -> None:
        self.commands.append("DOOR OPEN")

    def close_door(self) -> None:
        self.commands.append("DOOR CLOSE")

    def run_conveyor(self) -> None:
        self.commands.append("CONV RUN")

    def stop_conveyor(self) -> None:
        self.commands.append("CONV STOP")

    def reverse_conveyor(self) -> None:
        self.commands.append("CONV REV")

    def divert(self, bin_number: int) -> None:
        self.commands.append(f"DIVERT {bin_number}")

    def lamp(self, colour: str, blink: bool = False) -> None:
        self.commands.append(f"LAMP {colour}" + (" BLINK" if blink else ""))

    def intake_blocked(self) -> bool:
        return self.intake

    def diverter_blocked(self) -> bool:
        return self.diverter

    def door_closed(self) -> bool:
        return self.door_is_closed

    def motion(self) -> list[str]:
        return [c for c in self.commands if not c.startswith("LAMP")]


CATALOG: dict[str, CheckinOutcome] = {
    "31000000000001": CheckinOutcome("31000000000001", "", "reshelve", title="Book", format="book"),
    "31000000000002": CheckinOutcome(
        "31000000000002",
        "",
        "hold_shelf",
        title="Held",
        format="book",
        hold_patron_alias="AB-1234",
        pickup_branch="main",
    ),
    "31000000000003": CheckinOutcome(
        "31000000000003", "", "transit", title="Elsewhere", format="book"
    ),
    "31000000000004": CheckinOutcome(
        "31000000000004",
        "",
        "staff",
        title="Damaged",
        format="book",
        alert="item_status_needs_staff",
    ),
    "31000000000005": CheckinOutcome(
        "31000000000005", "", "reshelve", title="Film", format="dvd", fine=Decimal("0.30")
    ),
}


@dataclass
class MemoryCheckin:
    """Idempotent by UUID, like the outbox; counts what it recorded."""

    catalog: dict[str, CheckinOutcome] = field(default_factory=lambda: dict(CATALOG))
    recorded: dict[str, CheckinOutcome] = field(default_factory=dict)
    calls: int = 0
    offline: bool = False

    def check_in(self, request: CheckinRequest) -> CheckinOutcome:
        self.calls += 1
        if request.tx_uuid in self.recorded:
            return replace(self.recorded[request.tx_uuid], duplicate=True)
        known = self.catalog.get(request.item)
        if known is None:
            outcome = CheckinOutcome(
                request.item, request.tx_uuid, "staff", known=False, offline=self.offline
            )
        else:
            outcome = replace(known, tx_uuid=request.tx_uuid, offline=self.offline)
        self.recorded[request.tx_uuid] = outcome
        return outcome

    def is_recorded(self, tx_uuid: str) -> bool:
        return tx_uuid in self.recorded


@dataclass
class SlipCollector:
    slips: list[HoldSlip] = field(default_factory=list)

    def print_hold_slip(self, slip: HoldSlip) -> None:
        self.slips.append(slip)


DROP_BINS = [
    {"number": 1, "role": "reshelve"},
    {"number": 2, "role": "hold_shelf"},
    {"number": 3, "role": "transit"},
    {"number": 4, "role": "staff"},
]
"""A four-bin drop as ``[returns] bins`` (for machine configurations in tests)."""


async def until(pilot, predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Let a Textual app run until ``predicate`` holds (a loaded machine may be slow)."""
    import time

    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


def quick_return_demo(library: str, tmp_path):
    """``kiosk demo --mode return``'s machine with short timeouts and a fast belt, for the
    screen tests (close it after)."""
    from kiosk.config.returns import ReturnsConfig
    from kiosk.returns.demo import DEMO_BINS, build_return_demo

    config = ReturnsConfig(
        bins=DEMO_BINS,
        journal=str(tmp_path / "returns.db"),
        read_timeout=0.5,
        door_timeout=1.0,
        transport_timeout=2.0,
        jam_timeout=0.5,
        reverse_seconds=0.02,
    )
    return build_return_demo(library, data_dir=tmp_path, cycle_time=0.1, config=config)


def hamburg_drop(tmp_path, *, printer: bool = False):
    """An embedded Hamburg central and the config of a four-bin drop wired to it over `sim:`
    devices (scanner, return unit and, with ``printer``, a receipt printer)."""
    from kiosk.central import open_central
    from kiosk.central.security import PinHasher
    from kiosk.central.services import load_fixture
    from kiosk.config import MachineConfig
    from kiosk.returns.demo import fixture_path

    central = open_central(f"sqlite:///{tmp_path / 'central.db'}")
    load_fixture(fixture_path("hamburg"), central.sessions, PinHasher(central.settings), None)
    devices: dict[str, dict[str, object]] = {
        "belt": {"kind": "return_unit", "url": "sim:", "bins": 4},
        "reader": {"kind": "scanner", "url": "sim:"},
    }
    if printer:
        devices["paper"] = {"kind": "printer", "url": "sim:", "poll_interval": 0.5}
    config = MachineConfig(
        machine_id="drop-1",
        library="hamburg",
        mode="return",
        devices=devices,
        outbox={"path": str(tmp_path / "queue.db")},
        returns={"bins": DROP_BINS, "journal": str(tmp_path / "returns.db")},
    )
    return central, config
