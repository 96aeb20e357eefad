"""The product's notion of "now".

Every command and service takes ``--now ISO-8601`` (or the ``KIOSK_NOW`` environment
variable) so tests can run a library's calendar forward without sleeping. Objects receive a
:class:`Clock`; nothing calls ``datetime.now()`` directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Protocol
from zoneinfo import ZoneInfo

from kiosk.errors import ConfigError


class Clock(Protocol):
    def now(self) -> datetime:
        """An aware datetime."""
        ...


class SystemClock:
    """The real time, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock pinned to an instant; ``advance`` moves it (tests, ``--now``)."""

    current: datetime
    _start: datetime = field(init=False)

    def __post_init__(self) -> None:
        if self.current.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._start = self.current

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current = self.current + delta


@dataclass
class OffsetClock:
    """Runs at real speed from a pinned starting instant (``kiosk demo --now``)."""

    start: datetime
    _origin: datetime = field(init=False)

    def __post_init__(self) -> None:
        self._origin = datetime.now(UTC)

    def now(self) -> datetime:
        return self.start + (datetime.now(UTC) - self._origin)


def parse_instant(text: str, default_tz: tzinfo = UTC) -> datetime:
    """Parse an ISO 8601 date or datetime; a naive value is taken in ``default_tz``."""
    value = text.strip()
    try:
        if len(value) == 10:
            parsed = datetime.combine(date.fromisoformat(value), time(12, 0))
        else:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"not an ISO 8601 date or time: {text!r}", key="--now") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=default_tz)
    return parsed


def clock_from(now: str | None = None, *, running: bool = False) -> Clock:
    """The clock for a command: ``--now`` first, then ``KIOSK_NOW``, else the system clock.

    ``running=True`` lets a pinned clock tick on from the pinned instant (for long-running
    services and the demo); otherwise it stays fixed (one-shot commands and tests).
    """
    pinned = now or os.environ.get("KIOSK_NOW")
    if not pinned:
        return SystemClock()
    start = parse_instant(pinned)
    return OffsetClock(start) if running else FixedClock(start)


def local_date(instant: datetime, zone: str | tzinfo) -> date:
    """The calendar date of ``instant`` in a library's time zone."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    return instant.astimezone(tz).date()
