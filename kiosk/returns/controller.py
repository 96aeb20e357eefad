"""The return machine's cycle, as an explicit state machine.

One item at a time::

    IDLE -> READING (intake eye blocked; wait for a barcode, with retries)
         -> OPENING_DOOR -> INTAKE (belt pulls the item in)
         -> check in (outbox: online outcome or offline decision) -> choose bin -> divert
         -> TRANSPORT (belt runs until the diverter eye sees the item go by)
         -> CLOSING_DOOR -> IDLE

:meth:`ReturnController.handle` takes one event (a ``drivers.events`` event from the I/O
board or the scanner, or one of the events below) and returns a :class:`Step`. Board
commands go out through :class:`~kiosk.returns.ports.IOBoard` and return at once; their
effects come back as events. Time is only what :class:`Tick` events say, so every transition
can be tested without sleeping.

Before each step that matters for recovery, the :class:`~kiosk.returns.journal.Journal`
commits how far the item got; :meth:`ReturnController.start` reads it back after a restart.
"""

from __future__ import annotations

import logging
import re
import uuid as uuid_module
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

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
    PrinterStatusChanged,
    PrintFinished,
    ScanEvent,
)
from kiosk.clock import Clock, SystemClock
from kiosk.config.returns import BinRole, ReturnsConfig
from kiosk.errors import KioskError
from kiosk.returns.journal import CycleRecord, Journal, Stage
from kiosk.returns.ports import (
    CheckinOutcome,
    CheckinPort,
    CheckinRequest,
    HoldSlip,
    IOBoard,
    SlipPrinter,
)
from kiosk.returns.sorting import BinChoice, choose_bin, intake_possible, unreadable_choice

log = logging.getLogger(__name__)

_BARCODE = re.compile(r"[0-9A-Za-z\-]{4,40}")


class State(StrEnum):
    STARTING = "starting"
    IDLE = "idle"
    READING = "reading"
    TAKE_BACK = "take_back"
    """The item was refused (unreadable): waiting for the patron to take it back."""
    OPENING_DOOR = "opening_door"
    INTAKE = "intake"
    TRANSPORT = "transport"
    HELD = "held"
    """Belt paused because a second item was pushed in behind the first."""
    JAM_REVERSING = "jam_reversing"
    CLOSING_DOOR = "closing_door"
    RECOVERING = "recovering"
    """After a restart or power loss: flushing an accepted item into the staff bin."""
    OUT_OF_SERVICE = "out_of_service"
    EMERGENCY_STOP = "emergency_stop"


BUSY_STATES = frozenset(
    {
        State.OPENING_DOOR,
        State.INTAKE,
        State.TRANSPORT,
        State.HELD,
        State.JAM_REVERSING,
        State.CLOSING_DOOR,
        State.RECOVERING,
    }
)


# --- events of our own (the rest come from drivers.events) ---------------------------------


@dataclass(frozen=True, slots=True)
class Tick:
    """Time passed; ``now`` is monotonic seconds."""

    now: float


@dataclass(frozen=True, slots=True)
class BinEmptied:
    """A member of staff emptied a bin and pressed "bin emptied"."""

    bin: int


@dataclass(frozen=True, slots=True)
class TechnicianReset:
    """A technician cleared the cause of an out-of-service fault and pressed "resume"."""


# --- results -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Returned:
    """What the patron returned, for the screen and the receipt."""

    item: str | None
    title: str | None
    fine: str
    bin: int | None
    role: str
    hold_note: bool = False
    pickup_branch: str | None = None
    offline: bool = False


@dataclass(frozen=True, slots=True)
class Notice:
    """What the screen should say: a message key and its parameters (never a sentence)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    state: State
    notice: Notice
    returned: Returned | None = None
    """Set on the step where an item's check-in completed."""
    finished: bool = False
    """Set on the step where a cycle ended (door closed, item in its bin)."""


class ReturnController:
    """The cycle controller. Not thread-safe: feed it events from one thread."""

    def __init__(
        self,
        config: ReturnsConfig,
        board: IOBoard,
        checkin: CheckinPort,
        journal: Journal,
        *,
        printer: SlipPrinter | None = None,
        clock: Clock | None = None,
        new_uuid: Callable[[], str] = lambda: str(uuid_module.uuid4()),
    ) -> None:
        self.config = config
        self.board = board
        self.checkin = checkin
        self.journal = journal
        self.printer = printer
        self.clock = clock or SystemClock()
        self.new_uuid = new_uuid
        self.state = State.STARTING
        self.notice = Notice("returns.starting")
        self.now = 0.0
        self.full_bins: set[int] = set()
        self.fault: str | None = None
        """The kind of the fault that put the machine out of service."""
        self.last_returned: Returned | None = None
        self.listeners: list[Callable[[Step], None]] = []
        self._reset_cycle()
        self._deadline: float | None = None
        self._paused_left: float | None = None
        self._before_stop: State | None = None
        self._refused_second = False
        self._early_scan: tuple[str, float] | None = None
        self._belt_since = 0.0
        self._printer_fault = False

    # --- public ---------------------------------------------------------------------------

    def start(self, now: float = 0.0) -> Step:
        """Put the board in a safe state and reconcile the journal's open cycle, if any."""
        self.now = now
        return self._recover("start")

    def handle(self, event: object, now: float | None = None) -> Step:
        """Apply one event; return the resulting step.

        ``now`` (monotonic seconds) is when the event is handled; timers started by it run
        from there. Without it the time of the last :class:`Tick` is used, which lags when
        events queue up behind a slow commit.
        """
        if now is not None and now > self.now:
            self.now = now
        returned_before = self.last_returned
        finished = self._dispatch(event)
        step = Step(
            self.state,
            self.notice,
            self.last_returned if self.last_returned is not returned_before else None,
            finished,
        )
        for listener in list(self.listeners):
            try:
                listener(step)
            except Exception:  # a broken screen must never stop the machine
                log.exception("return-machine listener failed")
        return step

    @property
    def busy(self) -> bool:
        return self.state in BUSY_STATES

    def counters(self) -> dict[int, int]:
        """Items in each configured bin since it was last emptied."""
        stored = self.journal.counters()
        return {
            b.number: stored[b.number].since_emptied if b.number in stored else 0
            for b in self.config.bins
        }

    # --- dispatch ---------------------------------------------------------------------------

    def _dispatch(self, event: object) -> bool:
        match event:
            case Tick(now=now):
                self.now = now
                if self._deadline is not None and now >= self._deadline:
                    self._deadline = None
                    return self._timeout()
                return False
            case EmergencyStop(active=True):
                self._emergency_stop()
                return False
            case EmergencyStop(active=False):
                return self._emergency_released()
            case BoardReset():
                if self.state is not State.STARTING:
                    self._log_fault("power_loss", f"board restarted in state {self.state}")
                    self._recover("board_reset")
                return False
            case DeviceLost(reason=reason):
                self._out_of_service("board_lost", reason)
                return False
            case DeviceBack():
                if self.fault == "board_lost":
                    self.journal.recovered("board_lost", self._wall(), "board reconnected")
                    self.fault = None
                    self._recover("board_back")
                return False
            case BinFull(bin=number):
                self.full_bins.add(number)
                self._log_fault("bin_full", f"bin {number}")
                if self.state is State.IDLE and not intake_possible(self.config, self.full_bins):
                    self._out_of_service("bin_full", f"bin {number}")
                return False
            case BinCleared(bin=number) | BinEmptied(bin=number):
                return self._bin_emptied(number, sensor=isinstance(event, BinCleared))
            case CommandFailed(command=command, reason=reason):
                if not reason.startswith("ESTOP"):
                    self._log_fault("command_failed", f"{command}: {reason}")
                return False
            case TechnicianReset():
                return self._technician_reset()
            case PrintFinished(ok=False, reason=reason, job=job):
                self._log_fault("printer", f"print job {job} failed: {reason}")
                return False
            case PrintFinished():
                return False
            case PrinterStatusChanged() as status:
                self._printer_status(status)
                return False
        handler = getattr(self, f"_on_{self.state.value}", None)
        if handler is None:
            return False
        return bool(handler(event))

    # --- states -----------------------------------------------------------------------------

    def _on_idle(self, event: object) -> bool:
        match event:
            case ItemPassedDiverter(bin=number):
                self._unexpected_drop(number)
            case Jam(eye="diverter"):
                self._out_of_service(
                    "unidentified_item",
                    "an item is stuck at the diverter with no return "
                    "in progress: remove it and check it in by hand",
                )
            case ItemPresent():
                self._begin_reading()
            case ScanEvent(code=code):
                # a fixed scanner may read a moment before the photo-eye reports the item
                self._early_scan = (code, self.now)
        return False

    def _on_reading(self, event: object) -> bool:
        match event:
            case ScanEvent(code=code):
                if _BARCODE.fullmatch(code):
                    self._accept(code)
                else:
                    log.info("unusable barcode %r", code[:40])
                    self._failed_read("garbled")
            case IntakeCleared():
                self._to_idle()
        return False

    def _on_take_back(self, event: object) -> bool:
        if isinstance(event, IntakeCleared):
            self._to_idle()
        return False

    def _on_opening_door(self, event: object) -> bool:
        match event:
            case DoorOpened():
                # until the check-in says otherwise, an item that outruns us goes to staff
                self.board.divert(self.config.staff_bin)
                self._run_belt()
                self._enter(State.INTAKE, "returns.taking_in", self.config.transport_timeout)
            case IntakeCleared():
                # taken back before the door opened: nothing was accepted
                self.journal.set_stage(
                    self.cycle,
                    Stage.CANCELLED,
                    at=self._wall(),
                    note="taken back before the door opened",
                )
                self.cycle = 0
                self.board.close_door()
                self._enter(State.CLOSING_DOOR, "returns.cancelled", self.config.door_timeout)
        return False

    def _on_intake(self, event: object) -> bool:
        match event:
            case IntakeCleared():
                self._inside()
            case Jam() if self._belt_jam(event):
                self._jam("jam at intake")
        return False

    def _on_transport(self, event: object) -> bool:
        match event:
            case ItemPassedDiverter(bin=number):
                return self._dropped(number)
            case ItemPresent():
                self._second_item()
            case Jam(eye=eye) if self._belt_jam(event):
                self._jam(f"jam at {eye} eye", eye_blocked=eye == "diverter")
        return False

    def _on_held(self, event: object) -> bool:
        if isinstance(event, IntakeCleared):
            self._refused_second = False
            self._run_belt()
            left = self._paused_left if self._paused_left is not None else 0.0
            self._enter(State.TRANSPORT, "returns.sorting", max(left, 0.5))
        return False

    def _on_jam_reversing(self, event: object) -> bool:
        if isinstance(event, JamCleared | ItemPassedDiverter):
            self._expect_clear = False  # the eye cleared because the belt ran backwards
        return False

    def _unexpected_drop(self, number: int) -> None:
        """An item the machine did not accept reached a bin (carried in behind another):
        record it, so the bin's count is right, and ask staff to check it in by hand."""
        at = self._wall()
        cycle = self.journal.start_cycle(at, None, None, stage=Stage.ACCEPTED)
        self.journal.record_drop(cycle, number, at)
        detail = f"an item that was not accepted went into bin {number}: check it in by hand"
        self.journal.set_stage(
            cycle, Stage.DONE, at=at, role=BinRole.STAFF.value, reason="unidentified", note=detail
        )
        self._log_fault("unidentified_item", detail)

    def _on_closing_door(self, event: object) -> bool:
        match event:
            case ItemPassedDiverter(bin=number):
                self._unexpected_drop(number)
            case DoorClosed():
                return self._cycle_finished()
            case DoorObstructed():
                self._door_obstructed("door obstructed")
            case ItemPresent():
                self._refused_second = True
                self.notice = Notice("returns.one_at_a_time")
        return False

    def _on_recovering(self, event: object) -> bool:
        match event:
            case ItemPassedDiverter(bin=number):
                return self._dropped(number, note="recovered after restart")
            case Jam(eye=eye) if self._belt_jam(event):
                self._jam(f"jam at {eye} eye during recovery", eye_blocked=eye == "diverter")
        return False

    def _on_out_of_service(self, event: object) -> bool:
        if isinstance(event, ItemPassedDiverter) and not self._waiting_item():
            self._unexpected_drop(event.bin)
        if isinstance(event, ItemPresent):
            self.notice = Notice("returns.out_of_service", {"fault": self.fault or ""})
        return False

    # --- timeouts ---------------------------------------------------------------------------

    def _timeout(self) -> bool:
        match self.state:
            case State.READING:
                self._failed_read("timeout")
            case State.TAKE_BACK:
                self._log_fault("not_taken_back", "a refused item is still at the intake")
                self._deadline = self.now + self.config.take_back_timeout
            case State.OPENING_DOOR:
                self._log_fault("door", "door did not open")
                self.door_attempts += 1
                if self.door_attempts > self.config.door_retries:
                    self._out_of_service("door", "door does not open")
                else:
                    self.board.open_door()
                    self._deadline = self.now + self.config.door_timeout
            case State.RECOVERING:
                self._flush_found_nothing()
            case State.INTAKE | State.TRANSPORT:
                self._jam(
                    f"item not seen at the diverter in state {self.state}",
                    eye_blocked=self.board.diverter_blocked(),
                )
            case State.JAM_REVERSING:
                if self._expect_clear and self.now - self._reverse_started < (
                    self.config.reverse_seconds + self.config.jam_timeout
                ):
                    # the jammed item has not left the eye yet (the reversal may not even
                    # have reached the board): keep reversing a little longer
                    self._deadline = self.now + min(self.config.reverse_seconds, 0.05)
                    return False
                # The driver reports the eye clearing while the belt runs backwards as
                # JamCleared, never as a pass: nothing late to ignore once we run forward.
                self._expect_clear = False
                if self.choice is not None and self.choice.bin is not None:
                    self.board.divert(self.choice.bin)
                self._run_belt()
                state = self._jam_resume or State.TRANSPORT
                self._enter(state, self.notice.key, self.config.transport_timeout)
            case State.CLOSING_DOOR:
                if self._door_retry_pending:
                    self._door_retry_pending = False
                    self.board.close_door()
                    self._deadline = self.now + self.config.door_timeout
                elif self.board.door_closed():
                    return self._cycle_finished()  # it was closed already (board reset)
                else:
                    self._door_obstructed("door did not close")
        return False

    # --- the cycle --------------------------------------------------------------------------

    def _reset_cycle(self) -> None:
        self.cycle = 0
        self.barcode: str | None = None
        self.tx_uuid: str | None = None
        self.outcome: CheckinOutcome | None = None
        self.choice: BinChoice | None = None
        self.read_attempts = 0
        self.jam_attempts = 0
        self.door_attempts = 0
        self._door_retry_pending = False
        self._jam_resume: State | None = None
        self._recovery_bin: int | None = None
        self._expect_clear = False
        self._reverse_started = 0.0

    def _run_belt(self) -> None:
        self.board.run_conveyor()
        self._belt_since = self.now

    def _belt_jam(self, event: Jam) -> bool:
        """A jam the belt caused: the eye went blocked after we last started the belt.

        An item can wait at an eye while the belt is stopped for its check-in; the board
        counts that as a jam too, but reversing then would fight the item's real drop."""
        return event.blocked_for <= (self.now - self._belt_since) + 0.05

    def _enter(
        self, state: State, notice: str, timeout: float | None = None, **params: Any
    ) -> None:
        self.state = state
        self.notice = Notice(notice, params)
        self._deadline = None if timeout is None else self.now + timeout

    def _begin_reading(self) -> None:
        self._reset_cycle()
        self.read_attempts = 1
        self.board.lamp("AMBER")
        self._enter(State.READING, "returns.reading", self.config.read_timeout)
        early, self._early_scan = self._early_scan, None
        if early is not None and self.now - early[1] <= self.config.read_timeout:
            self._on_reading(ScanEvent(device="scanner", code=early[0], symbology="unknown"))

    def _failed_read(self, why: str) -> None:
        self.read_attempts += 1
        if self.read_attempts <= self.config.read_attempts:
            self._enter(
                State.READING,
                "returns.reading_again",
                self.config.read_timeout,
                attempt=self.read_attempts,
            )
            return
        self._log_fault("unreadable", why)
        if self.config.unreadable_to_staff:
            self._accept(None)
        else:
            self.board.lamp("RED", blink=True)
            self._enter(State.TAKE_BACK, "returns.try_again", self.config.take_back_timeout)

    def _accept(self, barcode: str | None) -> None:
        if not intake_possible(self.config, self.full_bins):
            self._out_of_service("bin_full", "no bin can take an item")
            return
        self.barcode = barcode
        self.tx_uuid = self.new_uuid() if barcode else None
        # committed before the door moves: from here the item is the machine's
        self.cycle = self.journal.start_cycle(
            self._wall(), barcode, self.tx_uuid, stage=Stage.ACCEPTED
        )
        self.board.open_door()
        self._enter(State.OPENING_DOOR, "returns.accepted", self.config.door_timeout)

    def _inside(self) -> None:
        """The item is past the intake eye: check it in, choose its bin, send it there."""
        self.board.stop_conveyor()
        try:
            self._check_in(force_offline=False)
        except KioskError as exc:  # the outbox refused (disk full): keep the item, stop
            self._log_fault("checkin_failed", str(exc))
            self._out_of_service("checkin_failed", str(exc))
            return
        self._send_to_bin(State.TRANSPORT)

    def _check_in(self, *, force_offline: bool) -> None:
        if self.barcode and self.tx_uuid:
            self.outcome = self.checkin.check_in(
                CheckinRequest(self.barcode, self.tx_uuid, self._wall(), force_offline)
            )
            self.choice = choose_bin(self.config, self.outcome, self.full_bins)
        else:
            self.outcome = None
            self.choice = unreadable_choice(self.config, self.full_bins)
        outcome = self.outcome
        self.last_returned = Returned(
            item=self.barcode,
            title=outcome.title if outcome else None,
            fine=str(outcome.fine) if outcome else "0",
            bin=self.choice.bin,
            role=self.choice.role.value,
            hold_note=self.choice.role is BinRole.HOLD_SHELF,
            pickup_branch=outcome.pickup_branch if outcome else None,
            offline=outcome.offline if outcome else False,
        )
        self.journal.set_stage(
            self.cycle,
            Stage.CHECKED_IN,
            bin=self.choice.bin,
            role=self.choice.role.value,
            reason=self.choice.reason,
            outcome=asdict(outcome) if outcome else None,
        )
        if self.choice.overflow:
            self._log_fault("overflow", f"{self.barcode}: {self.choice.reason}")
        if (
            outcome is not None
            and self.choice.role is BinRole.HOLD_SHELF
            and self.printer is not None
            and self.config.print_hold_slips
            and outcome.hold_patron_alias
        ):
            slip = HoldSlip(
                outcome.hold_patron_alias,
                outcome.title or "",
                outcome.item,
                outcome.pickup_branch,
                self._wall(),
            )
            try:
                self.printer.print_hold_slip(slip)
            except Exception as exc:  # a printer fault never stops the belt
                self._log_fault("slip_printer", str(exc))

    def _send_to_bin(self, state: State) -> None:
        assert self.choice is not None
        if self.choice.bin is None:
            self._out_of_service("bin_full", f"no room for {self.choice.role.value} items")
            return
        self.board.divert(self.choice.bin)
        self._run_belt()
        self._enter(
            state, "returns.sorting", self.config.transport_timeout, returned=self.barcode or ""
        )

    def _second_item(self) -> None:
        self.board.stop_conveyor()
        self._refused_second = True
        self._paused_left = (self._deadline - self.now) if self._deadline is not None else None
        self._enter(State.HELD, "returns.one_at_a_time")

    def _dropped(self, number: int, note: str | None = None) -> bool:
        expected = self.choice.bin if self.choice else None
        if expected is not None and number != expected:
            self._log_fault("missort", f"{self.barcode}: expected bin {expected}, went to {number}")
        self.journal.record_drop(self.cycle, number, self._wall())
        # anything that follows this item in (a second item pushed behind it) goes to staff
        if number != self.config.staff_bin:
            self.board.divert(self.config.staff_bin)
        if note:
            self.journal.set_stage(self.cycle, Stage.DROPPED, note=note)
        if self.jam_attempts:
            self.journal.recovered("jam", self._wall(), "item reached its bin")
        self.board.stop_conveyor()
        self.board.close_door()
        self.door_attempts = 0
        self._enter(State.CLOSING_DOOR, "returns.done", self.config.door_timeout)
        return False

    def _cycle_finished(self) -> bool:
        finished = self.cycle != 0
        if self.cycle:
            self.journal.set_stage(self.cycle, Stage.DONE, at=self._wall())
        if self.door_attempts:
            self.journal.recovered("door_obstructed", self._wall(), "door closed")
        self._reset_cycle()
        self._to_idle()
        return finished

    def _to_idle(self) -> None:
        if self.cycle:
            self.journal.set_stage(self.cycle, Stage.CANCELLED, at=self._wall())
            self.cycle = 0
        if not intake_possible(self.config, self.full_bins):
            self._out_of_service("bin_full", "bins full")
            return
        self.board.lamp("GREEN")
        self._enter(State.IDLE, "returns.insert_item")
        self._refused_second = False
        if self.board.intake_blocked():
            self._begin_reading()  # an item is already waiting at the intake

    # --- faults -----------------------------------------------------------------------------

    def _wall(self) -> datetime:
        return self.clock.now()

    def _log_fault(self, kind: str, detail: str) -> None:
        log.warning("return machine fault %s: %s", kind, detail)
        self.journal.fault(self._wall(), kind, detail)

    def _printer_status(self, status: PrinterStatusChanged) -> None:
        """Paper out or cover open is for staff to fix; the belt runs on without slips."""
        problem = [
            name
            for name, bad in (
                ("not responding", not status.responding),
                ("paper out", status.paper_out),
                ("cover open", status.cover_open),
                ("offline", status.offline),
            )
            if bad
        ]
        if problem:
            self._log_fault("printer", ", ".join(problem))
            self._printer_fault = True
            return
        if self._printer_fault:
            self._printer_fault = False
            self.journal.recovered("printer", self._wall(), "printer ready")
        if status.paper_near_end:
            self._log_fault("printer", "paper near end")

    def _out_of_service(self, kind: str, detail: str) -> None:
        if self.state is not State.OUT_OF_SERVICE:
            self._before_stop = self.state
        self.fault = kind
        self.board.stop_conveyor()
        self.board.lamp("RED")
        self._log_fault(f"out_of_service:{kind}", detail)
        self._enter(State.OUT_OF_SERVICE, "returns.out_of_service", fault=kind)

    def _jam(self, detail: str, *, eye_blocked: bool = False) -> None:
        self._expect_clear = eye_blocked
        self.jam_attempts += 1
        self._log_fault("jam", f"{detail} (attempt {self.jam_attempts})")
        if self.jam_attempts > self.config.jam_retries:
            self._out_of_service("jam", f"{detail}; technician needed")
            return
        self._jam_resume = self.state if self.state is not State.JAM_REVERSING else None
        self.board.reverse_conveyor()
        self._reverse_started = self.now
        self._enter(State.JAM_REVERSING, self.notice.key, self.config.reverse_seconds)

    def _door_obstructed(self, detail: str) -> None:
        self.door_attempts += 1
        self._log_fault("door_obstructed", f"{detail} (attempt {self.door_attempts})")
        if self.door_attempts > self.config.door_retries:
            self._out_of_service("door_obstructed", f"{detail}; technician needed")
            return
        self._door_retry_pending = True
        self._enter(State.CLOSING_DOOR, "returns.door_obstructed", self.config.door_timeout / 2)

    def _emergency_stop(self) -> None:
        if self.state is not State.EMERGENCY_STOP:
            self._before_stop = self.state
        self.board.stop_conveyor()
        self._log_fault("emergency_stop", f"pressed in state {self.state}")
        self._enter(State.EMERGENCY_STOP, "returns.emergency_stop")

    def _emergency_released(self) -> bool:
        if self.state is not State.EMERGENCY_STOP:
            return False
        self.journal.recovered("emergency_stop", self._wall(), "released")
        previous = self._before_stop or State.IDLE
        self._before_stop = None
        return self._resume(previous)

    def _resume(self, previous: State) -> bool:
        """Carry on the interrupted cycle from where it stopped."""
        match previous:
            case State.OPENING_DOOR:
                self.board.open_door()
                self._enter(State.OPENING_DOOR, "returns.accepted", self.config.door_timeout)
            case State.INTAKE:
                self._run_belt()
                self._enter(State.INTAKE, "returns.taking_in", self.config.transport_timeout)
            case State.TRANSPORT | State.HELD | State.JAM_REVERSING | State.RECOVERING:
                state = State.RECOVERING if previous is State.RECOVERING else State.TRANSPORT
                if self.board.intake_blocked() and state is State.TRANSPORT:
                    self._enter(State.HELD, "returns.one_at_a_time")
                    self._paused_left = self.config.transport_timeout
                    return False
                if self.choice is not None and self.choice.bin is not None:
                    self.board.divert(self.choice.bin)
                self._run_belt()
                self._enter(state, "returns.sorting", self.config.transport_timeout)
            case State.CLOSING_DOOR:
                self.board.close_door()
                self._enter(State.CLOSING_DOOR, "returns.done", self.config.door_timeout)
            case State.OUT_OF_SERVICE:
                self._enter(State.OUT_OF_SERVICE, "returns.out_of_service", fault=self.fault)
            case _:
                if self.cycle and self.state is not State.STARTING:
                    self._recover("resume")
                else:
                    self._to_idle()
        return False

    def _bin_emptied(self, number: int, *, sensor: bool) -> bool:
        self.journal.bin_emptied(number, self._wall())
        was_full = number in self.full_bins
        self.full_bins.discard(number)
        if was_full:
            self.journal.recovered("bin_full", self._wall(), f"bin {number} emptied")
        if self.state is State.OUT_OF_SERVICE and self.fault == "bin_full":
            if not intake_possible(self.config, self.full_bins) and not self._waiting_item():
                return False
            self.journal.recovered("out_of_service:bin_full", self._wall(), f"bin {number}")
            self.fault = None
            if self._waiting_item():
                assert self.choice is not None
                if self.outcome is not None:
                    self.choice = choose_bin(self.config, self.outcome, self.full_bins)
                else:
                    self.choice = unreadable_choice(self.config, self.full_bins)
                if self.choice.bin is None:
                    self._out_of_service("bin_full", "still no room")
                    return False
                self.journal.set_stage(self.cycle, Stage.CHECKED_IN, bin=self.choice.bin)
                self._send_to_bin(State.TRANSPORT)
            else:
                self._to_idle()
        return False

    def _waiting_item(self) -> bool:
        return self.cycle != 0 and self.choice is not None

    def _technician_reset(self) -> bool:
        if self.state is not State.OUT_OF_SERVICE:
            return False
        fault = self.fault or ""
        self.journal.recovered(f"out_of_service:{fault}", self._wall(), "technician reset")
        self.journal.recovered(fault, self._wall(), "technician reset")
        self.fault = None
        previous = self._before_stop or State.IDLE
        self._before_stop = None
        self.jam_attempts = 0
        self.door_attempts = 0
        if fault == "bin_full" and self._waiting_item():
            return self._bin_emptied(0, sensor=False)
        if fault in ("checkin_failed", "board_lost") or previous in (State.STARTING,):
            self._recover("technician_reset")
            return False
        return self._resume(previous)

    # --- restart reconciliation ---------------------------------------------------------------

    def _recover(self, why: str) -> Step:
        """Reconcile the journal's open cycle after a restart, board reset or resume.

        * never accepted (``read``): cancelled;
        * accepted, with or without a recorded check-in: the check-in is made idempotently
          (the outbox holds it exactly once, keyed by the UUID committed before the door
          opened) and the belt is flushed into the staff bin, where the diverter eye must see
          the item pass;
        * dropped: the item is in its bin; only the door is left to close.
        """
        record = self.journal.open_cycle()
        self._reset_cycle()
        self.board.stop_conveyor()
        if record is None or record.stage is Stage.READ:
            if record is not None:
                self.journal.set_stage(
                    record.id, Stage.CANCELLED, at=self._wall(), note=f"never accepted ({why})"
                )
            if self.board.door_closed():
                self._to_idle()
            else:
                self.board.close_door()
                self._enter(State.CLOSING_DOOR, "returns.starting", self.config.door_timeout)
            return Step(self.state, self.notice)
        self.cycle = record.id
        self.barcode = record.barcode
        self.tx_uuid = record.tx_uuid
        self._recovery_bin = record.bin if record.stage is Stage.CHECKED_IN else None
        if record.stage is Stage.DROPPED:
            if self.board.door_closed():
                self._cycle_finished()
            else:
                self.board.close_door()
                self._enter(State.CLOSING_DOOR, "returns.done", self.config.door_timeout)
            return Step(self.state, self.notice)
        self._log_fault(
            "restart_mid_cycle", f"{why}: item {record.barcode} at stage {record.stage.value}"
        )
        self._reconcile_checkin(record)
        # whatever bin was chosen, the item's whereabouts are uncertain: staff bin, confirmed
        staff = self.config.staff_bin
        role = self.choice.role if self.choice else BinRole.STAFF
        self.choice = BinChoice(staff, role, reason=f"recovery:{why}")
        if staff in self.full_bins:
            overflow = self.config.first(BinRole.OVERFLOW)
            if overflow is None or overflow.number in self.full_bins:
                self._out_of_service("bin_full", "staff bin full during recovery")
                return Step(self.state, self.notice)
            self.choice = BinChoice(overflow.number, role, overflow=True, reason=f"recovery:{why}")
        self.journal.set_stage(
            self.cycle, Stage.CHECKED_IN, bin=self.choice.bin, note=f"recovery flush ({why})"
        )
        self.board.divert(self.choice.bin or staff)
        self._run_belt()
        self._enter(State.RECOVERING, "returns.recovering", self.config.transport_timeout)
        return Step(self.state, self.notice)

    def _reconcile_checkin(self, record: CycleRecord) -> None:
        if not (record.barcode and record.tx_uuid):
            self.outcome = None
            return
        try:
            self.outcome = self.checkin.check_in(
                CheckinRequest(record.barcode, record.tx_uuid, self._wall(), force_offline=True)
            )
        except KioskError as exc:
            self._log_fault("checkin_failed", f"recovery: {exc}")
            self.outcome = None
            return
        self.choice = choose_bin(self.config, self.outcome, self.full_bins)
        self.journal.set_stage(
            self.cycle, Stage.ACCEPTED, outcome=asdict(self.outcome), role=self.choice.role.value
        )

    def _flush_found_nothing(self) -> None:
        """The recovery flush saw no item: it had already dropped before the power went."""
        where = (
            f"bin {self._recovery_bin}"
            if self._recovery_bin is not None
            else "the intake or the belt"
        )
        detail = (
            f"item {self.barcode or '(unreadable)'} not seen during the recovery flush; "
            f"it was last sent to {where}: check there"
        )
        self._log_fault("item_unconfirmed", detail)
        if self.cycle:
            self.journal.set_stage(self.cycle, Stage.DROPPED, bin=self._recovery_bin, note=detail)
        self.board.stop_conveyor()
        self.board.close_door()
        self._enter(State.CLOSING_DOOR, "returns.done", self.config.door_timeout)
