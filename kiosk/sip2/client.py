"""An asyncio SIP2 client (the self-check side): sequence numbers, checksums, resends.

Used by the outbox forwarder's SIP2 target to talk to an existing library system, and by
the tests and benchmarks to drive our own ACS.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from kiosk.sip2.codec import Codec, Message, make
from kiosk.sip2.errors import Sip2ConnectionError, Sip2DecodeError, Sip2Error
from kiosk.sip2.spec import RESPONSE_TO

log = logging.getLogger("kiosk.sip2.client")


@dataclass(frozen=True)
class ClientSettings:
    error_detection: bool = True
    """Send AY/AZ and check the ACS's checksums."""
    timeout: float = 10.0
    """Seconds to wait for one response."""
    retries: int = 3
    """Resends after a 96, or 97s after a garbled response, before giving up."""
    max_frame: int = 65536


class Sip2Client:
    """One connection to an ACS. Not safe for concurrent requests: one at a time, in order."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        codec: Codec | None = None,
        settings: ClientSettings | None = None,
        ssl_context: ssl.SSLContext | None = None,
        on_exchange: Callable[[bytes, bytes], None] | None = None,
    ) -> None:
        self.host, self.port = host, port
        self.codec = codec or Codec()
        self.settings = settings or ClientSettings()
        self.ssl_context = ssl_context
        self.on_exchange = on_exchange
        """Called with (request frame, response frame) for every exchange (reconciliation)."""
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._sequence = 0
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    async def connect(self) -> None:
        try:
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(
                    self.host, self.port, ssl=self.ssl_context, limit=self.settings.max_frame
                ),
                self.settings.timeout,
            )
        except (OSError, TimeoutError) as exc:
            raise Sip2ConnectionError(
                f"cannot reach the SIP2 server at {self.host}:{self.port}: {exc}"
            ) from exc
        self._sequence = 0

    async def close(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def __aenter__(self) -> Sip2Client:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def _next_sequence(self) -> int | None:
        if not self.settings.error_detection:
            return None
        value = self._sequence
        self._sequence = (self._sequence + 1) % 10
        return value

    async def request(self, message: Message) -> Message:
        """Send ``message`` and return the ACS's response to it.

        A 96 makes the client resend the same frame; a response that fails to decode (bad
        checksum) makes it send 97 so the ACS repeats itself. After ``retries`` of either,
        or a timeout, or a hang-up, :class:`Sip2ConnectionError`.
        """
        async with self._lock:
            if not self.connected:
                raise Sip2ConnectionError("not connected to the SIP2 server")
            frame = self.codec.encode(message, sequence=self._next_sequence())
            expected = RESPONSE_TO.get(message.command)
            await self._write(frame)
            attempts = 0
            while True:
                raw = await self._read()
                try:
                    response = self.codec.decode(raw)
                except Sip2DecodeError as error:
                    attempts += 1
                    if attempts > self.settings.retries:
                        raise Sip2ConnectionError(f"unreadable responses: {error}") from error
                    log.info("SIP2 response unreadable (%s), asking for a resend", error)
                    await self._write(self._resend_frame())
                    continue
                if response.command == "96" and message.command != "97":
                    attempts += 1
                    if attempts > self.settings.retries:
                        raise Sip2ConnectionError("the ACS keeps asking for resends")
                    log.info("SIP2 ACS asked for a resend (%d)", attempts)
                    await self._write(frame)
                    continue
                if (
                    self.settings.error_detection
                    and response.sequence is not None
                    and frame_sequence(frame) is not None
                    and response.sequence != frame_sequence(frame)
                ):
                    log.warning(
                        "SIP2 response sequence %s does not match request %s",
                        response.sequence,
                        frame_sequence(frame),
                    )
                if expected is not None and response.command != expected:
                    raise Sip2ConnectionError(
                        f"expected a {expected} response to {message.command}, "
                        f"got {response.command}"
                    )
                if self.on_exchange is not None:
                    self.on_exchange(frame, raw)
                return response

    def _resend_frame(self) -> bytes:
        return self.codec.encode(
            Message("97", checksum="" if self.settings.error_detection else None)
        )

    async def _write(self, data: bytes) -> None:
        assert self._writer is not None
        try:
            self._writer.write(data)
            await self._writer.drain()
        except (OSError, ConnectionError) as exc:
            await self.close()
            raise Sip2ConnectionError(f"the SIP2 server hung up: {exc}") from exc

    async def _read(self) -> bytes:
        assert self._reader is not None
        try:
            raw = await asyncio.wait_for(self._reader.readuntil(b"\r"), self.settings.timeout)
        except TimeoutError as exc:
            await self.close()
            raise Sip2ConnectionError("the SIP2 server did not answer in time") from exc
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError) as exc:
            await self.close()
            raise Sip2ConnectionError(f"the SIP2 server hung up: {exc}") from exc
        return raw.lstrip(b"\n")

    # ------------------------------------------------------------------ conveniences

    async def login(self, user: str, password: str, location: str | None = None) -> bool:
        message = make(
            "93",
            [("CN", user), ("CO", password), ("CP", location)],
            uid_algorithm="0",
            pwd_algorithm="0",
        )
        response = await self.request(message)
        return response["ok"] == "1"

    async def sc_status(self, status: str = "0", width: int = 80) -> Message:
        return await self.request(
            make(
                "99",
                status_code=status,
                max_print_width=str(width).zfill(3)[:3],
                protocol_version="2.00",
            )
        )


def frame_sequence(frame: bytes) -> str | None:
    """The AY digit of an encoded frame (``None`` without error detection)."""
    tail = frame[-12:]
    index = tail.rfind(b"AY")
    if index < 0 or index + 2 >= len(tail):
        return None
    digit = chr(tail[index + 2])
    return digit if digit.isdigit() else None


__all__ = ["ClientSettings", "Sip2Client", "Sip2ConnectionError", "Sip2Error", "frame_sequence"]
