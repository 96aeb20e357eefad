"""Barcode scanner: frames to :class:`ScanEvent`, with AIM ids, de-duplication and noise checks."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from drivers.device import DuplicateFilter, FramedDevice
from drivers.events import Emit, ScanEvent, utcnow
from drivers.framing import Frame, FramerSettings
from drivers.link import SerialSettings

log = logging.getLogger(__name__)

# AIM symbology identifiers (ISO/IEC 15424): "]" + code character + modifier digit.
AIM_SYMBOLOGIES: dict[str, str] = {
    "A": "code39",
    "C": "code128",
    "D": "code2of5",
    "E": "ean",
    "F": "codabar",
    "G": "code93",
    "H": "code11",
    "I": "itf",
    "L": "pdf417",
    "M": "msi",
    "Q": "qr",
    "S": "code2of5",
    "X": "other",
    "d": "datamatrix",
    "e": "gs1-databar",
    "z": "aztec",
}
_AIM = re.compile(r"\](?P<code>[A-Za-z])(?P<modifier>[0-9A-Za-z])")
# Codabar start/stop characters are A-D (some scanners send a-d, or T/N/*/E).
_CODABAR_FRAMED = re.compile(r"[A-Da-d](?P<data>[0-9\-$:/.+]+)[A-Da-d]")


@dataclass(frozen=True)
class ScannerSettings:
    framing: FramerSettings = field(default_factory=FramerSettings)
    duplicate_window: float = 1.0
    """A repeat of the same code within this many seconds is dropped (0 disables)."""
    strip_codabar_start_stop: bool = True
    min_length: int = 1


@dataclass(frozen=True)
class ParsedScan:
    code: str
    symbology: str
    aim: str | None


def parse_scan(payload: str, strip_codabar: bool = True) -> ParsedScan:
    """Split off an AIM identifier and Codabar start/stop characters."""
    aim = None
    symbology = "unknown"
    code = payload
    match = _AIM.match(payload)
    if match:
        aim = match.group(0)
        symbology = AIM_SYMBOLOGIES.get(match.group("code"), "other")
        code = payload[match.end() :]
    if strip_codabar and symbology in ("codabar", "unknown"):
        framed = _CODABAR_FRAMED.fullmatch(code)
        if framed:
            code = framed.group("data")
            symbology = "codabar"
    return ParsedScan(code, symbology, aim)


class BarcodeScanner(FramedDevice):
    kind = "scanner"

    def __init__(
        self,
        name: str,
        serial: SerialSettings,
        emit: Emit,
        settings: ScannerSettings | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings or ScannerSettings()
        super().__init__(name, serial, self.settings.framing, emit, clock=clock)
        self.duplicates = DuplicateFilter(self.settings.duplicate_window)
        self.duplicates_dropped = 0

    def on_frame(self, frame: Frame, now: float) -> None:
        scan = parse_scan(frame.payload, self.settings.strip_codabar_start_stop)
        if len(scan.code) < self.settings.min_length:
            self.reject("too short after removing the symbology identifier", frame.raw)
            return
        if self.duplicates.is_duplicate(scan.code, now):
            self.duplicates_dropped += 1
            log.debug("%s: duplicate read dropped", self.name)
            return
        self.emit(
            ScanEvent(
                device=self.name,
                at=self.clock(),
                code=scan.code,
                symbology=scan.symbology,
                aim=scan.aim,
            )
        )
