"""A real uvicorn server on 127.0.0.1 for the HTTP tests (run in a thread)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn

from kiosk.central import Central
from kiosk.central.api import create_app


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(central: Central) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(central), host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        raise RuntimeError("central did not start")
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def machine_client(central: Central, name: str = "kiosk-1") -> Iterator[httpx.Client]:
    """A real server for ``central`` and a client signed in as machine ``name``; the client
    carries ``central`` and ``secret`` for the test."""
    secret = central.service.add_machine(name)
    with running(central) as base:
        client = httpx.Client(
            base_url=base,
            headers={"Authorization": f"Bearer {secret}", "X-Kiosk-Machine": name},
            timeout=30,
        )
        client.central = central  # type: ignore[attr-defined]
        client.secret = secret  # type: ignore[attr-defined]
        try:
            yield client
        finally:
            client.close()
