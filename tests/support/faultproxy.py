"""A fault-injecting TCP proxy for tests, loopback only (Toxiproxy is not installable here).

    proxy = FaultProxy(upstream_port).start()
    client talks to 127.0.0.1:proxy.port
    proxy.set("blackhole")      # accept, swallow, never answer
    proxy.set("reset")          # accept, then RST
    proxy.set("delay", seconds=0.5)
    proxy.set("half_open")      # forward the request upstream, never return the reply
    proxy.set("cut", after=40)  # forward, but cut the reply after N bytes (applied, reply lost)
    proxy.set("http_5xx", status=503)
    proxy.set("pass")
    proxy.stop()

Changing the mode aborts every open connection, so clients with keep-alive pools see it.
Runs its own asyncio loop in a daemon thread; usable from sync and async tests alike.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import struct
import threading
from dataclasses import dataclass, field
from typing import Any

MODES = ("pass", "blackhole", "reset", "delay", "half_open", "cut", "http_5xx")


@dataclass
class Stats:
    connections: int = 0
    by_mode: dict[str, int] = field(default_factory=dict)
    bytes_up: int = 0
    bytes_down: int = 0


class FaultProxy:
    def __init__(self, upstream_port: int, upstream_host: str = "127.0.0.1") -> None:
        if not ipaddress.ip_address(upstream_host).is_loopback:
            raise ValueError("the fault proxy only forwards to loopback addresses")
        self.upstream = (upstream_host, upstream_port)
        self.mode = "pass"
        self.params: dict[str, Any] = {}
        self.stats = Stats()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._ready = threading.Event()

    # -- control (any thread) --------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        return self

    def set(self, mode: str, **params: Any) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {', '.join(MODES)}")

        async def apply() -> None:
            self.mode, self.params = mode, params
            for writer in list(self._writers):
                _abort(writer)
            self._writers.clear()

        asyncio.run_coroutine_threadsafe(apply(), self._loop).result(5)

    def stop(self) -> None:
        async def close() -> None:
            if self._server is not None:
                self._server.close()
            for writer in list(self._writers):
                _abort(writer)
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(5)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the proxy (loop thread) -----------------------------------------------------------

    async def _start(self) -> None:
        def quiet_cancel(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            if not isinstance(context.get("exception"), asyncio.CancelledError):
                loop.default_exception_handler(context)

        self._loop.set_exception_handler(quiet_cancel)
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        mode, params = self.mode, dict(self.params)
        self.stats.connections += 1
        self.stats.by_mode[mode] = self.stats.by_mode.get(mode, 0) + 1
        self._writers.add(writer)
        try:
            if mode == "reset":
                _abort(writer)
            elif mode == "blackhole":
                while await reader.read(65536):
                    pass
            elif mode == "http_5xx":
                await self._answer_5xx(reader, writer, int(params.get("status", 503)))
            else:
                await self._forward(reader, writer, mode, params)
        except (ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            with contextlib.suppress(Exception):
                writer.close()

    async def _forward(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        mode: str,
        params: dict[str, Any],
    ) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        self._writers.add(up_writer)
        delay = float(params.get("seconds", 0.0)) if mode == "delay" else 0.0

        async def upstream() -> None:
            while data := await reader.read(65536):
                if delay:
                    await asyncio.sleep(delay)
                self.stats.bytes_up += len(data)
                up_writer.write(data)
                await up_writer.drain()
            up_writer.close()

        async def downstream() -> None:
            budget = int(params.get("after", 0)) if mode == "cut" else -1
            while data := await up_reader.read(65536):
                if mode == "half_open":
                    continue  # the request went through; the reply never comes back
                if delay:
                    await asyncio.sleep(delay)
                if budget >= 0:
                    data = data[:budget]
                    budget -= len(data)
                self.stats.bytes_down += len(data)
                writer.write(data)
                await writer.drain()
                if budget == 0:
                    _abort(writer)
                    return
            writer.close()

        try:
            await asyncio.gather(upstream(), downstream())
        finally:
            self._writers.discard(up_writer)
            with contextlib.suppress(Exception):
                up_writer.close()

    @staticmethod
    async def _answer_5xx(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, status: int
    ) -> None:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if length:
                await reader.readexactly(length)
            body = b'{"error": {"code": "unavailable", "message": "injected by the fault proxy"}}'
            writer.write(
                f"HTTP/1.1 {status} Service Unavailable\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            await writer.drain()


def _abort(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), not a polite FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport = writer.transport
    with contextlib.suppress(Exception):
        transport.abort()
