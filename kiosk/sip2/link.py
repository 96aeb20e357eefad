"""A blocking SIP2 connection for the machine's threads (forwarder, session lookups).

It owns a private event loop that runs the asyncio :class:`~kiosk.sip2.client.Sip2Client`;
every call comes from one thread at a time (a lock enforces it). It logs in on first use and
after any failure, and keeps the ACS's last 98 status.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kiosk.sip2.client import ClientSettings, Sip2Client
from kiosk.sip2.codec import Codec, Message
from kiosk.sip2.errors import Sip2ConnectionError, Sip2Error


@dataclass(frozen=True)
class Sip2LinkSettings:
    """How a machine reaches the library system's SIP2 server (``central.kind = "sip2"``)."""

    host: str
    port: int
    user: str
    """CN of the 93 login."""
    password: str
    """CO of the 93 login."""
    location: str = ""
    """CP of the login and AP of checkins (the machine's branch at the ILS)."""
    institution: str = ""
    """AO of every request."""
    terminal_password: str = ""
    """AC of every request."""
    timezone: str = "UTC"
    """The ILS's local time zone: SIP2 dates carry no offset."""
    currency: str = ""
    """ISO 4217 code sent with fee payments (blank: the ILS's default)."""
    delimiter: str = "|"
    encoding: str = "utf-8"
    error_detection: bool = True
    timeout: float = 10.0
    retries: int = 3
    tls: bool = False
    """Wrap the connection in TLS (an ILS behind stunnel, or our ACS with a certificate)."""
    tls_ca: Path | None = None
    """PEM file of the CA (or self-signed certificate) to trust; None: the system's CAs."""
    reconciliation: Path | None = None
    """SQLite file of every request and response of the forwarder (None: kept in memory)."""


@dataclass
class AcsState:
    """What the ACS's last 98 said."""

    online: bool = False
    offline_ok: bool = False
    checkin_ok: bool = True
    checkout_ok: bool = True
    supported: str = ""
    checked_at: datetime | None = None


class LoginRefused(Sip2ConnectionError):
    """The ACS answered 94 with ok = 0."""


class Sip2Link:
    def __init__(self, settings: Sip2LinkSettings) -> None:
        self.settings = settings
        self.codec = Codec(delimiter=settings.delimiter, encoding=settings.encoding)
        self.state = AcsState()
        self._loop = asyncio.new_event_loop()
        self._client: Sip2Client | None = None
        self._lock = threading.RLock()

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    def request(self, message: Message, on_exchange: Any = None) -> Message:
        """Send one request (logging in first if needed); Sip2Error on failure."""
        with self._lock:
            return self._run(self._request(message, on_exchange))

    def status(self) -> AcsState:
        with self._lock:
            return self._run(self._status_now())

    def close(self) -> None:
        with self._lock:
            if self._client is not None and not self._loop.is_closed():
                self._run(self._client.close())
            self._client = None
            if not self._loop.is_closed():
                self._loop.close()

    # ------------------------------------------------------------------ on the loop

    def _run(self, coro: Any) -> Any:
        if self._loop.is_closed():
            coro.close()
            raise Sip2ConnectionError("the SIP2 link is closed")
        return self._loop.run_until_complete(coro)

    async def _connected(self) -> Sip2Client:
        if self._client is not None and self._client.connected:
            return self._client
        s = self.settings
        client = Sip2Client(
            s.host,
            s.port,
            codec=self.codec,
            settings=ClientSettings(
                error_detection=s.error_detection, timeout=s.timeout, retries=s.retries
            ),
            ssl_context=ssl.create_default_context(cafile=s.tls_ca) if s.tls else None,
        )
        await client.connect()
        try:
            if not await client.login(s.user, s.password, s.location or None):
                raise LoginRefused(
                    f"the SIP2 server at {s.host}:{s.port} refused the login of {s.user!r}"
                )
            self._client = client
            await self._status(client)
        except Sip2Error:
            await client.close()
            self._client = None
            raise
        return client

    async def _request(self, message: Message, on_exchange: Any) -> Message:
        client = await self._connected()
        client.on_exchange = on_exchange
        try:
            return await client.request(message)
        except Sip2Error:
            await client.close()
            self._client = None
            raise
        finally:
            client.on_exchange = None

    async def _status_now(self) -> AcsState:
        client = await self._connected()
        await self._status(client)
        return self.state

    async def _status(self, client: Sip2Client) -> None:
        response = await client.sc_status()
        self.state = AcsState(
            online=response["online_status"] == "Y",
            offline_ok=response["offline_ok"] == "Y",
            checkin_ok=response["checkin_ok"] == "Y",
            checkout_ok=response["checkout_ok"] == "Y",
            supported=response.get("BX") or "",
            checked_at=datetime.now(UTC),
        )
