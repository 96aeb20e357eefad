"""The device end of a simulated serial line.

:class:`PtyPort` makes a real pseudo-terminal pair with ``os.openpty`` (nothing to install):
the driver opens the slave (``/dev/pts/N``) exactly as it would open ``/dev/ttyUSB0``, and the
simulator reads and writes the master. With ``link=`` the slave is also reachable by a stable
symlink, like ``/dev/serial/by-id/…``; :meth:`unplug` closes the pair and removes the link,
:meth:`replug` makes a new pair behind the same link, so the driver sees a real unplug and
replug. :class:`UrlPort` is the device end on an existing port or pyserial URL (a null-modem
cable, a socat end, ``socket://``).
"""

from __future__ import annotations

import contextlib
import os
import select
import termios
import threading
import time
import tty
from pathlib import Path
from typing import Protocol

import serial


class DevicePort(Protocol):
    path: str

    @property
    def plugged(self) -> bool: ...

    def write(self, data: bytes, baudrate: int | None = None) -> None: ...

    def read(self, timeout: float) -> bytes: ...

    def unplug(self) -> None: ...

    def replug(self) -> None: ...

    def close(self) -> None: ...


def byte_time(baudrate: int, bits_per_byte: int = 10) -> float:
    """Seconds one byte takes on the wire (8N1: start + 8 data + stop = 10 bits)."""
    return bits_per_byte / baudrate


def paced_write(write: callable, data: bytes, baudrate: int | None) -> None:  # type: ignore[valid-type]
    """Write ``data`` at most as fast as a real line at ``baudrate`` would carry it."""
    if not baudrate:
        write(data)
        return
    per_byte = byte_time(baudrate)
    start = time.perf_counter()
    for index in range(len(data)):
        # Byte i starts leaving at start + i*per_byte; it is complete one byte time later.
        due = start + (index + 1) * per_byte
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        write(data[index : index + 1])


UNOPENED_SPEED = termios.B50


def _set_speed(fd: int, speed: int) -> None:
    attributes = termios.tcgetattr(fd)
    attributes[4] = attributes[5] = speed
    termios.tcsetattr(fd, termios.TCSANOW, attributes)


class PtyPort:
    """A pty pair whose slave the driver opens; optionally behind a stable symlink."""

    def __init__(self, link: str | os.PathLike[str] | None = None) -> None:
        self.link = Path(link) if link else None
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self._generation = 0
        self.slave_name = ""
        self._open()

    @property
    def path(self) -> str:
        """What the driver should open."""
        return str(self.link) if self.link else self.slave_name

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def _open(self) -> None:
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo, no line editing, before the driver even opens it
        _set_speed(slave, UNOPENED_SPEED)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave
        self._generation += 1
        self.slave_name = os.ttyname(slave)
        if self.link:
            temporary = self.link.with_name(self.link.name + ".new")
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            temporary.symlink_to(self.slave_name)
            temporary.replace(self.link)

    def opened(self) -> bool:
        """True once a driver has opened and configured the slave.

        A pty cannot tell who opens it, but pyserial always sets the line speed when it
        opens a port, and the pair was made with an unused speed (50 baud), so a changed
        speed means the driver is there. Bytes sent before that would be lost: pyserial
        empties the input buffer when it opens a port.
        """
        with self._lock:
            if self._slave is None:
                return False
            try:
                return termios.tcgetattr(self._slave)[5] != UNOPENED_SPEED
            except termios.error:
                return False

    def wait_opened(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.opened():
                time.sleep(0.05)  # let the driver finish opening (and flushing)
                return True
            time.sleep(0.02)
        return self.opened()

    def write(self, data: bytes, baudrate: int | None = None) -> None:
        paced_write(self._write_now, data, baudrate)

    def _write_now(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            with self._lock:
                if self._master is None:
                    return  # unplugged: the bytes go nowhere, as on a real cable
                try:
                    written = os.write(self._master, view)
                except BlockingIOError:
                    written = 0
            view = view[written:]
            if view:
                time.sleep(0.001)

    def read(self, timeout: float) -> bytes:
        """Bytes the driver wrote (empty after ``timeout`` or while unplugged).

        The lock is not held while waiting, so writes (paced at a baud rate) never queue
        behind a read; the descriptor is re-checked under the lock before reading in case an
        unplug closed it meanwhile.
        """
        with self._lock:
            master, generation = self._master, self._generation
        if master is None:
            time.sleep(timeout)
            return b""
        try:
            ready, _, _ = select.select([master], [], [], timeout)
        except (OSError, ValueError):
            return b""
        if not ready:
            return b""
        with self._lock:
            if self._master != master or self._generation != generation:
                return b""
            try:
                return os.read(master, 4096)
            except OSError:
                return b""

    def unplug(self) -> None:
        with self._lock:
            for fd in (self._master, self._slave):
                if fd is not None:
                    with contextlib.suppress(OSError):
                        os.close(fd)
            self._master = self._slave = None
        if self.link:
            with contextlib.suppress(FileNotFoundError):
                self.link.unlink()

    def replug(self) -> None:
        if self.plugged:
            return
        with self._lock:
            self._open()

    def close(self) -> None:
        self.unplug()


class UrlPort:
    """The device end on an existing port or pyserial URL."""

    def __init__(self, url: str, baudrate: int = 9600) -> None:
        self.path = url
        self._port = serial.serial_for_url(url, baudrate=baudrate, timeout=0)
        self._lock = threading.Lock()

    @property
    def plugged(self) -> bool:
        return self._port.is_open

    def write(self, data: bytes, baudrate: int | None = None) -> None:
        paced_write(self._port.write, data, baudrate)

    def read(self, timeout: float) -> bytes:
        self._port.timeout = timeout
        return self._port.read(self._port.in_waiting or 1)

    def unplug(self) -> None:
        raise NotImplementedError("unplug needs a simulated port (a pty), not " + self.path)

    def replug(self) -> None:
        raise NotImplementedError("replug needs a simulated port (a pty), not " + self.path)

    def close(self) -> None:
        self._port.close()


def device_port(spec: str | None) -> DevicePort:
    """A new pty (``spec`` None or a path that does not exist yet, used as its symlink) or
    the device end of an existing port or pyserial URL."""
    if spec is None:
        return PtyPort()
    if "://" in spec:
        return UrlPort(spec)
    path = Path(spec)
    if path.is_symlink():
        target = os.path.realpath(path)
        if target.startswith("/dev/pts/") or not os.path.exists(target):
            return PtyPort(link=spec)  # our own link, left from an earlier run
        return UrlPort(spec)  # a udev link such as /dev/serial/by-id/…: a real port
    if path.exists():
        return UrlPort(spec)
    return PtyPort(link=spec)
