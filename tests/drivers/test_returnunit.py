"""The return machine's I/O board driver against the mechanical simulator on a real pty."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from drivers.events import (
    BinCleared,
    BinFull,
    BoardReset,
    CommandFailed,
    DeviceBack,
    DeviceLost,
    DoorClosed,
    DoorObstructed,
    DoorOpened,
    EmergencyStop,
    IntakeCleared,
    ItemPassedDiverter,
    ItemPresent,
    Jam,
    JamCleared,
)
from drivers.link import SerialSettings
from drivers.returnunit import Conveyor, Lamp, ReturnUnit, ReturnUnitSettings
from drivers.sim.port import PtyPort
from drivers.sim.returnunit import ReturnUnitSim

from .conftest import Events, wait_until

CYCLE = 0.4


@pytest.fixture
def sim(tmp_path) -> Iterator[ReturnUnitSim]:
    with ReturnUnitSim(PtyPort(link=tmp_path / "io"), cycle_time=CYCLE, bin_capacity=3) as sim:
        yield sim


@pytest.fixture
def unit(sim: ReturnUnitSim, events: Events) -> Iterator[ReturnUnit]:
    settings = ReturnUnitSettings(ack_timeout=0.25, retries=3, jam_timeout=0.6)
    with ReturnUnit("return", SerialSettings(sim.path), events.put, settings) as unit:
        assert unit.link.wait_connected(3)
        yield unit


def ok(future) -> None:  # type: ignore[no-untyped-def]
    result = future.result(5)
    assert result.ok, result


def test_full_return_cycle(sim, unit, events) -> None:
    ok(unit.lamp(Lamp.GREEN))
    sim.present_item()
    events.wait_for(ItemPresent)
    ok(unit.open_door())
    events.wait_for(DoorOpened)
    ok(unit.divert(2))
    ok(unit.run_conveyor())
    events.wait_for(IntakeCleared)
    passed = events.wait_for(ItemPassedDiverter)
    assert passed.bin == 2
    ok(unit.stop_conveyor())
    ok(unit.close_door())
    events.wait_for(DoorClosed)
    assert sim.bin_counts[2] == 1
    assert sim.commands == [
        "LAMP GREEN",
        "DOOR OPEN",
        "DIVERT 2",
        "CONV RUN",
        "CONV STOP",
        "DOOR CLOSE",
    ]
    status = unit.query_status().result(5)
    assert status.fields["DOOR"] == "CLOSED" and status.fields["DIVERT"] == "2"
    assert status.fields["LAMP"] == "GREEN"


def test_bin_fills_and_is_emptied(sim, unit, events) -> None:
    ok(unit.divert(3))
    ok(unit.run_conveyor())
    for _ in range(3):
        sim.present_item()
        events.wait_for(ItemPassedDiverter, bin=3)
    assert events.wait_for(BinFull).bin == 3
    assert unit.full_bins == {3}
    sim.empty_bin(3)
    assert events.wait_for(BinCleared).bin == 3
    sim.bin_full(1)  # injected directly
    assert events.wait_for(BinFull).bin == 1


def test_jam_is_detected_by_timeout_and_cleared_by_reversing(sim, unit, events) -> None:
    sim.jam()
    sim.present_item()
    ok(unit.run_conveyor())
    jam = events.wait_for(Jam, timeout=4)
    assert jam.eye == "diverter" and jam.blocked_for >= 0.6
    assert not [e for e in events.seen if isinstance(e, ItemPassedDiverter)]
    ok(unit.reverse_conveyor())
    assert events.wait_for(JamCleared).eye == "diverter"
    assert unit.conveyor is Conveyor.REVERSE
    # Reversing carried the item back from the eye: it has not passed the diverter yet.
    assert not [e for e in events.seen if isinstance(e, ItemPassedDiverter)]
    assert sum(sim.bin_counts) == 0
    ok(unit.run_conveyor())  # forward again: now it passes, once, into its bin
    assert events.wait_for(ItemPassedDiverter, timeout=4).bin == 1
    assert sim.bin_counts[1] == 1


def test_jam_cleared_by_technician_item_goes_to_its_bin(sim, unit, events) -> None:
    ok(unit.run_conveyor())
    sim.jam()
    sim.present_item()
    events.wait_for(Jam, timeout=4)
    sim.clear_jam()
    events.wait_for(JamCleared)
    assert events.wait_for(ItemPassedDiverter).bin == 1


def test_patron_holding_an_item_is_not_a_jam(sim, unit, events) -> None:
    sim.present_item()
    events.wait_for(ItemPresent)
    time.sleep(0.9)  # longer than the jam timeout, belt stopped
    assert not [e for e in events.seen if isinstance(e, Jam)]
    sim.take_back()
    events.wait_for(IntakeCleared)


def test_door_obstructed(sim, unit, events) -> None:
    ok(unit.open_door())
    events.wait_for(DoorOpened)
    sim.obstruct()
    ok(unit.close_door())
    events.wait_for(DoorObstructed)
    events.wait_for(DoorOpened)  # the board re-opens the door
    sim.clear_obstruction()
    ok(unit.close_door())
    events.wait_for(DoorClosed)


def test_emergency_stop_refuses_motion(sim, unit, events) -> None:
    ok(unit.run_conveyor())
    sim.estop()
    assert events.wait_for(EmergencyStop).active
    assert unit.conveyor is Conveyor.STOP
    result = unit.open_door().result(5)
    assert (result.ok, result.code) == (False, "ESTOP")
    assert events.wait_for(CommandFailed).command == "DOOR OPEN"
    ok(unit.lamp(Lamp.RED, blink=True))  # the lamp still works
    sim.release_estop()
    assert not events.wait_for(EmergencyStop).active
    ok(unit.open_door())


def test_slow_board_answers_within_retries(sim, unit, events) -> None:
    sim.slow(0.35)  # longer than one ack timeout, shorter than all attempts
    result = unit.divert(2).result(5)
    assert result.ok and result.attempts >= 2
    assert sim.commands.count("DIVERT 2") == 1  # a repeated sequence number is not redone
    assert unit.diverter == 2


def test_lost_acknowledgement_is_retried(sim, unit, events) -> None:
    sim.drop_acks(1)
    result = unit.run_conveyor().result(5)
    assert result.ok and result.attempts >= 2


def test_unacknowledged_command_becomes_a_fault_event(sim, unit, events) -> None:
    sim.drop_acks(10)
    result = unit.open_door().result(5)
    assert (result.ok, result.code, result.attempts) == (False, "TIMEOUT", 4)
    failed = events.wait_for(CommandFailed)
    assert failed.command == "DOOR OPEN" and "TIMEOUT" in failed.reason


def test_bad_commands_and_garbage(sim, unit, events) -> None:
    assert unit.divert(9).result(1).code == "RANGE"  # refused before it is sent
    assert unit.send("DIVERT 7").result(5).code == "RANGE"  # refused by the board
    assert unit.send("FLY AWAY").result(5).code == "BADCMD"
    sim.garbage(20)
    assert wait_until(lambda: unit.rejected >= 1)
    ok(unit.ping())


def test_unplug_fails_commands_fast_and_replug_recovers(sim, unit, events) -> None:
    sim.unplug()
    events.wait_for(DeviceLost)
    started = time.monotonic()
    result = unit.open_door().result(5)
    assert (result.ok, result.code) == (False, "OFFLINE")
    assert time.monotonic() - started < 0.5
    sim.replug()
    events.wait_for(DeviceBack, timeout=6)
    ok(unit.open_door())


def test_power_cycle_announces_reset(sim, unit, events) -> None:
    ok(unit.divert(3))
    ok(unit.run_conveyor())
    sim.power_cycle()
    reset = events.wait_for(BoardReset)
    assert reset.firmware.startswith("SIM-IO")
    assert (unit.conveyor, unit.diverter) == (Conveyor.STOP, 1)
