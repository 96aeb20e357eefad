"""Shared helpers: every driver test opens a real pty pair through a simulator."""

from __future__ import annotations

import queue
import time
from collections.abc import Iterator

import pytest

from drivers.events import DeviceEvent, EventQueue


class Events(EventQueue):
    """An event queue with waiting helpers for tests."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[DeviceEvent] = []

    def put(self, event: DeviceEvent) -> None:
        self.seen.append(event)
        super().put(event)

    def wait_for(self, kind: type, timeout: float = 3.0, **match: object) -> DeviceEvent:
        """The next event of ``kind`` (with matching attributes); earlier others are skipped."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = self.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(event, kind) and all(getattr(event, k) == v for k, v in match.items()):
                return event
        raise AssertionError(
            f"no {kind.__name__} {match or ''} within {timeout} s; "
            f"seen: {[type(e).__name__ for e in self.seen]}"
        )

    def quiet(self, seconds: float) -> list[DeviceEvent]:
        """Everything that arrives within ``seconds``."""
        time.sleep(seconds)
        return self.drain()


@pytest.fixture
def events() -> Iterator[Events]:
    yield Events()


def wait_until(predicate, timeout: float = 3.0, interval: float = 0.01) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())
