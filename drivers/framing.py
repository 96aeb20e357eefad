"""Turning a byte stream into frames: terminator, prefix/suffix, noise rejection.

The framer is pure (no I/O, time passed in), so it is tested over random byte streams.
A frame is accepted only if, after stripping the configured prefix and suffix, it is 1 to
``max_length`` printable ASCII characters; anything else is a :class:`Rejected` with a
reason, never an exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Terminator(StrEnum):
    CR = "cr"
    LF = "lf"
    CRLF = "crlf"
    ETX = "etx"

    @property
    def bytes(self) -> bytes:
        return _TERMINATOR_BYTES[self]


_TERMINATOR_BYTES = {
    Terminator.CR: b"\r",
    Terminator.LF: b"\n",
    Terminator.CRLF: b"\r\n",
    Terminator.ETX: b"\x03",
}
_LINE_ENDS = b"\r\n"


@dataclass(frozen=True)
class FramerSettings:
    terminator: Terminator = Terminator.CR
    prefix: bytes = b""
    """Stripped from the start of a frame when present (for example STX, or a scanner's
    configured preamble)."""
    suffix: bytes = b""
    """Stripped from the end of a frame when present."""
    require_affixes: bool = False
    """Reject frames that lack the configured prefix or suffix instead of accepting them."""
    max_length: int = 64
    """Longest payload accepted; longer input is dropped up to the next terminator."""
    frame_timeout: float = 0.5
    """A partial frame with no new byte for this many seconds is dropped."""


@dataclass(frozen=True)
class Frame:
    payload: str
    raw: bytes


@dataclass(frozen=True)
class Rejected:
    reason: str
    raw: bytes


FramerResult = Frame | Rejected


def is_printable(data: bytes) -> bool:
    return all(0x20 <= b <= 0x7E for b in data)


class Framer:
    """Accumulates bytes and returns frames and rejections as terminators arrive."""

    def __init__(self, settings: FramerSettings | None = None) -> None:
        self.settings = settings or FramerSettings()
        self._term = self.settings.terminator.bytes
        self._buffer = bytearray()
        self._discarding = False
        self._last_byte_at: float | None = None
        s = self.settings
        self._max_raw = len(s.prefix) + s.max_length + len(s.suffix)

    @property
    def pending(self) -> bytes:
        return bytes(self._buffer)

    def feed(self, data: bytes, now: float = 0.0) -> list[FramerResult]:
        results: list[FramerResult] = []
        if not data:
            return results
        self._last_byte_at = now
        self._buffer.extend(data)
        while True:
            index = self._buffer.find(self._term)
            if index < 0:
                break
            raw = bytes(self._buffer[:index])
            del self._buffer[: index + len(self._term)]
            if self._discarding:
                self._discarding = False
                continue
            result = self._frame(raw)
            if result is not None:
                results.append(result)
        if not self._discarding and self._pending_length() > self._max_raw + len(self._term):
            # The slack keeps a terminator split across reads (CRLF) out of the count.
            reason = f"over-long frame (>{self.settings.max_length} bytes)"
            results.append(Rejected(reason, bytes(self._buffer[:256])))
            self._discarding = True
        if self._discarding:
            keep = len(self._term) - 1
            del self._buffer[: max(0, len(self._buffer) - keep)]
        return results

    def _pending_length(self) -> int:
        if self.settings.terminator is Terminator.ETX:
            return len(self._buffer)
        return len(self._buffer.lstrip(_LINE_ENDS))

    def expire(self, now: float) -> list[FramerResult]:
        """Drop a partial frame that has waited longer than the frame timeout."""
        if self._last_byte_at is None or now - self._last_byte_at < self.settings.frame_timeout:
            return []
        raw = bytes(self._buffer)
        discarding = self._discarding
        self._buffer.clear()
        self._discarding = False
        self._last_byte_at = None
        if discarding:
            return []
        if self.settings.terminator is not Terminator.ETX:
            raw = raw.lstrip(_LINE_ENDS)
        if not raw:
            return []
        return [Rejected("partial frame at timeout (no terminator)", raw)]

    def _frame(self, raw: bytes) -> FramerResult | None:
        s = self.settings
        body = raw
        if s.terminator is not Terminator.ETX:
            # A CRLF device on a CR framer (or the reverse) leaves a stray line end in front.
            body = body.lstrip(_LINE_ENDS)
        if not body:
            return None
        if s.prefix:
            if body.startswith(s.prefix):
                body = body[len(s.prefix) :]
            elif s.require_affixes:
                return Rejected("missing prefix", raw)
        if s.suffix:
            if body.endswith(s.suffix):
                body = body[: -len(s.suffix)]
            elif s.require_affixes:
                return Rejected("missing suffix", raw)
        if not body:
            return Rejected("empty frame", raw)
        if len(body) > s.max_length:
            return Rejected(f"over-long frame (>{s.max_length} bytes)", raw)
        if not is_printable(body):
            return Rejected("non-printable bytes in frame", raw)
        return Frame(body.decode("ascii"), raw)
