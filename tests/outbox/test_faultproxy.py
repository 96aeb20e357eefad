"""The fault proxy itself, against a loopback echo server: each mode does what it says."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from typing import ClassVar

import httpx
import pytest

from tests.support.faultproxy import FaultProxy


class _Echo(socketserver.BaseRequestHandler):
    received: ClassVar[list[bytes]] = []

    def handle(self) -> None:
        while data := self.request.recv(65536):
            _Echo.received.append(data)
            self.request.sendall(b"echo:" + data)


@pytest.fixture
def proxy() -> Iterator[FaultProxy]:
    _Echo.received = []
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    with FaultProxy(server.server_address[1]) as fault:
        yield fault
    server.shutdown()
    server.server_close()


def talk(port: int, data: bytes, timeout: float = 1.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = b""
        while len(chunks) < len(data) + 5:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks += chunk
        return chunks


def test_pass_and_delay(proxy: FaultProxy) -> None:
    assert talk(proxy.port, b"hello") == b"echo:hello"
    proxy.set("delay", seconds=0.3)
    started = time.monotonic()
    assert talk(proxy.port, b"slow", timeout=3) == b"echo:slow"
    assert time.monotonic() - started >= 0.5  # delayed both ways


def test_reset_and_blackhole(proxy: FaultProxy) -> None:
    proxy.set("reset")
    with pytest.raises((ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        talk(proxy.port, b"x")
    proxy.set("blackhole")
    with pytest.raises(TimeoutError):
        talk(proxy.port, b"lost", timeout=0.3)
    assert b"lost" not in b"".join(_Echo.received)


def test_half_open_delivers_but_never_answers(proxy: FaultProxy) -> None:
    proxy.set("half_open")
    with pytest.raises(TimeoutError):
        talk(proxy.port, b"applied", timeout=0.5)
    assert b"applied" in b"".join(_Echo.received)  # the request did arrive upstream


def test_cut_after_n_bytes(proxy: FaultProxy) -> None:
    proxy.set("cut", after=3)
    try:
        got = talk(proxy.port, b"abcdef")
    except ConnectionResetError:
        got = b"ech"  # the RST may overtake the bytes on some kernels
    assert got == b"ech"
    assert b"abcdef" in b"".join(_Echo.received)


def test_http_5xx_and_mode_change_drops_open_connections(proxy: FaultProxy) -> None:
    proxy.set("http_5xx", status=503)
    response = httpx.post(f"http://127.0.0.1:{proxy.port}/v1/transactions", json={"a": 1})
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "unavailable"
    assert _Echo.received == []
    proxy.set("pass")
    sock = socket.create_connection(("127.0.0.1", proxy.port), timeout=1)
    sock.sendall(b"one")
    assert sock.recv(100) == b"echo:one"
    proxy.set("blackhole")  # aborts the open connection
    with pytest.raises((ConnectionResetError, BrokenPipeError)):
        sock.sendall(b"two")
        if not sock.recv(100):
            raise ConnectionResetError
    sock.close()
    assert {"http_5xx", "pass"} <= set(proxy.stats.by_mode)


def test_only_loopback_upstreams() -> None:
    with pytest.raises(ValueError, match="loopback"):
        FaultProxy(80, "93.184.216.34")
    with pytest.raises(ValueError, match="unknown mode"):
        FaultProxy(80).set("explode")
