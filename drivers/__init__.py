"""Serial device drivers (scanner, card reader, receipt printer, return-machine I/O).

This package imports nothing from ``kiosk``: it only moves bytes and emits typed events
(:mod:`drivers.events`). Each driver owns a :class:`~drivers.link.SerialLink` that reads on
its own thread and reconnects after an unplug; events reach the application through the
``emit`` callable it was given.
"""

from drivers.cardreader import CardReader, CardReaderSettings
from drivers.events import EventQueue, asyncio_sink
from drivers.framing import FramerSettings, Terminator
from drivers.link import SerialLink, SerialSettings
from drivers.printer import Backend, PrinterSettings, ReceiptPrinter
from drivers.receipt import Receipt, ReceiptLabels, ReceiptLine
from drivers.returnunit import Conveyor, Lamp, ReturnUnit, ReturnUnitSettings
from drivers.scanner import BarcodeScanner, ScannerSettings

__all__ = [
    "Backend",
    "BarcodeScanner",
    "CardReader",
    "CardReaderSettings",
    "Conveyor",
    "EventQueue",
    "FramerSettings",
    "Lamp",
    "PrinterSettings",
    "Receipt",
    "ReceiptLabels",
    "ReceiptLine",
    "ReceiptPrinter",
    "ReturnUnit",
    "ReturnUnitSettings",
    "ScannerSettings",
    "SerialLink",
    "SerialSettings",
    "Terminator",
    "asyncio_sink",
]
