"""A return machine's I/O board with its mechanics: door, belt, photo-eyes, diverter, bins.

Timing follows ``cycle_time``: the seconds from starting the belt with an item at the
intake to the item dropping into its bin (door motion is a fifth of it). Faults are switched
on by the public methods listed in :attr:`ReturnUnitSim.ACTIONS`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from drivers.framing import Frame, Framer, FramerSettings, Terminator
from drivers.sim.base import Simulator
from drivers.sim.port import DevicePort

FIRMWARE = "SIM-IO 1.0"


@dataclass
class SimItem:
    number: int
    stage: str = "intake"  # intake -> travel -> diverter -> (bin) ; or "out" when taken back
    remaining: float = 0.0
    stuck: bool = False


class ReturnUnitSim(Simulator):
    ACTIONS = (
        *Simulator.ACTIONS,
        "present_item",
        "take_back",
        "jam",
        "clear_jam",
        "bin_full",
        "empty_bin",
        "obstruct",
        "clear_obstruction",
        "estop",
        "release_estop",
        "drop_acks",
        "power_cycle",
    )

    def __init__(
        self,
        port: DevicePort | None = None,
        *,
        bins: int = 3,
        bin_capacity: int = 40,
        cycle_time: float = 1.0,
        baudrate: int | None = None,
        hello: bool = False,
    ) -> None:
        super().__init__(port, baudrate=baudrate)
        self.bins = bins
        self.bin_capacity = bin_capacity
        self.set_cycle_time(cycle_time)
        self._framer = Framer(FramerSettings(terminator=Terminator.CRLF, max_length=120))
        self._lock = threading.RLock()
        self.commands: list[str] = []
        """Every command line executed (repeats of a sequence number are not)."""
        self._last: tuple[str, str] | None = None
        self._drop = 0
        self._obstructed = False
        self._jam_next = False
        self._last_tick = time.monotonic()
        self._items = 0
        self._reset_state()
        if hello:
            self.event(f"HELLO {FIRMWARE}")

    def set_cycle_time(self, seconds: float) -> None:
        self.cycle_time = seconds
        self.door_time = seconds / 5
        self.intake_time = seconds / 10
        self.travel_time = seconds * 0.7
        self.pass_time = seconds / 5

    def _reset_state(self) -> None:
        self.door = "CLOSED"  # CLOSED, OPENING, OPEN, CLOSING
        self.door_remaining = 0.0
        self.conveyor = "STOP"
        self.diverter = 1
        self.lamp_state = "OFF"
        self.estopped = False
        self.items: list[SimItem] = []
        self.bin_counts = [0] * (self.bins + 1)
        self.full = [False] * (self.bins + 1)
        self.eye_state = {"INTAKE": False, "DIVERTER": False}

    # --- wire ----------------------------------------------------------------------------

    def event(self, text: str) -> None:
        self.send(f"! {text}\r\n".encode("ascii"))

    def on_bytes(self, data: bytes) -> None:
        for result in self._framer.feed(data, time.monotonic()):
            if isinstance(result, Frame):
                self._line(result.payload.strip())

    def _line(self, line: str) -> None:
        seq, _, command = line.partition(" ")
        if not seq.isdigit():
            return  # a real board ignores what it cannot parse
        if self._drop > 0:
            self._drop -= 1
            return
        if self._last is not None and self._last[0] == seq:
            self.send(f"{seq} {self._last[1]}\r\n".encode("ascii"))
            return
        with self._lock:
            answer = self._execute(command.split())
            self.commands.append(command)
        self._last = (seq, answer)
        self.send(f"{seq} {answer}\r\n".encode("ascii"))

    def _execute(self, words: list[str]) -> str:
        motion = words[:1] in (["DOOR"], ["CONV"], ["DIVERT"])
        if motion and self.estopped and words != ["CONV", "STOP"]:
            return "ERR ESTOP emergency stop active"
        match words:
            case ["PING"]:
                return "OK"
            case ["DOOR", "OPEN"]:
                if self.door not in ("OPEN", "OPENING"):
                    self.door, self.door_remaining = "OPENING", self.door_time
                return "OK"
            case ["DOOR", "CLOSE"]:
                if self.door not in ("CLOSED", "CLOSING"):
                    self.door, self.door_remaining = "CLOSING", self.door_time
                return "OK"
            case ["CONV", ("RUN" | "STOP" | "REV") as motion_word]:
                self.conveyor = motion_word
                return "OK"
            case ["DIVERT", number] if number.isdigit():
                if not 1 <= int(number) <= self.bins:
                    return f"ERR RANGE bins are 1 to {self.bins}"
                self.diverter = int(number)
                return "OK"
            case ["LAMP", ("OFF" | "GREEN" | "AMBER" | "RED") as colour, *rest] if rest in (
                [],
                ["BLINK"],
            ):
                self.lamp_state = colour + (" BLINK" if rest else "")
                return "OK"
            case ["STATUS"]:
                bins = ",".join(str(int(f)) for f in self.full[1:])
                eyes = ",".join(str(int(self.eye_state[e])) for e in ("INTAKE", "DIVERTER"))
                return (
                    f"OK DOOR={self.door} CONV={self.conveyor} DIVERT={self.diverter} "
                    f"BINS={bins} EYES={eyes} ESTOP={int(self.estopped)} "
                    f"LAMP={self.lamp_state.replace(' ', '-')}"
                )
            case [("DOOR" | "CONV" | "DIVERT" | "LAMP"), *_]:
                return "ERR BADARG " + " ".join(words)
            case _:
                return "ERR BADCMD " + " ".join(words)[:40]

    # --- mechanics -----------------------------------------------------------------------

    def tick(self, now: float) -> None:
        dt = now - self._last_tick
        self._last_tick = now
        if dt <= 0 or not self.port.plugged:
            return
        with self._lock:
            if self.estopped:
                return
            self._door(dt)
            self._belt(dt)

    def _door(self, dt: float) -> None:
        if self.door not in ("OPENING", "CLOSING"):
            return
        self.door_remaining -= dt
        if self.door == "CLOSING" and self._obstructed and self.door_remaining < self.door_time / 2:
            self.event("DOOR OBSTRUCTED")
            self.door, self.door_remaining = "OPENING", self.door_time / 2
            return
        if self.door_remaining <= 0:
            self.door = "OPEN" if self.door == "OPENING" else "CLOSED"
            self.event(f"DOOR {self.door}")

    def _set_eye(self, eye: str, blocked: bool) -> None:
        if self.eye_state[eye] != blocked:
            self.eye_state[eye] = blocked
            self.event(f"EYE {eye} {int(blocked)}")

    def _belt(self, dt: float) -> None:
        if self.conveyor == "STOP":
            return
        forward = self.conveyor == "RUN"
        for item in list(self.items):
            if item.stuck:
                if forward:
                    continue
                item.stuck = False  # reversing frees a jammed item
            if forward:
                item.remaining -= dt
                if item.remaining > 0:
                    continue
                if item.stage == "intake":
                    item.stage, item.remaining = "travel", self.travel_time
                elif item.stage == "travel":
                    item.stage, item.remaining = "diverter", self.pass_time
                    item.stuck, self._jam_next = self._jam_next, False
                elif item.stage == "diverter":
                    self.items.remove(item)
                    self._drop_into(self.diverter)
            else:
                item.remaining += dt
                limit = {
                    "intake": self.intake_time,
                    "travel": self.travel_time,
                    "diverter": self.pass_time,
                }[item.stage]
                if item.remaining < limit:
                    continue
                if item.stage == "diverter":
                    item.stage, item.remaining = "travel", 0.0
                elif item.stage == "travel":
                    item.stage, item.remaining = "intake", 0.0
                else:
                    self.items.remove(item)  # back out through the door to the patron
        self._update_eyes()

    def _update_eyes(self) -> None:
        self._set_eye("INTAKE", any(i.stage == "intake" for i in self.items))
        self._set_eye("DIVERTER", any(i.stage == "diverter" for i in self.items))

    def _drop_into(self, bin_number: int) -> None:
        self._update_eyes()
        self.bin_counts[bin_number] += 1
        if self.bin_counts[bin_number] >= self.bin_capacity and not self.full[bin_number]:
            self.full[bin_number] = True
            self.event(f"BIN {bin_number} FULL")

    # --- scripted actions ----------------------------------------------------------------

    def present_item(self) -> None:
        """A patron pushes an item into the intake (blocks the intake eye)."""
        with self._lock:
            self._items += 1
            self.items.append(SimItem(self._items, "intake", self.intake_time))
            self._update_eyes()

    def take_back(self) -> None:
        """The patron pulls the item at the intake back out."""
        with self._lock:
            self.items = [i for i in self.items if i.stage != "intake"]
            self._update_eyes()

    def jam(self) -> None:
        """The item at (or the next item to reach) the diverter eye gets stuck there."""
        with self._lock:
            at_eye = [i for i in self.items if i.stage == "diverter"]
            if at_eye:
                at_eye[0].stuck = True
            else:
                self._jam_next = True

    def clear_jam(self) -> None:
        """A technician frees the stuck item; it carries on into its bin."""
        with self._lock:
            self._jam_next = False
            for item in self.items:
                item.stuck = False

    def bin_full(self, bin_number: int = 1) -> None:
        with self._lock:
            self.bin_counts[bin_number] = self.bin_capacity - 1
            self._drop_into(bin_number)

    def empty_bin(self, bin_number: int = 1) -> None:
        with self._lock:
            self.bin_counts[bin_number] = 0
            if self.full[bin_number]:
                self.full[bin_number] = False
                self.event(f"BIN {bin_number} OK")

    def obstruct(self) -> None:
        """Something (a hand, a bag strap) is in the door: closing it fails until cleared."""
        self._obstructed = True

    def clear_obstruction(self) -> None:
        self._obstructed = False

    def estop(self) -> None:
        with self._lock:
            self.estopped = True
            self.conveyor = "STOP"
            self.event("ESTOP 1")

    def release_estop(self) -> None:
        with self._lock:
            self.estopped = False
            self.event("ESTOP 0")

    def drop_acks(self, count: int = 1) -> None:
        """Ignore the next ``count`` command lines (a noisy line, a busy board)."""
        self._drop = count

    def power_cycle(self) -> None:
        """Power loss and restart of the board, as real hardware behaves: the board's own
        state returns to defaults (belt stopped, diverter homed to 1, lamp off), but nothing
        physical moves: items stay where they lie on the belt, bins keep their contents and
        full sensors, a latched emergency stop stays pressed, and a door caught mid-motion
        stays part-open (reported ``OPEN``: not closed is the safe assumption)."""
        with self._lock:
            self.conveyor = "STOP"
            self.diverter = 1
            self.lamp_state = "OFF"
            if self.door in ("OPENING", "CLOSING"):
                self.door, self.door_remaining = "OPEN", 0.0
            self._last = None
            self.event(f"HELLO {FIRMWARE}")
