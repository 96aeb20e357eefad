"""The serial link on real ptys and pyserial URLs: unplug, replug, absent devices."""

from __future__ import annotations

import threading
import time

from drivers.events import DeviceBack, DeviceLost, DeviceReady
from drivers.link import LinkState, SerialLink, SerialSettings
from drivers.sim.port import PtyPort

from .conftest import Events, wait_until


class Recorder:
    def __init__(self) -> None:
        self.data = bytearray()
        self.lost: list[str] = []
        self.fail_once = False

    def connected(self) -> None:
        pass

    def data_received(self, data: bytes, now: float) -> None:
        if self.fail_once:
            self.fail_once = False
            raise RuntimeError("driver bug")
        self.data.extend(data)

    def tick(self, now: float) -> None:
        pass

    def connection_lost(self, reason: str) -> None:
        self.lost.append(reason)


def test_loop_url_echoes_through_the_link(events: Events) -> None:
    recorder = Recorder()
    with SerialLink("loop", SerialSettings("loop://"), recorder, events.put) as link:
        events.wait_for(DeviceReady, url="loop://")
        assert link.write(b"hello\r")
        assert wait_until(lambda: bytes(recorder.data) == b"hello\r")


def test_unplug_and_replug_at_a_stable_path(tmp_path, events: Events) -> None:
    port = PtyPort(link=tmp_path / "by-id-scanner")
    recorder = Recorder()
    link = SerialLink("scanner", SerialSettings(port.path), recorder, events.put).start()
    try:
        events.wait_for(DeviceReady)
        port.write(b"before")
        assert wait_until(lambda: recorder.data == b"before")
        port.unplug()
        lost = events.wait_for(DeviceLost)
        assert lost.reason
        assert link.state is LinkState.LOST
        assert not link.write(b"x")  # a write while gone is refused, not raised
        time.sleep(0.4)  # several failed reopen attempts: still one DeviceLost
        port.replug()
        back = events.wait_for(DeviceBack, timeout=6)
        assert back.downtime >= 0.4
        assert [type(e) for e in events.seen].count(DeviceLost) == 1
        port.write(b"after")
        assert wait_until(lambda: recorder.data.endswith(b"after"))
        assert recorder.lost, "the driver was told the connection went"
    finally:
        link.stop()
        port.close()


def test_device_absent_at_start_then_plugged_in(tmp_path, events: Events) -> None:
    path = tmp_path / "not-yet"
    recorder = Recorder()
    link = SerialLink("late", SerialSettings(str(path)), recorder, events.put).start()
    try:
        lost = events.wait_for(DeviceLost)
        assert "not-yet" in lost.reason or "No such file" in lost.reason
        port = PtyPort(link=path)
        events.wait_for(DeviceBack, timeout=6)
        port.write(b"hi")
        assert wait_until(lambda: recorder.data == b"hi")
        port.close()
    finally:
        link.stop()


def test_bad_url_is_an_event_not_an_exception(events: Events) -> None:
    link = SerialLink("bad", SerialSettings("nosuch://x"), Recorder(), events.put).start()
    try:
        lost = events.wait_for(DeviceLost)
        assert "nosuch" in lost.reason
    finally:
        link.stop()


def test_a_handler_bug_does_not_kill_the_reader() -> None:
    recorder = Recorder()
    recorder.fail_once = True
    port = PtyPort()
    with SerialLink("buggy", SerialSettings(port.path), recorder, lambda e: None) as link:
        assert link.wait_connected(3)
        port.write(b"first")
        time.sleep(0.2)
        port.write(b"second")
        assert wait_until(lambda: recorder.data.endswith(b"second"))
    port.close()


def test_stop_returns_promptly_and_reader_thread_ends() -> None:
    port = PtyPort()
    link = SerialLink("s", SerialSettings(port.path), Recorder(), lambda e: None).start()
    assert link.wait_connected(3)
    started = time.monotonic()
    link.stop()
    assert time.monotonic() - started < 1.0
    assert not any(t.name == "link-s" for t in threading.enumerate())
    port.close()


def test_a_second_program_cannot_take_the_same_port(events: Events) -> None:
    port = PtyPort()
    first = SerialLink("first", SerialSettings(port.path), Recorder(), events.put).start()
    try:
        assert first.wait_connected(3)
        second_events = Events()
        second = SerialLink("second", SerialSettings(port.path), Recorder(), second_events.put)
        with second:
            lost = second_events.wait_for(DeviceLost)
            assert "lock" in lost.reason.lower()
    finally:
        first.stop()
        port.close()
