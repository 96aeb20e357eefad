"""Runs a :class:`ReturnController` on its own thread, fed by the drivers' event queue.

The drivers (I/O board, scanner) put their events on one :class:`drivers.events.EventQueue`;
the UI and technician screen post :class:`BinEmptied` / :class:`TechnicianReset` to the same
queue with :meth:`ReturnMachine.post`. A :class:`Tick` goes in every ``tick`` seconds so the
controller's timeouts fire. Listeners (``controller.listeners``) are called on this thread:
a Textual screen must hand results to its own loop (``app.call_from_thread``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from drivers.events import EventQueue
from kiosk.returns.controller import ReturnController, Tick

log = logging.getLogger(__name__)


class _Stoppable:
    def start(self) -> object: ...

    def stop(self) -> None: ...


class ReturnMachine:
    """The controller plus the devices and the thread that feeds it."""

    unit: Any = None
    """The I/O board driver (``drivers.returnunit.ReturnUnit``) when built from config."""
    scanner: Any = None
    printer: Any = None
    """The :class:`kiosk.returns.printing.ReturnPrinter` (hold slips, receipts), if any."""

    def __init__(
        self,
        controller: ReturnController,
        events: EventQueue,
        devices: Sequence[_Stoppable] = (),
        *,
        tick: float = 0.01,
        monotonic: Callable[[], float] = time.monotonic,
        on_stop: Callable[[], None] | None = None,
        ready: Callable[[float], bool] | None = None,
        ready_timeout: float = 5.0,
    ) -> None:
        self.controller = controller
        self.events = events
        self.devices = list(devices)
        self.tick = tick
        self.monotonic = monotonic
        self.on_stop = on_stop
        self.ready = ready
        """Waits (up to the given seconds) for the I/O board's port to open."""
        self.ready_timeout = ready_timeout
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.started = threading.Event()

    def start(self) -> ReturnMachine:
        for device in self.devices:
            device.start()
        self._thread = threading.Thread(target=self._run, name="return-machine", daemon=True)
        self._thread.start()
        return self

    def post(self, event: object) -> None:
        """Thread-safe: hand an event (technician action) to the controller."""
        self.events.put(event)  # type: ignore[arg-type]

    def stop(self) -> None:
        """Stop feeding the controller, then the devices (a software restart, not a reset)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        for device in reversed(self.devices):
            device.stop()
        if self.on_stop is not None:
            self.on_stop()

    def __enter__(self) -> ReturnMachine:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _run(self) -> None:
        controller = self.controller
        if self.ready is not None and not self.ready(self.ready_timeout):
            log.warning("the I/O board is not connected yet; starting anyway")
        try:
            controller.start(self.monotonic())
        except Exception:
            log.exception("return machine failed to start")
        self.started.set()
        next_tick = self.monotonic()
        while not self._stop.is_set():
            timeout = max(0.0, next_tick - self.monotonic())
            try:
                event = self.events.get(timeout=timeout)
            except queue.Empty:
                event = None
            try:
                if event is not None:
                    controller.handle(event, self.monotonic())
                now = self.monotonic()
                if now >= next_tick:
                    controller.handle(Tick(now))
                    next_tick = now + self.tick
            except Exception:  # keep the machine alive; the fault log says what happened
                log.exception("return controller failed on %r", event)
