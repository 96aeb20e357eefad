"""SIP2 wire codec: frames <-> :class:`Message`, lossless.

A frame is ``command id, fixed fields, identified fields, [AY<seq>AZ<checksum>], CR``.
Decoding keeps everything a frame carried: every identified field in wire order (unknown
identifiers and repeats included), whether the last field had its delimiter, the sequence
number and the checksum as spelled. Encoding a decoded message gives back the same bytes;
encoding a message built here gives the canonical form (every field delimited, checksum as
4 upper-case hex digits).

The checksum is the two's complement of the 16-bit sum of the encoded bytes from the first
byte through ``AZ``. Only errors of the :class:`~kiosk.sip2.errors.Sip2Error` family leave
:meth:`Codec.decode`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

from kiosk.sip2.errors import (
    Sip2ChecksumError,
    Sip2DecodeError,
    Sip2EncodeError,
    Sip2UnknownCommand,
)
from kiosk.sip2.spec import MESSAGES, MessageSpec

_HEX = frozenset("0123456789ABCDEFabcdef")


def checksum(data: bytes) -> str:
    """The AZ value for ``data`` (every byte from the command id through ``AZ``)."""
    return f"{-sum(data) & 0xFFFF:04X}"


def checksum_ok(data: bytes, value: str) -> bool:
    """Whether ``value`` (the hex digits after AZ) is the checksum of ``data``."""
    return (sum(data) + int(value, 16)) & 0xFFFF == 0


@dataclass(slots=True)
class Message:
    """One SIP2 message.

    ``fixed`` maps the fixed-field names of the command (see :mod:`kiosk.sip2.spec`) to their
    text, in order. ``fields`` holds ``(identifier, value)`` pairs in wire order.
    ``sequence`` is the AY digit and ``checksum`` the AZ text as received (``None`` when the
    frame had none); set ``sequence`` and let the codec compute the checksum on the way out.
    """

    command: str
    fixed: dict[str, str] = field(default_factory=dict)
    fields: list[tuple[str, str]] = field(default_factory=list)
    sequence: str | None = None
    checksum: str | None = None
    trailing_delimiter: bool = True

    @property
    def spec(self) -> MessageSpec:
        return MESSAGES[self.command]

    def get(self, code: str, default: str | None = None) -> str | None:
        """The first value of identifier ``code``."""
        for key, value in self.fields:
            if key == code:
                return value
        return default

    def get_all(self, code: str) -> list[str]:
        """Every value of a repeatable identifier (AF, AS, AU, BM …), in order."""
        return [value for key, value in self.fields if key == code]

    def __getitem__(self, name: str) -> str:
        """A fixed field by name: ``msg["no_block"]``."""
        return self.fixed[name]

    def add(self, code: str, value: object | None) -> Message:
        """Append an identified field; ``None`` adds nothing. Returns self for chaining."""
        if value is not None:
            self.fields.append((code, str(value)))
        return self

    def extend(self, code: str, values: Iterable[object]) -> Message:
        for value in values:
            self.fields.append((code, str(value)))
        return self


def make(command: str, fields: Iterable[tuple[str, object | None]] = (), **fixed: str) -> Message:
    """Build a message, checking the fixed fields' names and widths now, not at encode time.

    Fields whose value is ``None`` are left out.
    """
    try:
        spec = MESSAGES[command]
    except KeyError:
        raise Sip2EncodeError(f"unknown SIP2 command {command!r}") from None
    ordered: dict[str, str] = {}
    for name, width in spec.fixed:
        if name not in fixed:
            raise Sip2EncodeError(f"message {command} needs fixed field {name}")
        value = fixed.pop(name)
        if len(value) != width:
            raise Sip2EncodeError(f"{command}.{name} must be {width} characters, got {value!r}")
        ordered[name] = value
    if fixed:
        raise Sip2EncodeError(f"message {command} has no fixed field {sorted(fixed)[0]}")
    pairs = [(code, str(value)) for code, value in fields if value is not None]
    return Message(command, ordered, pairs)


@dataclass(frozen=True, slots=True)
class Codec:
    """Encode and decode frames with one peer's conventions.

    ``delimiter`` is the field separator (``|`` unless the peer is configured otherwise);
    ``encoding`` the character set of the text (UTF-8 by default, often cp850 or latin-1 on
    older machines); ``errors`` is the codec error policy (``strict`` rejects bytes that are
    not valid in ``encoding``; ``surrogateescape`` keeps them, losslessly).
    ``verify_checksums`` rejects frames whose AZ does not add up; ``lenient_checksums`` accepts
    a checksum of fewer than four hex digits or in lower case (some clients do not pad).
    """

    delimiter: str = "|"
    encoding: str = "utf-8"
    errors: str = "strict"
    verify_checksums: bool = True
    lenient_checksums: bool = True

    def __post_init__(self) -> None:
        if len(self.delimiter) != 1 or self.delimiter in "\r\n" or self.delimiter.isalnum():
            raise Sip2EncodeError(f"unusable SIP2 field delimiter {self.delimiter!r}")
        try:
            ascii_compatible = (self.delimiter + "AZ09").encode(self.encoding) == (
                self.delimiter + "AZ09"
            ).encode("latin-1")
        except (LookupError, UnicodeEncodeError):
            ascii_compatible = False
        if not ascii_compatible:
            raise Sip2EncodeError(
                f"SIP2 needs an ASCII-compatible encoding and a one-byte delimiter, "
                f"not {self.encoding!r} with {self.delimiter!r}"
            )

    # ------------------------------------------------------------------ decode

    def decode(self, frame: bytes) -> Message:
        """Parse one frame (with or without its CR)."""
        body = frame[:-1] if frame[-1:] == b"\r" else frame
        try:
            text = body.decode(self.encoding, self.errors)
        except (UnicodeDecodeError, LookupError) as exc:
            raise Sip2DecodeError(f"frame is not valid {self.encoding}: {exc}") from None
        if "\r" in text:
            raise Sip2DecodeError("carriage return inside a frame")
        sequence = checksum_text = None
        end = len(text)
        digits = self._trailer_digits(text)
        if digits:
            checksum_text = text[end - digits :]
            end -= digits + 2
            if self.verify_checksums:
                prefix = body[: len(body) - digits]  # hex digits are one byte each
                if not checksum_ok(prefix, checksum_text):
                    raise Sip2ChecksumError(
                        f"checksum {checksum_text} does not match (expected {checksum(prefix)})"
                    )
            if end >= 3 and text[end - 3 : end - 1] == "AY" and text[end - 1] in "0123456789":
                sequence = text[end - 1]
                end -= 3
        if end < 2:
            raise Sip2DecodeError("frame too short for a command identifier")
        command = text[:2]
        spec = MESSAGES.get(command)
        if spec is None:
            raise Sip2UnknownCommand(command)
        pos = 2
        fixed: dict[str, str] = {}
        for name, width in spec.fixed:
            stop = pos + width
            if stop > end:
                raise Sip2DecodeError(f"message {command}: fixed field {name} is cut short")
            fixed[name] = text[pos:stop]
            pos = stop
        fields: list[tuple[str, str]] = []
        trailing = True
        if pos < end:
            parts = text[pos:end].split(self.delimiter)
            if parts[-1]:
                trailing = False
            else:
                parts.pop()
            for part in parts:
                if len(part) < 2:
                    raise Sip2DecodeError(
                        f"message {command}: field without an identifier: {part!r}"
                    )
                fields.append((part[:2], part[2:]))
        return Message(command, fixed, fields, sequence, checksum_text, trailing)

    def _trailer_digits(self, text: str) -> int:
        """How many checksum digits end ``text`` (0 when there is no AZ trailer)."""
        n = len(text)
        for digits in (4, 3, 2, 1):
            if n >= digits + 2 and text[n - digits - 2 : n - digits] == "AZ":
                tail = text[n - digits :]
                if all(c in _HEX for c in tail):
                    if (digits < 4 or tail != tail.upper()) and not self.lenient_checksums:
                        raise Sip2ChecksumError(
                            f"checksum {tail!r} is not four upper-case hex digits"
                        )
                    return digits
        return 0

    def iter_decode(self, frames: Iterable[bytes]) -> Iterator[Message]:
        for frame in frames:
            yield self.decode(frame)

    # ------------------------------------------------------------------ encode

    def encode(self, message: Message, *, sequence: int | str | None = None) -> bytes:
        """The frame for ``message``, CR included.

        With a ``sequence`` (or ``message.sequence`` set) the frame gets ``AY<n>AZ<sum>``; a
        message decoded with a checksum but no sequence (96, 97) gets ``AZ<sum>`` back.
        """
        spec = MESSAGES.get(message.command)
        if spec is None:
            raise Sip2EncodeError(f"unknown SIP2 command {message.command!r}")
        delim = self.delimiter
        out = [message.command]
        fixed = message.fixed
        if len(fixed) != len(spec.fixed):
            raise Sip2EncodeError(f"message {message.command}: wrong set of fixed fields")
        for name, width in spec.fixed:
            value = fixed.get(name)
            if value is None or len(value) != width:
                raise Sip2EncodeError(
                    f"{message.command}.{name} must be {width} characters, got {value!r}"
                )
            out.append(value)
        for code, value in message.fields:
            if len(code) != 2 or delim in code or delim in value or "\r" in value:
                raise Sip2EncodeError(
                    f"message {message.command}: field {code!r} cannot carry {value!r}"
                )
            out.append(code)
            out.append(value)
            out.append(delim)
        if message.fields and not message.trailing_delimiter:
            out.pop()
        seq = message.sequence if sequence is None else str(sequence)
        if seq is not None:
            if len(seq) != 1 or seq not in "0123456789":
                raise Sip2EncodeError(f"sequence number must be one digit, got {seq!r}")
            out.append("AY")
            out.append(seq)
        text = "".join(out)
        if "\r" in text:
            raise Sip2EncodeError(f"message {message.command}: carriage return in a field")
        try:
            data = text.encode(self.encoding, self.errors)
        except UnicodeEncodeError as exc:
            raise Sip2EncodeError(f"cannot encode in {self.encoding}: {exc}") from None
        if seq is None and message.checksum is None:
            return data + b"\r"
        data += b"AZ"
        value = checksum(data)
        kept = message.checksum
        if kept is not None and kept != value and kept.upper().zfill(4) == value:
            value = kept  # a decoded message keeps its peer's spelling of the same checksum
        return data + value.encode("ascii") + b"\r"


DEFAULT_CODEC = Codec()


def decode(frame: bytes) -> Message:
    """Decode with the default conventions (``|``, UTF-8, checksums verified)."""
    return DEFAULT_CODEC.decode(frame)


def encode(message: Message, *, sequence: int | str | None = None) -> bytes:
    return DEFAULT_CODEC.encode(message, sequence=sequence)


# ---------------------------------------------------------------------- dates

BLANK_DATE = " " * 18


def format_date(instant: datetime | None, *, utc: bool = False) -> str:
    """The 18-character SIP2 date ``YYYYMMDDZZZZHHMMSS``.

    Local time has a blank zone (``"    "``); ``utc=True`` converts to UTC and writes
    ``"   Z"``. ``None`` gives 18 blanks (the standard's "no date").
    """
    if instant is None:
        return BLANK_DATE
    if utc:
        if instant.tzinfo is not None:
            instant = instant.astimezone(UTC)
        return instant.strftime("%Y%m%d") + "   Z" + instant.strftime("%H%M%S")
    return instant.strftime("%Y%m%d") + "    " + instant.strftime("%H%M%S")


def parse_date(text: str, local_tz: timezone | None = None) -> datetime | None:
    """Parse an 18-character SIP2 date; blanks give ``None``.

    A ``Z`` zone is UTC; a blank zone is local time, taken in ``local_tz`` when given (else
    naive). Raises :class:`Sip2DecodeError` for anything else.
    """
    if not text.strip():
        return None
    if len(text) != 18:
        raise Sip2DecodeError(f"a SIP2 date has 18 characters, got {text!r}")
    zone = text[8:12]
    try:
        parsed = datetime.strptime(text[:8] + text[12:], "%Y%m%d%H%M%S")
    except ValueError:
        raise Sip2DecodeError(f"not a SIP2 date: {text!r}") from None
    if zone.strip() == "Z":
        return parsed.replace(tzinfo=UTC)
    if zone.strip():
        raise Sip2DecodeError(f"unsupported SIP2 time zone {zone!r} in {text!r}")
    return parsed.replace(tzinfo=local_tz) if local_tz is not None else parsed


def flags(value: str, width: int) -> str:
    """Pad/check a Y/N-or-blank flag string to ``width``."""
    if len(value) > width:
        raise Sip2EncodeError(f"flag string {value!r} is longer than {width}")
    return value.ljust(width)


def yn(value: bool) -> str:
    return "Y" if value else "N"


def count(value: int, width: int = 4) -> str:
    """A fixed-width count (``0003``); values that do not fit are capped, not truncated."""
    return str(max(0, min(value, 10**width - 1))).zfill(width)


def local_offset(instant: datetime) -> timedelta:
    offset = instant.utcoffset()
    return offset if offset is not None else timedelta(0)
