"""A barcode scanner or card reader that "reads" whatever it is told to."""

from __future__ import annotations

from drivers.framing import Terminator
from drivers.sim.base import Simulator
from drivers.sim.port import DevicePort


class ScannerSim(Simulator):
    """Sends frames the way a serial scanner in keyboard-less mode does."""

    ACTIONS = (*Simulator.ACTIONS, "scan", "double_scan", "partial", "overlong", "swipe")

    def __init__(
        self,
        port: DevicePort | None = None,
        *,
        terminator: Terminator = Terminator.CR,
        prefix: bytes = b"",
        suffix: bytes = b"",
        aim: str | None = None,
        baudrate: int | None = None,
    ) -> None:
        super().__init__(port, baudrate=baudrate)
        self.terminator = terminator
        self.prefix = prefix
        self.suffix = suffix
        self.aim = aim
        """AIM identifier put in front of every code (``]F0``), or None."""

    def frame(self, code: str, aim: str | None = None) -> bytes:
        ident = aim if aim is not None else (self.aim or "")
        body = (ident + code).encode("ascii", "replace")
        return self.prefix + body + self.suffix + self.terminator.bytes

    def scan(self, code: str, aim: str | None = None) -> None:
        self.send(self.frame(code, aim))

    def double_scan(self, code: str) -> None:
        """The same code twice in a row (a laser re-read or an RFID pad)."""
        self.send(self.frame(code) + self.frame(code))

    def partial(self, code: str) -> None:
        """A frame cut off before its terminator (the cable pulled mid-read)."""
        self.send(self.prefix + code.encode("ascii"))

    def overlong(self, length: int = 200) -> None:
        self.send(self.frame("9" * length))

    def swipe(self, card: str, track2_extra: str = "") -> None:
        """A magnetic stripe swipe: track 2 as ``;NUMBER=EXTRA?``."""
        extra = f"={track2_extra}" if track2_extra else ""
        self.send(self.prefix + f";{card}{extra}?".encode() + self.suffix + self.terminator.bytes)
