"""The SIP2 error family: every failure the codec, server or client reports on purpose."""

from __future__ import annotations

from kiosk.errors import Sip2Error


class Sip2DecodeError(Sip2Error):
    """A frame could not be parsed (truncated, bad field, wrong encoding)."""

    def __init__(self, message: str) -> None:
        super().__init__("sip2.decode", message)


class Sip2ChecksumError(Sip2DecodeError):
    """The AZ checksum does not match the bytes of the frame."""


class Sip2UnknownCommand(Sip2DecodeError):
    """The two-character command identifier is not a SIP2 2.00 message."""

    def __init__(self, command: str) -> None:
        self.command = command
        super().__init__(f"unknown SIP2 command {command!r}")


class Sip2EncodeError(Sip2Error):
    """A message cannot be put on the wire (wrong fixed width, delimiter inside a value)."""

    def __init__(self, message: str) -> None:
        super().__init__("sip2.encode", message)


class Sip2ConnectionError(Sip2Error):
    """A SIP2 peer could not be reached, hung up, or did not answer in time."""

    def __init__(self, message: str) -> None:
        super().__init__("sip2.connection", message)


__all__ = [
    "Sip2ChecksumError",
    "Sip2ConnectionError",
    "Sip2DecodeError",
    "Sip2EncodeError",
    "Sip2Error",
    "Sip2UnknownCommand",
]
