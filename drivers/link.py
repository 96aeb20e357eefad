"""The serial link: open a port by path or pyserial URL, read on a thread, reconnect.

A :class:`SerialLink` owns one port and one reader thread. It hands received bytes to a
:class:`LinkHandler` (framing lives there, transports only move bytes, as in pyserial's
``threaded.Protocol``), emits :class:`DeviceReady`, :class:`DeviceLost` and
:class:`DeviceBack`, and after any failure closes the port, backs off and reopens it, so an
unplugged scanner never stops the application. Nothing here blocks the caller's thread
except :meth:`SerialLink.write`, which is bounded by ``write_timeout``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

import serial

from drivers.events import DeviceBack, DeviceLost, DeviceReady, Emit

log = logging.getLogger(__name__)

URL_SCHEMES = ("loop://", "socket://", "rfc2217://", "spy://", "alt://", "hwgrep://")


@dataclass(frozen=True)
class SerialSettings:
    """How to open a port. ``url`` is a device path or any pyserial URL."""

    url: str
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: float = 1
    xonxoff: bool = False
    rtscts: bool = False
    dsrdtr: bool = False
    read_timeout: float = 0.05
    write_timeout: float = 2.0
    reconnect_initial: float = 0.1
    reconnect_max: float = 5.0

    def open(self) -> serial.SerialBase:
        port = serial.serial_for_url(self.url, do_not_open=True)
        port.baudrate = self.baudrate
        port.bytesize = self.bytesize
        port.parity = self.parity
        port.stopbits = self.stopbits
        port.xonxoff = self.xonxoff
        port.rtscts = self.rtscts
        port.dsrdtr = self.dsrdtr
        port.timeout = self.read_timeout
        port.write_timeout = self.write_timeout
        if "://" not in self.url:
            # A device path: take an flock so a second program (a forgotten `kiosk devices
            # test`) fails with a clear error instead of stealing half the bytes.
            port.exclusive = True
        port.open()
        return port


class LinkState(StrEnum):
    STOPPED = "stopped"
    STARTING = "starting"
    CONNECTED = "connected"
    LOST = "lost"


class LinkHandler(Protocol):
    """What a device driver implements to receive bytes from its link."""

    def connected(self) -> None: ...

    def data_received(self, data: bytes, now: float) -> None: ...

    def tick(self, now: float) -> None:
        """Called after every read (data or timeout): timeouts live here."""
        ...

    def connection_lost(self, reason: str) -> None: ...


class SerialLink:
    """One port, one reader thread, reconnect with exponential backoff."""

    def __init__(self, name: str, settings: SerialSettings, handler: LinkHandler, emit: Emit):
        self.name = name
        self.settings = settings
        self.handler = handler
        self.emit = emit
        self.state = LinkState.STOPPED
        self.last_error = ""
        self._port: serial.SerialBase | None = None
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._connected = threading.Event()
        self._thread: threading.Thread | None = None
        self._lost_at: float | None = None

    # --- lifecycle ---------------------------------------------------------------------

    def start(self) -> SerialLink:
        if self._thread is not None:
            return self
        self._stop.clear()
        self.state = LinkState.STARTING
        self._thread = threading.Thread(target=self._run, name=f"link-{self.name}", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self.state = LinkState.STOPPED

    def __enter__(self) -> SerialLink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    # --- writing -----------------------------------------------------------------------

    def write(self, data: bytes) -> bool:
        """Write all of ``data``; False (never an exception) if the port is not usable.

        The reader thread notices a dead port and reconnects; callers just learn that this
        write did not go out.
        """
        port = self._port
        if port is None or not self.connected:
            return False
        with self._write_lock:
            try:
                port.write(data)
                port.flush()
            except (serial.SerialException, OSError, ValueError, TypeError) as exc:
                # TypeError/ValueError: pyserial on a port closed under our feet.
                log.info("%s: write failed: %s", self.name, exc)
                return False
        return True

    # --- the reader thread -------------------------------------------------------------

    def _run(self) -> None:
        delay = self.settings.reconnect_initial
        while not self._stop.is_set():
            try:
                port = self.settings.open()
            except (serial.SerialException, OSError, ValueError) as exc:
                self._lost(_reason(exc))
                self._stop.wait(delay)
                delay = min(delay * 2, self.settings.reconnect_max)
                continue
            delay = self.settings.reconnect_initial
            self._port = port
            self._up()
            reason = self._pump(port)
            self._connected.clear()
            self._port = None
            with self._write_lock:
                _close_quietly(port)
            if reason is not None:
                self._call("connection_lost", reason)
                self._lost(reason)
        self._connected.clear()

    def _pump(self, port: serial.SerialBase) -> str | None:
        """Read until stop (returns None) or a failure (returns the reason)."""
        while not self._stop.is_set():
            try:
                waiting = port.in_waiting
                data = port.read(waiting or 1)
            except (serial.SerialException, OSError, TypeError, AttributeError) as exc:
                return _reason(exc)
            now = time.monotonic()
            if data:
                self._call("data_received", data, now)
            self._call("tick", now)
        return None

    def _up(self) -> None:
        previous = self.state
        self.state = LinkState.CONNECTED
        self._connected.set()
        self._call("connected")
        if previous is LinkState.LOST:
            down = time.monotonic() - (self._lost_at or time.monotonic())
            log.warning("%s: back on %s after %.1f s", self.name, self.settings.url, down)
            self._emit(DeviceBack(device=self.name, url=self.settings.url, downtime=down))
        else:
            self._emit(DeviceReady(device=self.name, url=self.settings.url))

    def _lost(self, reason: str) -> None:
        self.last_error = reason
        if self.state is LinkState.LOST:
            return
        self.state = LinkState.LOST
        self._lost_at = time.monotonic()
        log.warning("%s: device lost: %s", self.name, reason)
        self._emit(DeviceLost(device=self.name, reason=reason))

    def _call(self, method: str, *args: object) -> None:
        try:
            getattr(self.handler, method)(*args)
        except Exception:
            # A driver bug must not kill the reader thread: log it and keep reading.
            log.exception("%s: handler %s failed", self.name, method)

    def _emit(self, event: object) -> None:
        try:
            self.emit(event)  # type: ignore[arg-type]
        except Exception:
            log.exception("%s: event sink failed", self.name)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _close_quietly(port: serial.SerialBase) -> None:
    try:
        port.close()
    except Exception:
        log.debug("close failed", exc_info=True)
