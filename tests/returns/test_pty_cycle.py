"""The controller driving the simulated I/O board and scanner over real pty serial ports."""

from __future__ import annotations

from collections.abc import Callable

from kiosk.returns.controller import State
from kiosk.returns.journal import Stage
from tests.returns.conftest import Rig


def test_one_return_end_to_end(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.start()
    rig.return_item("31000000000001")
    rig.wait_for(lambda: rig.sim.dropped[1] == 1, what="drop into bin 1")
    rig.wait_state(State.IDLE)
    assert rig.sim.door == "CLOSED" and rig.sim.conveyor == "STOP"
    [cycle] = rig.machine.controller.journal.cycles()
    assert cycle.stage is Stage.DONE and cycle.bin == 1
    assert rig.checkins() == {"31000000000001": 1}
    [row] = rig.outbox.rows()
    assert row.mode == "offline" and row.uuid == cycle.tx_uuid


def _done(rig: Rig, count: int) -> None:
    rig.wait_for(
        lambda: (
            sum(1 for c in rig.machine.controller.journal.cycles() if c.stage is Stage.DONE)
            >= count
            and rig.state is State.IDLE
        ),
        what=f"{count} finished cycles",
    )


def test_sorting_to_every_bin(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.start()
    expected = {
        "31000000000001": 1,  # a book to reshelve
        "31000000000002": 2,  # a cached hold (offline)
        "31000000000003": 4,  # another branch's item
        "39999999999999": 3,  # unknown offline: staff
    }
    for n, code in enumerate(expected, start=1):
        rig.return_item(code)
        _done(rig, n)
    bins = {c.barcode: c.bin for c in rig.machine.controller.journal.cycles()}
    assert bins == expected
    assert dict(rig.sim.dropped) == {1: 1, 2: 1, 3: 1, 4: 1}
    assert rig.checkins() == dict.fromkeys(expected, 1)
    assert rig.machine.controller.counters() == {1: 1, 2: 1, 3: 1, 4: 1, 5: 0}


def test_unreadable_please_try_again_then_a_good_read(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.start()
    rig.return_item(None)
    rig.wait_state(State.TAKE_BACK)
    assert rig.machine.controller.notice.key == "returns.try_again"
    assert rig.sim.door == "CLOSED" and sum(rig.sim.dropped.values()) == 0
    rig.sim.take_back()
    rig.wait_state(State.IDLE)
    rig.return_item("31000000000001")
    _done(rig, 1)
    assert rig.sim.dropped == {1: 1}


def test_garbled_reads_then_unreadable_into_the_staff_bin(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(unreadable_to_staff=True)
    rig.start()
    rig.sim.present_item()
    rig.scanner.scan("#?~")
    _done(rig, 1)
    assert rig.sim.dropped == {3: 1}
    assert rig.checkins() == {}
    [cycle] = rig.machine.controller.journal.cycles()
    assert cycle.barcode is None and cycle.bin == 3


def test_a_second_item_is_refused_until_the_first_is_clear(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(cycle=0.3)
    rig.start()
    rig.return_item("31000000000001")
    rig.wait_state(State.TRANSPORT)
    rig.sim.present_item()
    rig.wait_state(State.HELD)
    rig.wait_for(lambda: rig.sim.conveyor == "STOP", what="belt stopped")
    assert rig.machine.controller.notice.key == "returns.one_at_a_time"
    rig.sim.take_back()
    _done(rig, 1)
    assert rig.sim.dropped == {1: 1} and rig.checkins() == {"31000000000001": 1}


def test_a_jam_is_reversed_and_retried(make_rig: Callable[..., Rig]) -> None:
    # slow enough that a brief reversal cannot carry the item back out, even on a busy CPU
    rig = make_rig(cycle=0.3, jam_timeout=0.3, reverse_seconds=0.05)
    rig.start()
    rig.sim.jam()  # the next item sticks at the diverter eye
    rig.return_item("31000000000001")
    _done(rig, 1)
    assert rig.sim.dropped == {1: 1}
    assert "CONV REV" in rig.sim.commands
    faults = rig.machine.controller.journal.faults()
    assert [f.kind for f in faults if f.kind == "jam"] == ["jam"]
    assert all(f.recovered_at for f in faults if f.kind == "jam")


def test_a_persistent_jam_stops_and_alerts_a_technician(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.start()
    rig.return_item("31000000000001")
    rig.wait_state(State.TRANSPORT)
    for _ in range(4):  # it sticks again after every reversal
        rig.sim.jam()
        rig.wait_for(lambda: rig.state is not State.TRANSPORT or rig.sim.dropped[1], 5)
        if rig.state is State.OUT_OF_SERVICE:
            break
        rig.wait_state(State.TRANSPORT, State.OUT_OF_SERVICE)
    rig.wait_state(State.OUT_OF_SERVICE)
    controller = rig.machine.controller
    assert controller.fault == "jam"
    rig.wait_for(lambda: rig.sim.conveyor == "STOP" and rig.sim.lamp_state == "RED")
    rig.sim.clear_jam()
    from kiosk.returns.controller import TechnicianReset

    rig.machine.post(TechnicianReset())
    _done(rig, 1)
    assert rig.sim.dropped == {1: 1} and rig.checkins() == {"31000000000001": 1}


def test_bin_full_diverts_to_overflow_then_back(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.start()
    rig.sim.bin_full(1)
    rig.wait_for(lambda: 1 in rig.machine.controller.full_bins)
    rig.return_item("31000000000001")
    _done(rig, 1)
    assert rig.sim.dropped[5] == 1
    rig.sim.empty_bin(1)
    rig.wait_for(lambda: 1 not in rig.machine.controller.full_bins)
    rig.return_item("31000000000001")
    _done(rig, 2)
    assert rig.sim.dropped[1] == 1
    assert rig.machine.controller.counters()[1] == 1


def test_bin_full_without_overflow_goes_out_of_service(make_rig: Callable[..., Rig]) -> None:
    from tests.returns.conftest import BINS

    rig = make_rig(bins=BINS[:4])
    rig.start()
    rig.sim.bin_full(4)
    rig.wait_state(State.OUT_OF_SERVICE)
    rig.wait_for(lambda: rig.sim.lamp_state == "RED", what="red lamp")
    rig.return_item("31000000000001")
    rig.wait_for(lambda: rig.machine.controller.notice.key == "returns.out_of_service")
    assert rig.sim.door == "CLOSED"
    rig.sim.take_back()  # the patron reads "out of service" and leaves
    rig.sim.empty_bin(4)
    rig.wait_state(State.IDLE)
    rig.wait_for(lambda: rig.sim.lamp_state == "GREEN", what="green lamp")
    rig.return_item("31000000000001")
    _done(rig, 1)
    assert rig.sim.dropped[1] == 1


def test_door_obstructed_then_cleared(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig()
    rig.start()
    rig.sim.obstruct()
    rig.return_item("31000000000001")
    rig.wait_for(lambda: rig.machine.controller.notice.key == "returns.door_obstructed")
    rig.sim.clear_obstruction()
    _done(rig, 1)
    assert rig.sim.door == "CLOSED"
    kinds = [f.kind for f in rig.machine.controller.journal.faults()]
    assert "door_obstructed" in kinds


def test_emergency_stop_mid_transport(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(cycle=0.3)
    rig.start()
    rig.return_item("31000000000002")
    rig.wait_state(State.TRANSPORT)
    rig.sim.estop()
    rig.wait_state(State.EMERGENCY_STOP)
    rig.wait_for(lambda: rig.sim.conveyor == "STOP")
    rig.sim.release_estop()
    _done(rig, 1)
    assert rig.sim.dropped == {2: 1} and rig.checkins() == {"31000000000002": 1}
