"""What every simulator shares: a port, a thread that reads it, and fault switches."""

from __future__ import annotations

import logging
import random
import threading
import time

from drivers.sim.port import DevicePort, PtyPort

log = logging.getLogger(__name__)


class Simulator:
    """A simulated device on the far end of ``port``.

    Subclasses override :meth:`on_bytes` (what the driver sent) and :meth:`tick` (time
    passing: motors, timers). Scripted actions are the public methods named in
    :attr:`ACTIONS`, so scenario files and the CLI can call them by name.
    """

    ACTIONS: tuple[str, ...] = ("garbage", "unplug", "replug", "slow", "wait")

    def __init__(self, port: DevicePort | None = None, *, baudrate: int | None = None) -> None:
        self.port = port if port is not None else PtyPort()
        self.baudrate = baudrate
        """When set, output is paced at this line speed (a real 9600-baud device)."""
        self.delay = 0.0
        """Seconds added before every reply (a slow device)."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.received = bytearray()
        self._rng = random.Random(1234)

    @property
    def path(self) -> str:
        return self.port.path

    def start(self) -> Simulator:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=type(self).__name__, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None
        self.port.close()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        while not self._stop.is_set():
            data = self.port.read(0.005)
            if data:
                self.received.extend(data)
                try:
                    self.on_bytes(data)
                except Exception:
                    log.exception("simulator failed on %r", data)
            self.tick(time.monotonic())

    def on_bytes(self, data: bytes) -> None:
        """Bytes from the driver."""

    def tick(self, now: float) -> None:
        """Called every few milliseconds."""

    def send(self, data: bytes) -> None:
        if self.delay:
            time.sleep(self.delay)
        self.port.write(data, self.baudrate)

    # --- faults every device has ---------------------------------------------------------

    def garbage(self, count: int = 16, terminate: bool = True) -> bytes:
        """Send random bytes (line noise, a wrong baud rate), then a CR so the line resyncs."""
        noise = bytes(self._rng.randrange(256) for _ in range(count))
        noise = noise.replace(b"\r", b"\x00").replace(b"\n", b"\x00")
        self.port.write(noise + (b"\r" if terminate else b""), self.baudrate)
        return noise

    def unplug(self) -> None:
        self.port.unplug()

    def replug(self) -> None:
        self.port.replug()

    def slow(self, delay: float = 0.5) -> None:
        self.delay = delay

    def wait(self, seconds: float) -> None:
        time.sleep(seconds)
