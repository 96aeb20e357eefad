"""Card reader: magnetic stripe track 2 or card-as-barcode, to :class:`CardEvent`."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from drivers.device import DuplicateFilter, FramedDevice
from drivers.events import CardEvent, Emit, utcnow
from drivers.framing import Frame, FramerSettings
from drivers.link import SerialSettings

# Track 2 (ISO/IEC 7813): start sentinel ";", up to 19 digits, optional "=" and
# discretionary data, end sentinel "?", sometimes a longitudinal check character.
TRACK2_PATTERN = r";(?P<card>\d{1,19})(?:=[0-9=]*)?\?.?"
# A card printed with a barcode and read by a scanner: an optional AIM id, and Codabar's
# start and stop characters (A-D) dropped only as a pair. A single leading letter is part
# of the number: Bücherhallen Hamburg's cards read "A000000001".
BARCODE_PATTERN = (
    r"(?:\][A-Za-z][0-9A-Za-z])?"
    r"(?:[A-Da-d](?=\d{6,19}[A-Da-d]$))?"
    r"(?P<card>[A-Za-z]?\d{6,19})"
    r"(?:(?<=\d)[A-Da-d])?"
)


@dataclass(frozen=True)
class CardReaderSettings:
    framing: FramerSettings = field(default_factory=FramerSettings)
    patterns: tuple[str, ...] = (TRACK2_PATTERN, BARCODE_PATTERN)
    """Regular expressions tried in order, each matching the whole frame, with a named
    group ``card``."""
    duplicate_window: float = 1.0


def compile_patterns(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    """Compile and check the patterns; ``ValueError`` says which one is wrong."""
    compiled = []
    for pattern in patterns:
        try:
            regex = re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {pattern!r} ({exc})") from exc
        if "card" not in regex.groupindex:
            raise ValueError(f"pattern {pattern!r} has no (?P<card>...) group")
        compiled.append(regex)
    return compiled


class CardReader(FramedDevice):
    kind = "card_reader"

    def __init__(
        self,
        name: str,
        serial: SerialSettings,
        emit: Emit,
        settings: CardReaderSettings | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings or CardReaderSettings()
        self.patterns = compile_patterns(self.settings.patterns)
        super().__init__(name, serial, self.settings.framing, emit, clock=clock)
        self.duplicates = DuplicateFilter(self.settings.duplicate_window)

    def redact(self, raw: bytes) -> bytes:
        """Card data is personal (track 1 even holds the name): log only its shape."""
        return re.sub(rb"[0-9]", b"9", re.sub(rb"[A-Za-z]", b"a", raw))

    def parse(self, payload: str) -> tuple[str, str] | None:
        """The card number and its source (``track2`` or ``barcode``), or None."""
        for regex in self.patterns:
            match = regex.fullmatch(payload)
            if match and match.group("card"):
                source = "track2" if payload.startswith(";") else "barcode"
                return match.group("card"), source
        return None

    def on_frame(self, frame: Frame, now: float) -> None:
        parsed = self.parse(frame.payload)
        if parsed is None:
            self.reject("does not match any card pattern", frame.raw)
            return
        number, source = parsed
        if self.duplicates.is_duplicate(number, now):
            return
        self.emit(CardEvent(device=self.name, at=self.clock(), card_number=number, source=source))
