"""What the return-machine controller needs from the rest of the machine.

Three small interfaces, so the cycle can be driven by the real I/O board over a serial port,
by the outbox and by a receipt printer, or by test doubles, without changing a line of the
controller: :class:`IOBoard` (motors and lamp; sensor changes come back as events),
:class:`CheckinPort` (record one check-in exactly once, keyed by the transaction's UUID, and
say where the item goes) and :class:`SlipPrinter` (the hold slip).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from kiosk.domain.money import ZERO


class IOBoard(Protocol):
    """Commands to the I/O board. They return at once; a failure arrives later as a
    ``drivers.events.CommandFailed`` event."""

    def open_door(self) -> object: ...

    def close_door(self) -> object: ...

    def run_conveyor(self) -> object: ...

    def stop_conveyor(self) -> object: ...

    def reverse_conveyor(self) -> object: ...

    def divert(self, bin_number: int) -> object: ...

    def lamp(self, colour: str, blink: bool = False) -> object: ...

    def intake_blocked(self) -> bool:
        """True while the intake photo-eye is blocked (as last reported)."""
        ...

    def diverter_blocked(self) -> bool:
        """True while the diverter photo-eye is blocked (as the driver last saw it)."""
        ...

    def door_closed(self) -> bool:
        """True when the board says the door is closed (asked at start and after a reset,
        when no door event can be expected)."""
        ...


@dataclass(frozen=True, slots=True)
class CheckinRequest:
    item: str
    tx_uuid: str
    occurred_at: datetime
    force_offline: bool = False
    """Recovery after a restart: record the return as an offline fact without waiting."""


@dataclass(frozen=True, slots=True)
class CheckinOutcome:
    """Where a returned item goes and what the patron is told."""

    item: str
    tx_uuid: str
    destination: str
    """``hold_shelf``, ``transit``, ``reshelve`` or ``staff`` (kiosk.policy.Destination)."""
    known: bool = True
    """False when neither central nor the offline cache knows the barcode."""
    title: str | None = None
    format: str | None = None
    collection: str | None = None
    fine: Decimal = ZERO
    hold_patron_alias: str | None = None
    """Patron.alias (initials and last four digits), never the name."""
    pickup_branch: str | None = None
    offline: bool = False
    alert: str | None = None
    """A reason code that sends the item to staff (``reason.<code>``)."""
    message_key: str = "checkin.ok"
    duplicate: bool = False
    """The transaction was already recorded (a restart repeated the request)."""


class CheckinPort(Protocol):
    def check_in(self, request: CheckinRequest) -> CheckinOutcome:
        """Record the return (in the outbox) and decide its destination.

        Must be idempotent on ``request.tx_uuid``: asking again after a restart returns the
        first outcome and records nothing new.
        """
        ...

    def is_recorded(self, tx_uuid: str) -> bool: ...


@dataclass(frozen=True, slots=True)
class HoldSlip:
    patron_alias: str
    title: str
    item: str
    pickup_branch: str | None
    at: datetime


class SlipPrinter(Protocol):
    def print_hold_slip(self, slip: HoldSlip) -> object:
        """Queue the slip and return at once (a failure may raise, or arrive later as a
        ``drivers.events.PrintFinished`` event)."""
        ...
