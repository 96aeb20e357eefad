"""An asyncio SIP2 ACS: framing, login gate, error detection, hostile input, resend.

The server knows the protocol, not the library: every message after framing goes to an
:class:`Acs` (``kiosk.sip2.acs.CentralAcs`` in front of the central store). One connection
is one self-check; its requests are answered one at a time, in order, so a flooding client
only slows itself down. Whatever a client sends, the worst it gets is a 96 or a closed
connection; other connections never notice.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from kiosk.sip2.codec import Codec, Message, make
from kiosk.sip2.errors import Sip2ChecksumError, Sip2Error, Sip2UnknownCommand

log = logging.getLogger("kiosk.sip2.server")

#: Messages a client may send before it has logged in.
PRE_LOGIN = frozenset({"93", "99", "97"})


@dataclass
class Connection:
    """What the ACS knows about one self-check connection."""

    id: int
    peer: str
    machine: str | None = None
    """The machine account that logged in with message 93 (``None`` until then)."""
    location: str | None = None
    last_response: bytes | None = None
    requests: int = 0
    errors: int = 0
    error_detection: bool | None = None
    """Whether this client sends AY/AZ (known after its first good message)."""
    keepalive: bool = False
    """TCP keepalive is on for this connection (a dead self-check is noticed)."""
    data: dict[str, object] = field(default_factory=dict)
    """Per-connection state an ACS may keep (the patron of the current visit …)."""
    opened: float = field(default_factory=time.monotonic)

    def age(self) -> float:
        return time.monotonic() - self.opened


class Acs(Protocol):
    """The library behind the protocol."""

    async def login(self, conn: Connection, user: str, password: str) -> bool: ...

    async def handle(self, conn: Connection, message: Message) -> Message | None:
        """The response to ``message``; ``None`` closes the connection."""
        ...


@dataclass(frozen=True)
class ServerSettings:
    """Limits and timers; the defaults suit a library LAN."""

    max_frame: int = 8192
    """Longest frame accepted, in bytes; longer input gets a 96 and is skipped to the next CR."""
    idle_timeout: float = 600.0
    """Seconds without a complete message before the connection is closed."""
    max_errors: int = 20
    """Consecutive malformed frames tolerated before the connection is closed."""
    login_timeout: float = 60.0
    """Seconds a new connection has to log in (93) before it is closed: unauthenticated
    connections cannot hold the connection slots."""
    login_attempts: int = 3
    """Failed 93 logins on one connection before it is closed."""
    max_connections: int = 500
    keepalive_idle: int = 60
    """Seconds of silence before the kernel starts TCP keepalive probes."""
    require_login: bool = True


class Sip2Server:
    """Serve SIP2 on ``host:port`` in front of ``acs``."""

    def __init__(
        self,
        acs: Acs,
        *,
        codec: Codec | None = None,
        settings: ServerSettings | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.acs = acs
        self.codec = codec or Codec()
        self.settings = settings or ServerSettings()
        self.ssl_context = ssl_context
        self.connections: dict[int, Connection] = {}
        self._ids = itertools.count(1)
        self._server: asyncio.base_events.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 6001) -> tuple[str, int]:
        """Start listening; returns the bound address (``port=0`` picks a free one)."""
        self._server = await asyncio.start_server(
            self._accept,
            host,
            port,
            limit=self.settings.max_frame,
            ssl=self.ssl_context,
            reuse_address=True,
        )
        bound = self._server.sockets[0].getsockname()
        log.info(
            "SIP2 listening on %s:%s%s", bound[0], bound[1], " (TLS)" if self.ssl_context else ""
        )
        return bound[0], bound[1]

    async def serve_forever(self) -> None:
        assert self._server is not None, "start() first"
        async with self._server:
            await self._server.serve_forever()

    async def close(self) -> None:
        closer = getattr(self.acs, "close", None)
        if callable(closer):
            closer()
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> Sip2Server:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ one connection

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        conn = Connection(next(self._ids), _peer(writer))
        try:
            if len(self.connections) >= self.settings.max_connections:
                log.warning(
                    "SIP2: refusing %s, %d connections open", conn.peer, len(self.connections)
                )
                return
            self.connections[conn.id] = conn
            conn.keepalive = _keepalive(writer, self.settings.keepalive_idle)
            log.info("SIP2 connection %d from %s", conn.id, conn.peer)
            await self._serve(conn, reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError, TimeoutError):
            pass
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug must cost one connection, never the server
            log.exception("SIP2 connection %d failed", conn.id)
        finally:
            self.connections.pop(conn.id, None)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()
            if task is not None:
                self._tasks.discard(task)
            log.info("SIP2 connection %d closed after %d requests", conn.id, conn.requests)

    async def _serve(
        self, conn: Connection, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        settings = self.settings
        login_failures = 0
        while True:
            frame = await _read_frame(reader, settings, conn)
            if frame is None:
                return  # end of stream or idle
            if frame is _TOO_LONG:
                if not await self._reject(conn, writer, "over-long frame"):
                    return
                continue
            assert isinstance(frame, bytes)
            frame = frame.lstrip(b"\n")
            if frame in (b"\r", b""):
                continue
            conn.requests += 1
            try:
                message = self.codec.decode(frame)
            except Sip2Error as error:
                # Logs name the kind of fault and the command, never the frame's contents
                # (it may hold a PIN or a machine secret).
                reason = f"unreadable frame ({len(frame)} bytes, starts {frame[:2]!r})"
                if isinstance(error, Sip2ChecksumError):
                    reason = f"bad checksum on a {frame[:2]!r} frame"
                elif isinstance(error, Sip2UnknownCommand):
                    reason = f"unknown command {error.command!r}"
                if not await self._reject(conn, writer, reason, frame):
                    return
                continue
            conn.errors = 0
            conn.error_detection = message.checksum is not None
            command = message.command
            if command == "97":
                await self._send_raw(writer, conn.last_response or _RESEND_CHECKED)
                continue
            if settings.require_login and conn.machine is None and command not in PRE_LOGIN:
                log.warning("SIP2 connection %d: %s before login, closing", conn.id, command)
                return
            if command == "93":
                ok = await self.acs.login(conn, message.get("CN") or "", message.get("CO") or "")
                if ok:
                    conn.location = message.get("CP")
                else:
                    login_failures += 1
                response: Message | None = make("94", ok="1" if ok else "0")
            else:
                response = await self.acs.handle(conn, message)
            if response is None:
                return
            data = self.codec.encode(response, sequence=message.sequence)
            conn.last_response = data
            await self._send_raw(writer, data)
            if command == "93" and login_failures >= settings.login_attempts:
                log.warning(
                    "SIP2 connection %d: %d failed logins, closing", conn.id, login_failures
                )
                return

    async def _reject(
        self, conn: Connection, writer: asyncio.StreamWriter, reason: str, frame: bytes = b""
    ) -> bool:
        """Answer a frame we could not read with 96; False when the client has had enough."""
        conn.errors += 1
        log.info("SIP2 connection %d: %s, asking for a resend", conn.id, reason)
        if conn.errors > self.settings.max_errors:
            log.warning("SIP2 connection %d: %d bad frames in a row, closing", conn.id, conn.errors)
            return False
        checked = conn.error_detection
        if checked is None:
            checked = b"AZ" in frame[-12:]
        await self._send_raw(writer, _RESEND_CHECKED if checked else _RESEND_PLAIN)
        return True

    @staticmethod
    async def _send_raw(writer: asyncio.StreamWriter, data: bytes) -> None:
        writer.write(data)
        await writer.drain()


_RESEND_CHECKED = b"96AZFEF6\r"
"""Request SC resend, with a checksum for clients that use error detection."""
_RESEND_PLAIN = b"96\r"

_TOO_LONG = object()


async def _read_frame(
    reader: asyncio.StreamReader, settings: ServerSettings, conn: Connection
) -> bytes | object | None:
    """The next CR-terminated frame; ``_TOO_LONG`` after skipping an over-long one."""
    timeout = settings.idle_timeout
    if conn.machine is None and settings.require_login:
        timeout = min(timeout, max(settings.login_timeout - conn.age(), 0.0))
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r"), timeout)
    except TimeoutError:
        why = "no login" if conn.machine is None and settings.require_login else "idle"
        log.info("SIP2 connection %d: %s for %.0f s, closing", conn.id, why, timeout)
        return None
    except asyncio.IncompleteReadError:
        return None  # the client hung up, perhaps halfway through a message
    except asyncio.LimitOverrunError:
        # Skip to the end of the over-long frame without holding it in memory.
        while True:
            try:
                await asyncio.wait_for(reader.readuntil(b"\r"), settings.idle_timeout)
                return _TOO_LONG
            except asyncio.LimitOverrunError as exc:
                await reader.readexactly(exc.consumed)
            except (TimeoutError, asyncio.IncompleteReadError):
                return None


def _peer(writer: asyncio.StreamWriter) -> str:
    peer = writer.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return f"{peer[0]}:{peer[1]}"
    return str(peer)


def _keepalive(writer: asyncio.StreamWriter, idle: int) -> bool:
    """Turn TCP keepalive on (probes after ``idle`` seconds); whether the kernel has it on."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return False
    with contextlib.suppress(OSError, AttributeError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, idle)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(idle // 4, 5))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 4)
    try:
        return bool(sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE))
    except OSError:
        return False


def tls_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """A server-side TLS context (TLS 1.2 or newer) from a PEM certificate and key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context


async def run(
    acs: Acs,
    host: str,
    port: int,
    *,
    codec: Codec | None = None,
    settings: ServerSettings | None = None,
    ssl_context: ssl.SSLContext | None = None,
    ready: Callable[[str, int], Awaitable[None] | None] | None = None,
) -> None:
    """Serve until cancelled."""
    server = Sip2Server(acs, codec=codec, settings=settings, ssl_context=ssl_context)
    bound = await server.start(host, port)
    if ready is not None:
        result = ready(*bound)
        if asyncio.iscoroutine(result):
            await result
    try:
        await server.serve_forever()
    finally:
        await server.close()


def parse_address(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:6001`` for IPv6) -> (host, port); Sip2Error when malformed."""
    host, _, port = value.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 <= int(port) < 65536:
        from kiosk.errors import ConfigError

        raise ConfigError(f"not HOST:PORT: {value!r}", key="--sip2")
    return host.strip("[]"), int(port)


@dataclass
class RunningServer:
    """A SIP2 server on its own event loop in a daemon thread (next to uvicorn)."""

    host: str
    port: int
    loop: asyncio.AbstractEventLoop
    thread: object
    server: Sip2Server

    def stop(self, timeout: float = 5.0) -> None:
        future = asyncio.run_coroutine_threadsafe(self.server.close(), self.loop)
        with contextlib.suppress(Exception):
            future.result(timeout)
        self.loop.call_soon_threadsafe(self.loop.stop)


def serve(
    service: object,
    address: str,
    *,
    codec: Codec | None = None,
    settings: ServerSettings | None = None,
    ssl_context: ssl.SSLContext | None = None,
    acs_settings: object | None = None,
) -> RunningServer:
    """Start the SIP2 ACS for a central ``CirculationService`` in a background thread.

    Returns once the port is bound (errors such as "address in use" are raised here, as a
    ConfigError naming ``--sip2``).
    """
    import threading

    from kiosk.errors import ConfigError
    from kiosk.sip2.acs import AcsSettings, CentralAcs

    host, port = parse_address(address)
    acs = CentralAcs(service, acs_settings if isinstance(acs_settings, AcsSettings) else None)
    server = Sip2Server(acs, codec=codec, settings=settings, ssl_context=ssl_context)
    loop = asyncio.new_event_loop()
    bound: dict[str, object] = {}
    ready = threading.Event()

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            bound["address"] = loop.run_until_complete(server.start(host, port))
        except OSError as exc:
            bound["error"] = exc
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            with contextlib.suppress(Exception):
                loop.run_until_complete(server.close())
            loop.close()

    thread = threading.Thread(target=main, name="sip2-server", daemon=True)
    thread.start()
    ready.wait()
    if "error" in bound:
        raise ConfigError(f"cannot listen on {address}: {bound['error']}", key="--sip2")
    real_host, real_port = bound["address"]  # type: ignore[misc]
    return RunningServer(real_host, real_port, loop, thread, server)


def start_in_thread(central: object, address: str, **options: object) -> RunningServer:
    """What ``kiosk central serve --sip2 HOST:PORT`` calls with its ``Central``.

    The institution id (AO) and library name come from the loaded library.
    """
    from kiosk.sip2.acs import AcsSettings

    if "acs_settings" not in options:
        library = getattr(central, "library", None)
        options["acs_settings"] = AcsSettings(
            institution=getattr(library, "institution_id", "") or "",
            library_name=getattr(library, "name", "") or "",
        )
    return serve(central.service, address, **options)  # type: ignore[attr-defined, arg-type]
