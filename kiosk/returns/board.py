"""The real I/O board (``drivers.returnunit.ReturnUnit``) behind the controller's interface."""

from __future__ import annotations

import logging
from concurrent.futures import TimeoutError as FutureTimeout

from drivers.returnunit import Eye, Lamp, ReturnUnit

log = logging.getLogger(__name__)


class DriverBoard:
    """Adapts :class:`ReturnUnit` to :class:`kiosk.returns.ports.IOBoard`."""

    def __init__(self, unit: ReturnUnit, status_timeout: float = 2.0) -> None:
        self.unit = unit
        self.status_timeout = status_timeout

    def open_door(self) -> object:
        return self.unit.open_door()

    def close_door(self) -> object:
        return self.unit.close_door()

    def run_conveyor(self) -> object:
        return self.unit.run_conveyor()

    def stop_conveyor(self) -> object:
        return self.unit.stop_conveyor()

    def reverse_conveyor(self) -> object:
        return self.unit.reverse_conveyor()

    def divert(self, bin_number: int) -> object:
        return self.unit.divert(bin_number)

    def lamp(self, colour: str, blink: bool = False) -> object:
        return self.unit.lamp(Lamp(colour), blink)

    def intake_blocked(self) -> bool:
        return self.unit.eyes.get(Eye.INTAKE) is not None

    def diverter_blocked(self) -> bool:
        return self.unit.eyes.get(Eye.DIVERTER) is not None

    def door_closed(self) -> bool:
        try:
            result = self.unit.query_status().result(timeout=self.status_timeout)
        except FutureTimeout:
            return False
        if not result.ok:
            log.warning("status query failed: %s %s", result.code, result.reason)
            return False
        return result.fields.get("DOOR") == "CLOSED"
