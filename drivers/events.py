"""Typed events the drivers emit, and small sinks that deliver them.

Events are frozen dataclasses that know nothing of the UI. A driver calls one ``emit``
callable from its reader thread; :class:`EventQueue` and :func:`asyncio_sink` turn that into
a thread-safe queue or an asyncio queue so no UI loop ever blocks on a port.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def utcnow() -> datetime:
    """The wall-clock time stamped on events (drivers keep no other notion of time)."""
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class DeviceEvent:
    """Base of every event: which configured device, and when."""

    device: str
    at: datetime = field(default_factory=utcnow)


# --- link ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class DeviceReady(DeviceEvent):
    """The port opened for the first time."""

    url: str


@dataclass(frozen=True, kw_only=True)
class DeviceLost(DeviceEvent):
    """The port failed (unplugged, never there, I/O error); the link keeps retrying."""

    reason: str


@dataclass(frozen=True, kw_only=True)
class DeviceBack(DeviceEvent):
    """The port opened again after a :class:`DeviceLost`."""

    url: str
    downtime: float
    """Seconds the device was gone."""


# --- scanner and card reader ----------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ScanEvent(DeviceEvent):
    """A barcode was read."""

    code: str
    symbology: str
    """A short name (``codabar``, ``code128``, ``ean`` …) or ``unknown`` without an AIM id."""
    aim: str | None = None
    """The AIM symbology identifier as sent (``]F0``), if the scanner sent one."""


@dataclass(frozen=True, kw_only=True)
class CardEvent(DeviceEvent):
    """A patron card was read (magnetic stripe or card-as-barcode)."""

    card_number: str
    source: str = "track2"


# --- receipt printer -------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class PrinterStatusChanged(DeviceEvent):
    """The printer's status changed (from DLE EOT polling)."""

    responding: bool
    offline: bool
    paper_out: bool
    paper_near_end: bool
    cover_open: bool

    @property
    def ready(self) -> bool:
        """True when a receipt can be printed now."""
        return self.responding and not (self.offline or self.paper_out or self.cover_open)


@dataclass(frozen=True, kw_only=True)
class PrintFinished(DeviceEvent):
    """A print job ended: ``ok`` or not, with the reason (the UI offers e-mail instead)."""

    job: int
    ok: bool
    reason: str = ""


# --- return-machine I/O board ---------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ItemPresent(DeviceEvent):
    """The intake photo-eye is blocked: something is at the intake."""


@dataclass(frozen=True, kw_only=True)
class IntakeCleared(DeviceEvent):
    """The intake photo-eye is clear again (item moved on, or was taken back)."""


@dataclass(frozen=True, kw_only=True)
class ItemPassedDiverter(DeviceEvent):
    """An item went past the diverter photo-eye into ``bin``."""

    bin: int


@dataclass(frozen=True, kw_only=True)
class BinFull(DeviceEvent):
    bin: int


@dataclass(frozen=True, kw_only=True)
class BinCleared(DeviceEvent):
    """A full bin was emptied."""

    bin: int


@dataclass(frozen=True, kw_only=True)
class DoorOpened(DeviceEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class DoorClosed(DeviceEvent):
    pass


@dataclass(frozen=True, kw_only=True)
class DoorObstructed(DeviceEvent):
    """The door met an obstruction while closing; the board re-opened it."""


@dataclass(frozen=True, kw_only=True)
class Jam(DeviceEvent):
    """A photo-eye stayed blocked longer than the jam timeout."""

    eye: str
    blocked_for: float


@dataclass(frozen=True, kw_only=True)
class JamCleared(DeviceEvent):
    eye: str


@dataclass(frozen=True, kw_only=True)
class EmergencyStop(DeviceEvent):
    """The emergency stop was pressed (``active``) or released."""

    active: bool


@dataclass(frozen=True, kw_only=True)
class BoardReset(DeviceEvent):
    """The board announced itself after power-up: its state is back to defaults."""

    firmware: str


@dataclass(frozen=True, kw_only=True)
class CommandFailed(DeviceEvent):
    """A command was refused by the board or never acknowledged after its retries."""

    command: str
    reason: str


Emit = Callable[[DeviceEvent], None]


class EventQueue:
    """A thread-safe queue of events; pass :meth:`put` as a driver's ``emit``."""

    def __init__(self) -> None:
        self._queue: queue.Queue[DeviceEvent] = queue.Queue()

    def put(self, event: DeviceEvent) -> None:
        self._queue.put(event)

    def get(self, timeout: float | None = None) -> DeviceEvent:
        """The next event; raises ``queue.Empty`` after ``timeout`` seconds."""
        return self._queue.get(timeout=timeout)

    def drain(self) -> list[DeviceEvent]:
        events: list[DeviceEvent] = []
        while True:
            try:
                events.append(self._queue.get_nowait())
            except queue.Empty:
                return events


def asyncio_sink(loop: asyncio.AbstractEventLoop, target: asyncio.Queue[DeviceEvent]) -> Emit:
    """An ``emit`` that hands events from a reader thread to an asyncio queue."""

    def emit(event: DeviceEvent) -> None:
        loop.call_soon_threadsafe(target.put_nowait, event)

    return emit
