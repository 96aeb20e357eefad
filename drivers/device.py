"""The part every framed serial device shares: a link, a framer, counters."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from drivers.events import DeviceEvent, Emit, utcnow
from drivers.framing import Frame, Framer, FramerSettings, Rejected
from drivers.link import LinkState, SerialLink, SerialSettings

log = logging.getLogger(__name__)


class FramedDevice:
    """A device that receives framed lines; subclasses implement :meth:`on_frame`."""

    kind = "device"

    def __init__(
        self,
        name: str,
        serial: SerialSettings,
        framing: FramerSettings,
        emit: Emit,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.name = name
        self.framer = Framer(framing)
        self.clock = clock
        self._emit = emit
        self.rejected = 0
        self.last_rejection = ""
        self.link = SerialLink(name, serial, self, emit)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> FramedDevice:
        self.link.start()
        return self

    def stop(self) -> None:
        self.link.stop()

    def __enter__(self) -> FramedDevice:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def state(self) -> LinkState:
        return self.link.state

    # --- LinkHandler ---------------------------------------------------------------------

    def connected(self) -> None:
        self.framer = Framer(self.framer.settings)

    def data_received(self, data: bytes, now: float) -> None:
        for result in self.framer.feed(data, now):
            self._handle(result, now)

    def tick(self, now: float) -> None:
        for result in self.framer.expire(now):
            self._handle(result, now)

    def connection_lost(self, reason: str) -> None:
        pending = self.framer.pending
        if pending.strip(b"\r\n"):
            self.reject("partial frame when the device was lost", pending)

    # --- for subclasses ------------------------------------------------------------------

    def on_frame(self, frame: Frame, now: float) -> None:
        raise NotImplementedError

    def emit(self, event: DeviceEvent) -> None:
        self._emit(event)

    def reject(self, reason: str, raw: bytes) -> None:
        """Noise: logged with its reason, counted, never an event."""
        self.rejected += 1
        self.last_rejection = reason
        log.warning("%s: rejected input (%s): %r", self.name, reason, self.redact(raw[:80]))

    def redact(self, raw: bytes) -> bytes:
        """What of a rejected frame may go to the log (card readers hide card data)."""
        return raw

    def _handle(self, result: Frame | Rejected, now: float) -> None:
        if isinstance(result, Rejected):
            self.reject(result.reason, result.raw)
        else:
            self.on_frame(result, now)


class DuplicateFilter:
    """Drops a value seen again within ``window`` seconds of its last sighting.

    The window slides: a laser scanner re-reading a barcode held under it keeps producing
    duplicates, and none of them counts until the item has been away for ``window``.
    """

    def __init__(self, window: float) -> None:
        self.window = window
        self._seen: dict[str, float] = {}

    def is_duplicate(self, value: str, now: float) -> bool:
        if self.window <= 0:
            return False
        last = self._seen.get(value)
        self._seen[value] = now
        if len(self._seen) > 256:
            cutoff = now - self.window
            self._seen = {k: t for k, t in self._seen.items() if t >= cutoff}
        return last is not None and now - last < self.window
