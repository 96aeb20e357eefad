"""The barcode scanner driver against its simulator on a real pty pair."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from drivers.events import DeviceBack, DeviceLost, ScanEvent
from drivers.framing import FramerSettings, Terminator
from drivers.link import SerialSettings
from drivers.scanner import BarcodeScanner, ScannerSettings, parse_scan
from drivers.sim.port import PtyPort
from drivers.sim.scanner import ScannerSim

from .conftest import Events, wait_until


@pytest.fixture
def sim(tmp_path) -> Iterator[ScannerSim]:
    with ScannerSim(PtyPort(link=tmp_path / "scanner")) as sim:
        yield sim


def start(sim: ScannerSim, events: Events, **settings) -> BarcodeScanner:
    scanner = BarcodeScanner(
        "scanner", SerialSettings(sim.path), events.put, ScannerSettings(**settings)
    ).start()
    assert scanner.link.wait_connected(3)
    return scanner


def test_scan_becomes_an_event_with_aim_symbology(sim: ScannerSim, events: Events) -> None:
    with start(sim, events):
        sim.scan("31234000012345", aim="]F0")
        event = events.wait_for(ScanEvent)
        assert (event.code, event.symbology, event.aim, event.device) == (
            "31234000012345",
            "codabar",
            "]F0",
            "scanner",
        )
        sim.scan("9780306406157", aim="]E0")
        assert events.wait_for(ScanEvent).symbology == "ean"
        sim.scan("ABC-123", aim="]C0")
        assert events.wait_for(ScanEvent).symbology == "code128"


def test_without_aim_codabar_start_stop_are_stripped(sim: ScannerSim, events: Events) -> None:
    with start(sim, events):
        sim.scan("A31234000012345B")
        event = events.wait_for(ScanEvent)
        assert (event.code, event.symbology, event.aim) == ("31234000012345", "codabar", None)
        sim.scan("31234000012346")
        assert events.wait_for(ScanEvent).symbology == "unknown"


def test_parse_scan_keeps_letters_that_are_data() -> None:
    assert parse_scan("]A0ABC123D").code == "ABC123D"  # Code 39: D is data
    assert parse_scan("]F0a1234b").code == "1234"


def test_duplicate_within_window_dropped_then_accepted(sim: ScannerSim, events: Events) -> None:
    with start(sim, events, duplicate_window=0.4) as scanner:
        sim.double_scan("31234000012345")
        events.wait_for(ScanEvent, code="31234000012345")
        assert wait_until(lambda: scanner.duplicates_dropped == 1)
        sim.scan("31234000099999")  # another item in between is not a duplicate
        events.wait_for(ScanEvent, code="31234000099999")
        time.sleep(0.5)
        sim.scan("31234000012345")
        events.wait_for(ScanEvent, code="31234000012345")
        assert [e.code for e in events.seen if isinstance(e, ScanEvent)] == [
            "31234000012345",
            "31234000099999",
            "31234000012345",
        ]


def test_garbage_partial_and_overlong_give_no_event(
    sim: ScannerSim, events: Events, caplog
) -> None:
    with start(sim, events, framing=FramerSettings(frame_timeout=0.2, max_length=32)) as scanner:
        sim.garbage(16)
        sim.overlong(100)
        sim.partial("3123400")
        assert wait_until(lambda: scanner.rejected == 3, timeout=2)
        assert not [e for e in events.seen if isinstance(e, ScanEvent)]
        assert "partial frame at timeout" in caplog.text
        assert "over-long frame" in caplog.text
        assert "non-printable" in caplog.text
        sim.scan("31234000012345")
        assert events.wait_for(ScanEvent).code == "31234000012345"


def test_prefix_suffix_and_etx(tmp_path, events: Events) -> None:
    port = PtyPort(link=tmp_path / "stx")
    with ScannerSim(port, terminator=Terminator.ETX, prefix=b"\x02", suffix=b"!") as sim:
        framing = FramerSettings(terminator=Terminator.ETX, prefix=b"\x02", suffix=b"!")
        with start(sim, events, framing=framing):
            sim.scan("31234000012345")
            assert events.wait_for(ScanEvent).code == "31234000012345"


def test_paced_at_9600_baud_and_a_slow_device(sim: ScannerSim, events: Events) -> None:
    with start(sim, events):
        sim.baudrate = 9600
        sim.scan("31234000012345")
        assert events.wait_for(ScanEvent).code == "31234000012345"
        sim.baudrate = 300  # 33 ms a byte: the frame arrives in many reads
        sim.slow(0.2)
        sim.scan("31234000054321")
        assert events.wait_for(ScanEvent).code == "31234000054321"


def test_unplug_mid_frame_then_replug(sim: ScannerSim, events: Events) -> None:
    with start(sim, events) as scanner:
        sim.partial("31234")
        time.sleep(0.1)
        sim.unplug()
        events.wait_for(DeviceLost)
        assert wait_until(lambda: scanner.rejected == 1)
        sim.replug()
        events.wait_for(DeviceBack, timeout=6)
        sim.scan("31234000012345")
        assert events.wait_for(ScanEvent).code == "31234000012345"
        assert not [e for e in events.seen if isinstance(e, ScanEvent) and e.code == "31234"]
