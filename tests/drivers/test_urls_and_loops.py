"""pyserial URLs as device addresses, random bytes through a real pty, and asyncio delivery."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.events import DeviceEvent, DeviceLost, DeviceReady, ScanEvent, asyncio_sink
from drivers.link import SerialSettings
from drivers.scanner import BarcodeScanner, ScannerSettings
from drivers.sim.port import PtyPort
from drivers.sim.scanner import ScannerSim

from .conftest import Events


def test_socket_url(events: Events) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(server.accept()[0]), daemon=True).start()
    url = f"socket://127.0.0.1:{port}"
    with BarcodeScanner("net", SerialSettings(url), events.put):
        events.wait_for(DeviceReady, url=url)
        while not accepted:
            threading.Event().wait(0.01)
        threading.Event().wait(0.1)  # socket:// drops what arrives while it opens
        accepted[0].sendall(b"]F031234000012345\r")
        event = events.wait_for(ScanEvent)
        assert (event.code, event.symbology) == ("31234000012345", "codabar")
        accepted[0].close()
        events.wait_for(DeviceLost)
    server.close()


def test_spy_url_traces_the_bytes(tmp_path, events: Events) -> None:
    trace = tmp_path / "trace.txt"
    with ScannerSim() as sim:
        url = f"spy://{sim.path}?file={trace}"
        with BarcodeScanner("spied", SerialSettings(url), events.put) as scanner:
            assert scanner.link.wait_connected(3)
            sim.scan("31234000012345")
            assert events.wait_for(ScanEvent).code == "31234000012345"
    # A hex dump of what the scanner sent, however the reads were split.
    received = bytearray()
    for line in trace.read_text().splitlines():
        if " RX " in line:
            hex_column = line.split(" RX ", 1)[1].split(None, 1)[1][:49]
            received.extend(bytes.fromhex(hex_column))
    assert bytes(received) == b"31234000012345\r"


@pytest.fixture(scope="module")
def pty_scanner() -> Iterator[tuple[ScannerSim, BarcodeScanner, Events]]:
    events = Events()
    sim = ScannerSim(PtyPort()).start()
    scanner = BarcodeScanner(
        "fuzz", SerialSettings(sim.path), events.put, ScannerSettings(duplicate_window=0)
    ).start()
    assert scanner.link.wait_connected(3)
    yield sim, scanner, events
    scanner.stop()
    sim.stop()


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    noise=st.binary(max_size=200),
    codes=st.lists(st.from_regex(r"3[0-9]{13}", fullmatch=True), max_size=3),
)
def test_random_bytes_through_a_pty_invent_no_scan(
    pty_scanner, noise: bytes, codes: list[str]
) -> None:
    sim, _, events = pty_scanner
    events.drain()
    stream = noise + b"\r" + b"".join(c.encode() + b"\r" for c in codes) + b"END\r"
    sim.port.write(stream)
    events.wait_for(ScanEvent, code="END")
    seen = [e.code for e in events.seen if isinstance(e, ScanEvent)]
    events.seen.clear()
    seen.remove("END")
    for code in seen:
        assert code.encode() in stream  # nothing invented
    for code in codes:
        assert code in seen  # every well-formed frame found


async def test_events_reach_an_asyncio_loop_that_keeps_running() -> None:
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[DeviceEvent] = asyncio.Queue()
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)  # tick on every pass of the loop, however short the test

    beat = asyncio.create_task(heartbeat())
    with (
        ScannerSim() as sim,
        BarcodeScanner("aio", SerialSettings(sim.path), asyncio_sink(loop, inbox)),
    ):
        assert isinstance(await asyncio.wait_for(inbox.get(), 3), DeviceReady)
        before = ticks
        await asyncio.to_thread(sim.scan, "31234000012345")
        event = await asyncio.wait_for(inbox.get(), 3)
        assert isinstance(event, ScanEvent) and event.code == "31234000012345"
        await asyncio.to_thread(sim.unplug)
        assert isinstance(await asyncio.wait_for(inbox.get(), 3), DeviceLost)
        assert ticks > before  # the loop ran on while the driver read and failed
    beat.cancel()
