"""ESC/POS receipt printer: status polling by DLE EOT, and printing that never blocks.

Status (Epson ESC/POS "real-time status", every reply has bits 1 and 4 set, 0x12):

====  =======================  ==================================================
n     asks for                 bits that matter
====  =======================  ==================================================
1     printer status           bit 3: offline (``0x1A``)
2     offline cause            bit 2: cover open; bit 5: stopped at paper end (``0x32``)
4     paper roll sensor        bits 2-3: paper near end (``0x1E``); bits 5-6: paper end
                               (``0x72``; ``0x7E`` with the near-end bits too)
====  =======================  ==================================================

:meth:`ReceiptPrinter.print_receipt` returns a future at once: a printer that is out of
paper, open, offline or unplugged fails the job with a reason (and a
:class:`PrintFinished` event) instead of holding up a checkout.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from drivers.events import Emit, PrinterStatusChanged, PrintFinished
from drivers.link import SerialLink, SerialSettings
from drivers.receipt import DEFAULT_PROFILE, Receipt, render_receipt

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"
FLOW_CONTROL = {0x11, 0x13}  # XON / XOFF a printer may send between status replies


class Backend(StrEnum):
    SERIAL = "serial"
    FILE = "file"
    """A device file (``/dev/usb/lp0``) or any file: bytes are appended, no status."""
    DUMMY = "dummy"
    """Bytes are kept in memory (:attr:`ReceiptPrinter.output`)."""


@dataclass(frozen=True)
class PrinterSettings:
    width: int = 42
    profile: str = DEFAULT_PROFILE
    poll_interval: float = 2.0
    """Seconds between status polls (0 disables polling)."""
    reply_timeout: float = 0.5


@dataclass(frozen=True)
class PrinterStatus:
    responding: bool = True
    offline: bool = False
    paper_out: bool = False
    paper_near_end: bool = False
    cover_open: bool = False

    @property
    def ready(self) -> bool:
        return self.responding and not (self.offline or self.paper_out or self.cover_open)

    @property
    def problem(self) -> str:
        """The reason a job cannot print now, in plain words (empty when ready)."""
        if not self.responding:
            return "printer not responding"
        if self.paper_out:
            return "paper out"
        if self.cover_open:
            return "cover open"
        if self.offline:
            return "printer offline"
        return ""


def is_status_byte(value: int) -> bool:
    return value & 0x93 == 0x12


def decode_status(replies: dict[int, int | None]) -> PrinterStatus:
    """Combine the replies to DLE EOT 1, 2 and 4 (None: no reply) into one status."""
    if any(replies.get(n) is None for n in (1, 2, 4)):
        return PrinterStatus(responding=False, offline=True)
    printer, cause, paper = replies[1], replies[2], replies[4]
    assert printer is not None and cause is not None and paper is not None
    return PrinterStatus(
        responding=True,
        offline=bool(printer & 0x08),
        cover_open=bool(cause & 0x04),
        paper_out=bool(paper & 0x60) or bool(cause & 0x20),
        paper_near_end=bool(paper & 0x0C),
    )


class _Replies:
    """LinkHandler collecting status reply bytes."""

    def __init__(self) -> None:
        self.queue: queue.Queue[int] = queue.Queue()

    def connected(self) -> None:
        self.drain()

    def data_received(self, data: bytes, now: float) -> None:
        for value in data:
            if value in FLOW_CONTROL:
                continue
            self.queue.put(value)

    def tick(self, now: float) -> None:
        pass

    def connection_lost(self, reason: str) -> None:
        pass

    def drain(self) -> None:
        while True:
            try:
                self.queue.get_nowait()
            except queue.Empty:
                return


class ReceiptPrinter:
    kind = "printer"

    def __init__(
        self,
        name: str,
        emit: Emit,
        *,
        backend: Backend = Backend.SERIAL,
        serial: SerialSettings | None = None,
        path: str | None = None,
        settings: PrinterSettings | None = None,
    ) -> None:
        self.name = name
        self.backend = Backend(backend)
        self.settings = settings or PrinterSettings()
        self._emit = emit
        self._replies = _Replies()
        self.link: SerialLink | None = None
        if self.backend is Backend.SERIAL:
            if serial is None:
                raise ValueError("a serial printer needs serial settings (a url)")
            self.link = SerialLink(name, serial, self._replies, emit)
        elif self.backend is Backend.FILE and not path:
            raise ValueError("a file printer needs a path")
        self.path = path
        self.output = bytearray()
        self.status: PrinterStatus | None = None
        self._query_lock = threading.Lock()
        self._jobs = itertools.count(1)
        self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"print-{name}")
        self._stop = threading.Event()
        self._poller: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> ReceiptPrinter:
        if self.link is not None:
            self.link.start()
            if self.settings.poll_interval > 0 and self._poller is None:
                self._poller = threading.Thread(
                    target=self._poll_loop, daemon=True, name=f"poll-{self.name}"
                )
                self._poller.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._poller is not None:
            self._poller.join(2)
            self._poller = None
        self._executor.shutdown(wait=False, cancel_futures=True)
        if self.link is not None:
            self.link.stop()

    def __enter__(self) -> ReceiptPrinter:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- status --------------------------------------------------------------------------

    def poll(self) -> PrinterStatus:
        """Ask the printer now (DLE EOT 1, 2, 4); emits an event when the status changed."""
        if self.link is None:
            status = PrinterStatus()
        elif not self.link.connected:
            status = PrinterStatus(responding=False, offline=True)
        else:
            with self._query_lock:
                status = decode_status({n: self._query(n) for n in (1, 2, 4)})
        self._update(status)
        return status

    def _query(self, n: int) -> int | None:
        assert self.link is not None
        self._replies.drain()
        if not self.link.write(DLE_EOT + bytes([n])):
            return None
        deadline = time.monotonic() + self.settings.reply_timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                value = self._replies.queue.get(timeout=left)
            except queue.Empty:
                break
            if is_status_byte(value):
                return value
        return None

    def _update(self, status: PrinterStatus) -> None:
        if status == self.status:
            return
        self.status = status
        if not status.ready or status.paper_near_end:
            log.warning("%s: %s", self.name, status.problem or "paper near end")
        self._emit(PrinterStatusChanged(device=self.name, **vars(status)))

    def _poll_loop(self) -> None:
        assert self.link is not None
        self.link.wait_connected(2.0)  # no "not responding" just because the port is opening
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:
                log.exception("%s: status poll failed", self.name)
            self._stop.wait(self.settings.poll_interval)

    # --- printing ------------------------------------------------------------------------

    def render(self, receipt: Receipt) -> bytes:
        return render_receipt(receipt, width=self.settings.width, profile=self.settings.profile)

    def print_receipt(self, receipt: Receipt) -> Future[PrintFinished]:
        """Queue ``receipt``; the future resolves with the outcome. Never blocks."""
        return self.print_bytes(self.render(receipt))

    def print_bytes(self, data: bytes) -> Future[PrintFinished]:
        job = next(self._jobs)
        status = self.status
        if status is not None and not status.ready:
            return self._done(job, False, status.problem)
        if self.link is not None and not self.link.connected:
            return self._done(job, False, "printer not connected")
        try:
            return self._executor.submit(self._print, job, data)
        except RuntimeError:
            return self._done(job, False, "printer stopped")

    def _print(self, job: int, data: bytes) -> PrintFinished:
        ok, reason = True, ""
        if self.backend is Backend.DUMMY:
            self.output.extend(data)
        elif self.backend is Backend.FILE:
            assert self.path is not None
            try:
                with Path(self.path).open("ab") as handle:
                    handle.write(data)
            except OSError as exc:
                ok, reason = False, f"cannot write {self.path}: {exc.strerror or exc}"
        else:
            assert self.link is not None
            with self._query_lock:
                written = self.link.write(data)
            if not written:
                ok, reason = False, "printer not connected or not accepting data"
            else:
                status = self.poll()
                if not status.ready:
                    ok, reason = False, status.problem
        return self._finish(job, ok, reason)

    def _finish(self, job: int, ok: bool, reason: str) -> PrintFinished:
        event = PrintFinished(device=self.name, job=job, ok=ok, reason=reason)
        if not ok:
            log.warning("%s: print job %d failed: %s", self.name, job, reason)
        self._emit(event)
        return event

    def _done(self, job: int, ok: bool, reason: str) -> Future[PrintFinished]:
        future: Future[PrintFinished] = Future()
        future.set_result(self._finish(job, ok, reason))
        return future
