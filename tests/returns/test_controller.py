"""Every transition of the cycle controller, driven event by event (no sleeping)."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.events import (
    BinCleared,
    BinFull,
    BoardReset,
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
    ScanEvent,
)
from kiosk.config.returns import BinConfig, BinRole, ReturnsConfig
from kiosk.errors import QueueError
from kiosk.returns.controller import (
    BinEmptied,
    ReturnController,
    State,
    TechnicianReset,
    Tick,
)
from kiosk.returns.journal import Journal, Stage
from tests.returns.helpers import MemoryCheckin, RecordingBoard, SlipCollector, clock

D = "io"
BINS = (
    BinConfig(number=1, role=BinRole.RESHELVE),
    BinConfig(number=2, role=BinRole.HOLD_SHELF),
    BinConfig(number=3, role=BinRole.STAFF),
    BinConfig(number=4, role=BinRole.TRANSIT),
)


class Rig:
    def __init__(self, tmp: Path, **options: object) -> None:
        self.config = ReturnsConfig(bins=options.pop("bins", BINS), **options)  # type: ignore[arg-type]
        self.board = RecordingBoard()
        self.checkin = MemoryCheckin()
        self.printer = SlipCollector()
        self.journal = Journal(tmp / "returns.db")
        self.t = 0.0
        self.c = self.new_controller()

    def new_controller(self) -> ReturnController:
        return ReturnController(
            self.config, self.board, self.checkin, self.journal, printer=self.printer, clock=clock()
        )

    def ev(self, event: object):
        return self.c.handle(event)

    def wait(self, seconds: float):
        self.t += seconds
        return self.c.handle(Tick(self.t))

    def present_and_scan(self, code: str) -> None:
        self.board.intake = True
        self.ev(ItemPresent(device=D))
        assert self.c.state is State.READING
        self.ev(ScanEvent(device=D, code=code, symbology="codabar"))

    def full_cycle(self, code: str, bin_seen: int | None = None):
        self.present_and_scan(code)
        assert self.c.state is State.OPENING_DOOR
        self.ev(DoorOpened(device=D))
        assert self.c.state is State.INTAKE
        self.board.intake = False
        step = self.ev(IntakeCleared(device=D))
        assert self.c.state is State.TRANSPORT, self.c.notice
        chosen = self.c.choice.bin
        self.ev(ItemPassedDiverter(device=D, bin=bin_seen or chosen))
        assert self.c.state is State.CLOSING_DOOR
        done = self.ev(DoorClosed(device=D))
        return step, done


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    r = Rig(tmp_path)
    r.c.start(0.0)
    assert r.c.state is State.IDLE
    return r


def test_start_on_an_empty_journal_goes_idle_with_a_green_lamp(rig: Rig) -> None:
    assert rig.board.commands[0] == "CONV STOP"
    assert "LAMP GREEN" in rig.board.commands
    assert rig.c.notice.key == "returns.insert_item"


def test_start_with_the_door_open_closes_it_first(tmp_path: Path) -> None:
    r = Rig(tmp_path)
    r.board.door_is_closed = False
    r.c.start(0.0)
    assert r.c.state is State.CLOSING_DOOR and r.board.commands[-1] == "DOOR CLOSE"
    r.ev(DoorClosed(device=D))
    assert r.c.state is State.IDLE


@pytest.mark.parametrize(
    ("code", "bin_number", "role"),
    [
        ("31000000000001", 1, "reshelve"),
        ("31000000000002", 2, "hold_shelf"),
        ("31000000000003", 4, "transit"),
        ("31000000000004", 3, "staff"),
        ("39999999999999", 3, "staff"),  # unknown item
    ],
)
def test_a_full_cycle_sorts_by_destination(rig: Rig, code: str, bin_number: int, role: str) -> None:
    step, done = rig.full_cycle(code)
    assert step.returned is not None and step.returned.bin == bin_number
    assert step.returned.role == role
    assert done.finished and rig.c.state is State.IDLE
    assert rig.board.motion() == [
        "CONV STOP",
        "DOOR OPEN",
        "DIVERT 3",
        "CONV RUN",
        "CONV STOP",
        f"DIVERT {bin_number}",
        "CONV RUN",
        *(["DIVERT 3"] if bin_number != 3 else []),  # followers go to staff
        "CONV STOP",
        "DOOR CLOSE",
    ]
    cycles = rig.journal.cycles()
    assert [(c.barcode, c.stage, c.bin) for c in cycles] == [(code, Stage.DONE, bin_number)]
    assert rig.c.counters()[bin_number] == 1
    assert len(rig.checkin.recorded) == 1


def test_hold_shelf_prints_a_slip_with_the_alias_only(rig: Rig) -> None:
    step, _ = rig.full_cycle("31000000000002")
    assert step.returned.hold_note
    [slip] = rig.printer.slips
    assert slip.patron_alias == "AB-1234" and slip.item == "31000000000002"


def test_the_fine_is_reported(rig: Rig) -> None:
    step, _ = rig.full_cycle("31000000000005")
    assert step.returned.fine == "0.30" and step.returned.title == "Film"


def test_reshelve_by_format_and_collection(tmp_path: Path) -> None:
    bins = (
        BinConfig(number=1, role=BinRole.RESHELVE, formats=("book",)),
        BinConfig(number=2, role=BinRole.RESHELVE, formats=("dvd",)),
        BinConfig(number=3, role=BinRole.STAFF),
    )
    r = Rig(tmp_path, bins=bins)
    r.c.start(0.0)
    assert r.full_cycle("31000000000005")[0].returned.bin == 2
    assert r.full_cycle("31000000000001")[0].returned.bin == 1
    # no hold-shelf or transit bin configured: those go to staff
    assert r.full_cycle("31000000000003")[0].returned.bin == 3


def test_read_retries_then_please_try_again(rig: Rig) -> None:
    rig.board.intake = True
    rig.ev(ItemPresent(device=D))
    rig.wait(2.1)
    assert rig.c.state is State.READING and rig.c.notice.key == "returns.reading_again"
    rig.ev(ScanEvent(device=D, code="#?!", symbology="unknown"))  # garbled counts as a try
    assert rig.c.read_attempts == 3
    rig.wait(2.1)
    assert rig.c.state is State.TAKE_BACK and rig.c.notice.key == "returns.try_again"
    assert "DOOR OPEN" not in rig.board.commands
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    assert rig.c.state is State.IDLE
    assert rig.journal.cycles() == []
    assert [f.kind for f in rig.journal.faults()] == ["unreadable"]


def test_a_good_read_on_the_last_attempt_is_accepted(rig: Rig) -> None:
    rig.board.intake = True
    rig.ev(ItemPresent(device=D))
    rig.wait(2.1)
    rig.wait(2.1)
    rig.ev(ScanEvent(device=D, code="31000000000001", symbology="codabar"))
    assert rig.c.state is State.OPENING_DOOR


def test_unreadable_goes_to_the_staff_bin_when_configured(tmp_path: Path) -> None:
    r = Rig(tmp_path, unreadable_to_staff=True, read_attempts=1)
    r.c.start(0.0)
    r.board.intake = True
    r.ev(ItemPresent(device=D))
    r.wait(2.1)
    assert r.c.state is State.OPENING_DOOR
    r.ev(DoorOpened(device=D))
    step = r.ev(IntakeCleared(device=D))
    assert step.returned.bin == 3 and step.returned.item is None
    r.ev(ItemPassedDiverter(device=D, bin=3))
    r.ev(DoorClosed(device=D))
    assert r.checkin.calls == 0  # nothing to check in without a barcode
    [cycle] = r.journal.cycles()
    assert cycle.stage is Stage.DONE and cycle.bin == 3 and cycle.barcode is None


def test_taken_back_while_reading(rig: Rig) -> None:
    rig.board.intake = True
    rig.ev(ItemPresent(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    assert rig.c.state is State.IDLE


def test_taken_back_before_the_door_opened_cancels(rig: Rig) -> None:
    rig.present_and_scan("31000000000001")
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    assert rig.c.state is State.CLOSING_DOOR
    rig.ev(DoorClosed(device=D))
    assert rig.c.state is State.IDLE
    [cycle] = rig.journal.cycles()
    assert cycle.stage is Stage.CANCELLED
    assert rig.checkin.calls == 0


def test_a_second_item_pauses_the_belt_until_taken_back(rig: Rig) -> None:
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    rig.board.intake = True
    rig.ev(ItemPresent(device=D))
    assert rig.c.state is State.HELD and rig.c.notice.key == "returns.one_at_a_time"
    assert rig.board.commands[-1] == "CONV STOP"
    rig.wait(20)  # no timeout while held
    assert rig.c.state is State.HELD
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    assert rig.c.state is State.TRANSPORT and rig.board.commands[-1] == "CONV RUN"
    rig.ev(ItemPassedDiverter(device=D, bin=1))
    rig.ev(DoorClosed(device=D))
    assert rig.c.state is State.IDLE


def test_an_item_waiting_at_the_intake_starts_the_next_cycle(rig: Rig) -> None:
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    rig.ev(ItemPassedDiverter(device=D, bin=1))
    rig.board.intake = True
    rig.ev(ItemPresent(device=D))
    assert rig.c.notice.key == "returns.one_at_a_time"
    rig.ev(DoorClosed(device=D))
    assert rig.c.state is State.READING


def test_jam_reverses_and_retries_then_alerts(rig: Rig) -> None:
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    for attempt in (1, 2, 3):
        rig.wait(3.0)
        rig.ev(Jam(device=D, eye="diverter", blocked_for=3.0))
        assert rig.c.state is State.JAM_REVERSING
        assert rig.board.commands[-1] == "CONV REV"
        rig.ev(ItemPassedDiverter(device=D, bin=1))  # eye clears while reversing: no drop
        rig.wait(0.6)
        assert rig.c.state is State.TRANSPORT, attempt
        assert rig.board.commands[-2:] == ["DIVERT 1", "CONV RUN"]
    rig.wait(3.0)
    rig.ev(Jam(device=D, eye="diverter", blocked_for=3.0))
    assert rig.c.state is State.OUT_OF_SERVICE and rig.c.fault == "jam"
    assert rig.board.commands[-2:] == ["CONV STOP", "LAMP RED"]
    jams = [f for f in rig.journal.faults() if f.kind == "jam"]
    assert len(jams) == 4
    # technician frees it and resumes: the item carries on to its bin
    rig.ev(TechnicianReset())
    assert rig.c.state is State.TRANSPORT
    rig.ev(ItemPassedDiverter(device=D, bin=1))
    rig.ev(DoorClosed(device=D))
    assert rig.c.state is State.IDLE
    assert rig.journal.faults(open_only=True) == []
    assert rig.c.counters()[1] == 1


def test_item_not_seen_at_the_diverter_counts_as_a_jam(rig: Rig) -> None:
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    rig.wait(8.1)
    assert rig.c.state is State.JAM_REVERSING
    rig.wait(0.6)
    rig.ev(ItemPassedDiverter(device=D, bin=1))
    assert rig.c.state is State.CLOSING_DOOR


def test_door_obstructed_retries_then_out_of_service(rig: Rig) -> None:
    rig.board.door_is_closed = False
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    rig.ev(ItemPassedDiverter(device=D, bin=1))
    for _ in range(3):
        rig.ev(DoorObstructed(device=D))
        assert rig.c.notice.key == "returns.door_obstructed"
        rig.wait(2.1)
        assert rig.board.commands[-1] == "DOOR CLOSE"
    rig.ev(DoorObstructed(device=D))
    assert rig.c.state is State.OUT_OF_SERVICE and rig.c.fault == "door_obstructed"
    rig.ev(TechnicianReset())
    assert rig.c.state is State.CLOSING_DOOR
    done = rig.ev(DoorClosed(device=D))
    assert done.finished and rig.c.state is State.IDLE


def test_door_that_does_not_open(rig: Rig) -> None:
    rig.present_and_scan("31000000000001")
    for _ in range(3):
        rig.wait(4.1)
        assert rig.board.commands[-1] == "DOOR OPEN"
    rig.wait(4.1)
    assert rig.c.state is State.OUT_OF_SERVICE and rig.c.fault == "door"


def test_bin_full_uses_the_overflow_bin(tmp_path: Path) -> None:
    bins = (*BINS, BinConfig(number=5, role=BinRole.OVERFLOW))
    r = Rig(tmp_path, bins=bins)
    r.c.start(0.0)
    r.ev(BinFull(device=D, bin=1))
    assert r.c.state is State.IDLE
    step, _ = r.full_cycle("31000000000001")
    assert step.returned.bin == 5
    assert any(f.kind == "overflow" for f in r.journal.faults())
    r.ev(BinCleared(device=D, bin=1))
    assert r.full_cycle("31000000000001")[0].returned.bin == 1


def test_bin_full_without_overflow_stops_intake(rig: Rig) -> None:
    rig.full_cycle("31000000000001")
    rig.ev(BinFull(device=D, bin=1))
    assert rig.c.state is State.OUT_OF_SERVICE and rig.c.fault == "bin_full"
    rig.board.intake = True
    rig.ev(ItemPresent(device=D))
    assert rig.c.state is State.OUT_OF_SERVICE
    assert "DOOR OPEN" not in rig.board.commands[-3:]
    assert rig.c.counters()[1] == 1
    rig.ev(BinEmptied(bin=1))
    assert rig.c.counters()[1] == 0
    assert rig.c.state is State.READING  # the waiting item is taken now


def test_bin_full_while_an_item_is_on_the_belt(rig: Rig) -> None:
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.c.full_bins.add(1)  # the sensor reported during the trip
    rig.ev(IntakeCleared(device=D))
    assert rig.c.state is State.OUT_OF_SERVICE
    [cycle] = rig.journal.cycles()
    assert cycle.stage is Stage.CHECKED_IN and cycle.bin is None
    rig.ev(BinCleared(device=D, bin=1))
    assert rig.c.state is State.TRANSPORT and rig.board.commands[-2:] == ["DIVERT 1", "CONV RUN"]
    rig.ev(ItemPassedDiverter(device=D, bin=1))
    rig.ev(DoorClosed(device=D))
    assert rig.journal.cycles()[0].bin == 1


def test_emergency_stop_and_release_resumes(rig: Rig) -> None:
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    rig.ev(EmergencyStop(device=D, active=True))
    assert rig.c.state is State.EMERGENCY_STOP and rig.board.commands[-1] == "CONV STOP"
    rig.wait(100)
    assert rig.c.state is State.EMERGENCY_STOP
    rig.ev(EmergencyStop(device=D, active=False))
    assert rig.c.state is State.TRANSPORT
    assert rig.board.commands[-2:] == ["DIVERT 1", "CONV RUN"]
    rig.ev(ItemPassedDiverter(device=D, bin=1))
    rig.ev(DoorClosed(device=D))
    assert rig.c.state is State.IDLE
    assert all(f.recovered_at for f in rig.journal.faults() if f.kind == "emergency_stop")


def test_board_lost_and_back(rig: Rig) -> None:
    rig.ev(DeviceLost(device=D, reason="unplugged"))
    assert rig.c.state is State.OUT_OF_SERVICE and rig.c.fault == "board_lost"
    rig.ev(DeviceBack(device=D, url="x", downtime=1.0))
    assert rig.c.state is State.IDLE


def test_outbox_refusal_keeps_the_item_and_stops(rig: Rig) -> None:
    def full_disk(request):
        raise QueueError("queue.full", "disk full")

    rig.checkin.check_in = full_disk  # type: ignore[method-assign]
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    assert rig.c.state is State.OUT_OF_SERVICE and rig.c.fault == "checkin_failed"
    assert rig.journal.open_cycle().stage is Stage.ACCEPTED


# --- restart at every step ------------------------------------------------------------------

STEPS = ["read", "door_opening", "intake", "checked_in", "dropped", "closing"]


def _drive_to(r: Rig, step: str) -> None:
    r.board.intake = True
    r.ev(ItemPresent(device=D))
    if step == "read":
        return
    r.ev(ScanEvent(device=D, code="31000000000002", symbology="codabar"))
    if step == "door_opening":
        return
    r.ev(DoorOpened(device=D))
    if step == "intake":
        return
    r.board.intake = False
    r.ev(IntakeCleared(device=D))
    if step == "checked_in":
        return
    r.ev(ItemPassedDiverter(device=D, bin=2))
    if step == "dropped":
        return
    r.ev(DoorClosed(device=D))


@pytest.mark.parametrize("step", STEPS)
def test_restart_at_each_step(tmp_path: Path, step: str) -> None:
    r = Rig(tmp_path)
    r.c.start(0.0)
    _drive_to(r, step)
    before = dict(r.checkin.recorded)
    # power comes back: a new controller over the same journal and outbox
    r.board = RecordingBoard(door_is_closed=step in ("read", "closing"))
    r.c = r.new_controller()
    r.c.start(0.0)
    if step in ("read", "closing"):
        assert r.c.state is State.IDLE
        assert r.journal.open_cycle() is None
        assert r.checkin.recorded == before
        return
    if step == "dropped":
        assert r.c.state is State.CLOSING_DOOR
        r.ev(DoorClosed(device=D))
        assert r.journal.cycles()[0].bin == 2
        assert r.checkin.recorded == before
        return
    # accepted: exactly one check-in, and the belt flushes the item into the staff bin
    assert r.c.state is State.RECOVERING
    assert r.board.motion()[-2:] == ["DIVERT 3", "CONV RUN"]
    assert len(r.checkin.recorded) == 1
    r.ev(ItemPassedDiverter(device=D, bin=3))
    r.ev(DoorClosed(device=D))
    assert r.c.state is State.IDLE
    [cycle] = r.journal.cycles()
    assert cycle.stage is Stage.DONE and cycle.bin == 3
    assert "recovered after restart" in (cycle.note or "")
    assert r.c.counters()[3] == 1
    assert any(f.kind == "restart_mid_cycle" for f in r.journal.faults())


def test_recovery_flush_that_finds_nothing_says_where_to_look(tmp_path: Path) -> None:
    r = Rig(tmp_path)
    r.c.start(0.0)
    _drive_to(r, "checked_in")
    r.c = r.new_controller()
    r.c.start(0.0)
    r.wait(8.1)
    assert r.c.state is State.CLOSING_DOOR
    [fault] = [f for f in r.journal.faults() if f.kind == "item_unconfirmed"]
    assert "bin 2" in fault.detail
    r.ev(DoorClosed(device=D))
    assert r.journal.open_cycle() is None
    assert len(r.checkin.recorded) == 1


def test_board_reset_mid_cycle_recovers_without_a_second_checkin(rig: Rig) -> None:
    _drive_to(rig, "checked_in")
    rig.ev(BoardReset(device=D, firmware="SIM"))
    assert rig.c.state is State.RECOVERING
    assert len(rig.checkin.recorded) == 1 and rig.checkin.calls == 2
    rig.ev(ItemPassedDiverter(device=D, bin=3))
    rig.ev(DoorClosed(device=D))
    assert rig.c.state is State.IDLE


def test_restart_before_the_checkin_was_recorded_records_it_once(tmp_path: Path) -> None:
    r = Rig(tmp_path)
    r.c.start(0.0)
    _drive_to(r, "intake")
    assert r.checkin.recorded == {}
    r.c = r.new_controller()
    r.c.start(0.0)
    assert len(r.checkin.recorded) == 1
    [uuid] = r.checkin.recorded
    assert r.journal.open_cycle().tx_uuid == uuid


def test_a_scan_just_before_the_photo_eye_is_used(rig: Rig) -> None:
    rig.ev(ScanEvent(device=D, code="31000000000001", symbology="codabar"))
    rig.board.intake = True
    rig.ev(ItemPresent(device=D))
    assert rig.c.state is State.OPENING_DOOR


def test_a_stale_scan_is_not_used(rig: Rig) -> None:
    rig.ev(ScanEvent(device=D, code="31000000000001", symbology="codabar"))
    rig.wait(5)
    rig.board.intake = True
    rig.ev(ItemPresent(device=D))
    assert rig.c.state is State.READING


def test_no_door_event_but_the_board_says_closed(rig: Rig) -> None:
    rig.full_cycle("31000000000001")
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))
    rig.ev(ItemPassedDiverter(device=D, bin=1))
    step = rig.wait(4.1)  # the close command's event was lost; STATUS says closed
    assert step.finished and rig.c.state is State.IDLE


def test_an_item_carried_in_behind_the_first_is_recorded_for_staff(rig: Rig) -> None:
    rig.full_cycle("31000000000001")
    assert rig.board.motion()[-3:] == ["DIVERT 3", "CONV STOP", "DOOR CLOSE"]
    rig.ev(ItemPassedDiverter(device=D, bin=3))  # a follower nobody accepted
    cycles = rig.journal.cycles()
    assert next((c.barcode, c.bin, c.reason) for c in cycles) == (None, 3, "unidentified")
    assert any(f.kind == "unidentified_item" for f in rig.journal.faults())
    assert rig.c.counters()[3] == 1 and rig.checkin.calls == 1


def test_an_item_waiting_at_the_eye_while_the_belt_was_stopped_is_no_jam(rig: Rig) -> None:
    rig.present_and_scan("31000000000001")
    rig.ev(DoorOpened(device=D))
    rig.board.intake = False
    rig.ev(IntakeCleared(device=D))  # the belt restarts now, after the check-in
    rig.wait(0.5)
    rig.ev(Jam(device=D, eye="diverter", blocked_for=3.0))  # blocked since before
    assert rig.c.state is State.TRANSPORT
    rig.ev(ItemPassedDiverter(device=D, bin=1))
    assert rig.c.state is State.CLOSING_DOOR


def test_an_item_stuck_at_the_diverter_while_idle_stops_the_machine(rig: Rig) -> None:
    rig.ev(Jam(device=D, eye="diverter", blocked_for=3.0))
    assert rig.c.state is State.OUT_OF_SERVICE and rig.c.fault == "unidentified_item"
    rig.ev(ItemPassedDiverter(device=D, bin=3))  # the technician frees it into the staff bin
    assert rig.journal.cycles()[0].reason == "unidentified"
    rig.ev(TechnicianReset())
    assert rig.c.state is State.IDLE
