"""An ESC/POS receipt printer: answers DLE EOT, keeps what it printed, takes faults."""

from __future__ import annotations

import re
import threading

from drivers.sim.base import Simulator
from drivers.sim.port import DevicePort

_CONTROL = re.compile(rb"[\x1b\x1d][\x00-\xff][\x00-\xff]")


def printable_text(data: bytes) -> str:
    """The text of ESC/POS output, with 3-byte ESC/GS commands removed (for people)."""
    text = _CONTROL.sub(b"", data)
    return bytes(b for b in text if b == 0x0A or b >= 0x20).decode("cp437", "replace")


class PrinterSim(Simulator):
    ACTIONS = (
        *Simulator.ACTIONS,
        "paper_out",
        "paper_near_end",
        "paper_ok",
        "cover_open",
        "cover_close",
        "go_offline",
        "go_online",
    )

    def __init__(self, port: DevicePort | None = None, *, baudrate: int | None = None) -> None:
        super().__init__(port, baudrate=baudrate)
        self.is_paper_out = False
        self.is_near_end = False
        self.is_cover_open = False
        self.is_offline = False
        self.printed = bytearray()
        self.queries = 0
        self._pending = b""
        self._lock = threading.Lock()
        self.changed = threading.Condition(self._lock)

    # --- faults --------------------------------------------------------------------------

    def paper_out(self) -> None:
        self.is_paper_out = True

    def paper_near_end(self) -> None:
        self.is_near_end = True

    def paper_ok(self) -> None:
        self.is_paper_out = self.is_near_end = False

    def cover_open(self) -> None:
        self.is_cover_open = True

    def cover_close(self) -> None:
        self.is_cover_open = False

    def go_offline(self) -> None:
        self.is_offline = True

    def go_online(self) -> None:
        self.is_offline = False

    # --- behaviour -----------------------------------------------------------------------

    def status_byte(self, n: int) -> int:
        value = 0x12
        stopped = self.is_paper_out or self.is_cover_open or self.is_offline
        if n == 1 and stopped:
            value |= 0x08
        elif n == 2:
            value |= (0x04 if self.is_cover_open else 0) | (0x20 if self.is_paper_out else 0)
        elif n == 4:
            if self.is_paper_out:
                value |= 0x6C  # a roll at its end also trips the near-end sensor: 0x7E
            elif self.is_near_end:
                value |= 0x0C
        return value

    def on_bytes(self, data: bytes) -> None:
        buffer = self._pending + data
        out = bytearray()
        index = 0
        while index < len(buffer):
            if buffer[index] == 0x10:
                if index + 2 >= len(buffer):
                    break  # wait for the rest of a real-time command
                if buffer[index + 1] == 0x04:
                    self.queries += 1
                    self.send(bytes([self.status_byte(buffer[index + 2])]))
                    index += 3
                    continue
            out.append(buffer[index])
            index += 1
        self._pending = bytes(buffer[index:])
        if out:
            with self.changed:
                if not (self.is_paper_out or self.is_cover_open or self.is_offline):
                    self.printed.extend(out)
                self.changed.notify_all()

    @property
    def text(self) -> str:
        return printable_text(bytes(self.printed))
