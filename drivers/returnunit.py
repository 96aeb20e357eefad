"""The return machine's I/O board: door, conveyor, diverter, lamp; photo-eyes and faults.

The line protocol is documented in ``docs/return-unit-protocol.md``. In short, the host sends
``<seq> <COMMAND> [ARGS]`` lines; the board answers each with ``<seq> OK [KEY=VALUE …]`` or
``<seq> ERR <CODE> [text]`` and reports sensor changes as ``! <EVENT> [ARGS]`` lines.
A command without an answer within ``ack_timeout`` is sent again with the same sequence
number (the board answers a repeated number without acting twice); after ``retries``
repeats the command fails with a :class:`CommandFailed` event.

Every command method returns a ``concurrent.futures.Future`` at once, so a controller can
``.result()`` it on a worker thread or ``await asyncio.wrap_future(...)`` in an event loop.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from drivers.device import FramedDevice
from drivers.events import (
    BinCleared,
    BinFull,
    BoardReset,
    CommandFailed,
    DoorClosed,
    DoorObstructed,
    DoorOpened,
    EmergencyStop,
    Emit,
    IntakeCleared,
    ItemPassedDiverter,
    ItemPresent,
    Jam,
    JamCleared,
    utcnow,
)
from drivers.framing import Frame, FramerSettings, Terminator
from drivers.link import SerialSettings

log = logging.getLogger(__name__)


class Conveyor(StrEnum):
    RUN = "RUN"
    STOP = "STOP"
    REVERSE = "REV"


class Lamp(StrEnum):
    OFF = "OFF"
    GREEN = "GREEN"
    AMBER = "AMBER"
    RED = "RED"


class Eye(StrEnum):
    INTAKE = "INTAKE"
    DIVERTER = "DIVERTER"


@dataclass(frozen=True)
class ReturnUnitSettings:
    bins: int = 3
    ack_timeout: float = 0.5
    retries: int = 2
    """Repeats after the first attempt before a command fails."""
    jam_timeout: float = 3.0
    """A photo-eye blocked this long is a jam (the intake eye only while the belt runs)."""
    framing: FramerSettings = field(
        default_factory=lambda: FramerSettings(terminator=Terminator.CRLF, max_length=120)
    )


@dataclass(frozen=True)
class CommandResult:
    command: str
    ok: bool
    code: str = ""
    """The board's error code (``ESTOP``, ``RANGE`` …), ``TIMEOUT`` or ``OFFLINE``."""
    reason: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    attempts: int = 1


@dataclass
class _Pending:
    command: str
    future: Future[CommandResult]
    seq: int = 0
    reply: threading.Event = field(default_factory=threading.Event)
    answer: str = ""


class ReturnUnit(FramedDevice):
    """Driver for the I/O board. Tracks what the board last confirmed."""

    kind = "return_unit"

    def __init__(
        self,
        name: str,
        serial: SerialSettings,
        emit: Emit,
        settings: ReturnUnitSettings | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings or ReturnUnitSettings()
        super().__init__(name, serial, self.settings.framing, emit, clock=clock)
        self.conveyor = Conveyor.STOP
        self.diverter = 1
        self.eyes: dict[Eye, float | None] = {Eye.INTAKE: None, Eye.DIVERTER: None}
        """When each eye became blocked (monotonic seconds), None when clear."""
        self.jammed: set[Eye] = set()
        self.full_bins: set[int] = set()
        self.estop = False
        self._seq = itertools.count(1)
        self._commands: queue.Queue[_Pending | None] = queue.Queue()
        self._current: _Pending | None = None
        self._sender: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> ReturnUnit:
        super().start()
        if self._sender is None:
            self._sender = threading.Thread(
                target=self._send_loop, daemon=True, name=f"cmd-{self.name}"
            )
            self._sender.start()
        return self

    def stop(self) -> None:
        self._commands.put(None)
        if self._sender is not None:
            self._sender.join(2)
            self._sender = None
        super().stop()

    # --- commands ------------------------------------------------------------------------

    def open_door(self) -> Future[CommandResult]:
        return self.send("DOOR OPEN")

    def close_door(self) -> Future[CommandResult]:
        return self.send("DOOR CLOSE")

    def run_conveyor(self) -> Future[CommandResult]:
        return self.set_conveyor(Conveyor.RUN)

    def stop_conveyor(self) -> Future[CommandResult]:
        return self.set_conveyor(Conveyor.STOP)

    def reverse_conveyor(self) -> Future[CommandResult]:
        return self.set_conveyor(Conveyor.REVERSE)

    def set_conveyor(self, motion: Conveyor) -> Future[CommandResult]:
        return self.send(f"CONV {Conveyor(motion).value}")

    def divert(self, bin_number: int) -> Future[CommandResult]:
        if not 1 <= bin_number <= self.settings.bins:
            return self._resolved(
                CommandResult(
                    f"DIVERT {bin_number}", False, "RANGE", f"bins are 1 to {self.settings.bins}"
                )
            )
        return self.send(f"DIVERT {bin_number}")

    def lamp(self, colour: Lamp, blink: bool = False) -> Future[CommandResult]:
        return self.send(f"LAMP {Lamp(colour).value}" + (" BLINK" if blink else ""))

    def query_status(self) -> Future[CommandResult]:
        """``fields`` of the result: DOOR, CONV, DIVERT, BINS, EYES, ESTOP, LAMP."""
        return self.send("STATUS")

    def ping(self) -> Future[CommandResult]:
        return self.send("PING")

    def send(self, command: str) -> Future[CommandResult]:
        """Queue ``command`` (one line, no sequence number); commands go out in order."""
        future: Future[CommandResult] = Future()
        self._commands.put(_Pending(command, future))
        return future

    def _resolved(self, result: CommandResult) -> Future[CommandResult]:
        future: Future[CommandResult] = Future()
        self._finish(result, future)
        return future

    def _send_loop(self) -> None:
        while True:
            pending = self._commands.get()
            if pending is None:
                return
            try:
                result = self._exchange(pending)
            except Exception as exc:  # never leave a caller waiting forever
                log.exception("%s: command %s failed", self.name, pending.command)
                result = CommandResult(pending.command, False, "INTERNAL", str(exc))
            self._finish(result, pending.future)

    def _exchange(self, pending: _Pending) -> CommandResult:
        pending.seq = next(self._seq) % 10000 or next(self._seq)
        line = f"{pending.seq} {pending.command}\r\n".encode("ascii")
        attempts = 0
        self._current = pending
        try:
            for attempts in range(1, self.settings.retries + 2):
                if not self.link.write(line):
                    return CommandResult(
                        pending.command, False, "OFFLINE", "board not connected", attempts=attempts
                    )
                if pending.reply.wait(self.settings.ack_timeout):
                    return self._result(pending, attempts)
                log.info("%s: no answer to %r (attempt %d)", self.name, pending.command, attempts)
        finally:
            self._current = None
        return CommandResult(
            pending.command,
            False,
            "TIMEOUT",
            f"no acknowledgement after {attempts} attempts",
            attempts=attempts,
        )

    def _result(self, pending: _Pending, attempts: int) -> CommandResult:
        words = pending.answer.split()
        if words and words[0] == "OK":
            fields = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            return CommandResult(pending.command, True, fields=fields, attempts=attempts)
        code = words[1] if len(words) > 1 else "ERR"
        return CommandResult(
            pending.command, False, code, " ".join(words[2:]) or code, attempts=attempts
        )

    def _confirmed(self, command: str) -> None:
        words = command.split()
        if words[0] == "CONV":
            self.conveyor = Conveyor(words[1])
        elif words[0] == "DIVERT":
            self.diverter = int(words[1])

    def _finish(self, result: CommandResult, future: Future[CommandResult]) -> None:
        if not result.ok:
            log.warning(
                "%s: %s failed: %s %s", self.name, result.command, result.code, result.reason
            )
            self.emit(
                CommandFailed(
                    device=self.name,
                    at=self.clock(),
                    command=result.command,
                    reason=f"{result.code}: {result.reason}",
                )
            )
        future.set_result(result)

    # --- input from the board --------------------------------------------------------------

    def on_frame(self, frame: Frame, now: float) -> None:
        line = frame.payload.strip()
        if line.startswith("!"):
            self._board_event(line[1:].split(), frame, now)
            return
        seq_text, _, answer = line.partition(" ")
        pending = self._current
        if not seq_text.isdigit() or not answer.startswith(("OK", "ERR")):
            self.reject("not a reply or event line", frame.raw)
        elif pending is not None and int(seq_text) == pending.seq and not pending.reply.is_set():
            pending.answer = answer
            if answer.split()[:1] == ["OK"]:
                # Here, in the reader thread: an eye event right behind the acknowledgement
                # must already see the new diverter position (the sender may not have woken).
                self._confirmed(pending.command)
            pending.reply.set()
        else:
            log.debug("%s: late or repeated reply %r", self.name, line)

    def _board_event(self, words: list[str], frame: Frame, now: float) -> None:
        at = self.clock()
        match words:
            case ["EYE", eye, state] if eye in Eye.__members__ and state in ("0", "1"):
                self._eye(Eye(eye), state == "1", now, at)
            case ["BIN", number, "FULL"] if number.isdigit():
                self.full_bins.add(int(number))
                self.emit(BinFull(device=self.name, at=at, bin=int(number)))
            case ["BIN", number, "OK"] if number.isdigit():
                self.full_bins.discard(int(number))
                self.emit(BinCleared(device=self.name, at=at, bin=int(number)))
            case ["DOOR", "OPEN"]:
                self.emit(DoorOpened(device=self.name, at=at))
            case ["DOOR", "CLOSED"]:
                self.emit(DoorClosed(device=self.name, at=at))
            case ["DOOR", "OBSTRUCTED"]:
                self.emit(DoorObstructed(device=self.name, at=at))
            case ["ESTOP", state] if state in ("0", "1"):
                self.estop = state == "1"
                if self.estop:
                    self.conveyor = Conveyor.STOP
                self.emit(EmergencyStop(device=self.name, at=at, active=self.estop))
            case ["HELLO", *firmware]:
                self.conveyor, self.diverter, self.estop = Conveyor.STOP, 1, False
                self.emit(BoardReset(device=self.name, at=at, firmware=" ".join(firmware)))
            case _:
                self.reject("unknown board event", frame.raw)

    def _eye(self, eye: Eye, blocked: bool, now: float, at: datetime) -> None:
        was_blocked = self.eyes[eye] is not None
        if blocked == was_blocked:
            return
        self.eyes[eye] = now if blocked else None
        if not blocked and eye in self.jammed:
            self.jammed.discard(eye)
            self.emit(JamCleared(device=self.name, at=at, eye=eye.value.lower()))
        if eye is Eye.INTAKE:
            event = ItemPresent if blocked else IntakeCleared
            self.emit(event(device=self.name, at=at))
        elif not blocked and self.conveyor is not Conveyor.REVERSE:
            # Cleared while the belt runs backwards (freeing a jam), the item went back
            # from the eye: it did not pass the diverter, and will pass it again later.
            self.emit(ItemPassedDiverter(device=self.name, at=at, bin=self.diverter))

    def tick(self, now: float) -> None:
        super().tick(now)
        for eye, since in self.eyes.items():
            if since is None or eye in self.jammed:
                continue
            if eye is Eye.INTAKE and self.conveyor is not Conveyor.RUN:
                # a patron may hold a book in the intake; only a running belt can jam there
                self.eyes[eye] = now
                continue
            if now - since >= self.settings.jam_timeout:
                self.jammed.add(eye)
                self.emit(
                    Jam(
                        device=self.name,
                        at=self.clock(),
                        eye=eye.value.lower(),
                        blocked_for=round(now - since, 3),
                    )
                )

    def connected(self) -> None:
        super().connected()
        self.eyes = {Eye.INTAKE: None, Eye.DIVERTER: None}
