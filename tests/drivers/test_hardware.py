"""Checks that need no human: run on simulators, or on real devices when
``KIOSK_TEST_PRINTER_URL`` / ``KIOSK_TEST_RETURN_UNIT_URL`` name their ports (a technician's
bench test: ``KIOSK_TEST_PRINTER_URL=/dev/ttyUSB0 pytest tests/drivers/test_hardware.py``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from drivers.events import DoorClosed, DoorOpened, PrinterStatusChanged
from drivers.link import SerialSettings
from drivers.printer import PrinterSettings, ReceiptPrinter
from drivers.receipt import Receipt, ReceiptLine
from drivers.returnunit import Lamp, ReturnUnit
from drivers.sim.printer import PrinterSim
from drivers.sim.returnunit import ReturnUnitSim

from .conftest import Events


@contextmanager
def device_url(variable: str, simulator: type) -> Iterator[str]:
    """The real device's URL from the environment, else a running simulator's pty."""
    real = os.environ.get(variable)
    if real:
        yield real
        return
    with simulator() as sim:
        yield sim.path


def test_printer_reports_ready_and_prints(events: Events) -> None:
    baud = int(os.environ.get("KIOSK_TEST_PRINTER_BAUD", "9600"))
    with device_url("KIOSK_TEST_PRINTER_URL", PrinterSim) as url:
        printer = ReceiptPrinter(
            "printer",
            events.put,
            serial=SerialSettings(url, baudrate=baud),
            settings=PrinterSettings(poll_interval=0.2),
        )
        with printer:
            status = events.wait_for(PrinterStatusChanged, timeout=5, responding=True)
            assert status.ready, "load paper and close the cover"
            receipt = Receipt(
                "Driver test",
                datetime.now(UTC),
                "0000000000001234",
                items=(ReceiptLine("Test item", "31234000012345"),),
            )
            result = printer.print_receipt(receipt).result(30)
            assert result.ok, result.reason


def test_return_unit_answers_and_cycles_its_door(events: Events) -> None:
    baud = int(os.environ.get("KIOSK_TEST_RETURN_UNIT_BAUD", "9600"))
    with (
        device_url("KIOSK_TEST_RETURN_UNIT_URL", ReturnUnitSim) as url,
        ReturnUnit("io", SerialSettings(url, baudrate=baud), events.put) as unit,
    ):
        assert unit.link.wait_connected(5)
        assert unit.ping().result(10).ok
        status = unit.query_status().result(10)
        assert status.ok and {"DOOR", "CONV", "DIVERT", "ESTOP"} <= status.fields.keys()
        assert unit.lamp(Lamp.AMBER).result(10).ok
        assert unit.open_door().result(10).ok
        events.wait_for(DoorOpened, timeout=20)
        assert unit.close_door().result(10).ok
        events.wait_for(DoorClosed, timeout=20)
        assert unit.lamp(Lamp.OFF).result(10).ok
