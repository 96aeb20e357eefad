"""Serial device drivers (scanner, card reader, receipt printer, return-machine I/O).

This package imports nothing from ``kiosk``: it only moves bytes and emits typed events
(:mod:`drivers.events`). Each driver owns a :class:`~drivers.link.SerialLink` that reads on
its own thread and reconnects after an unplug; events reach the application through the
``emit`` callable it was given.

The names below are loaded on first use, so ``import drivers.events`` stays cheap (the
printer pulls in python-escpos and Pillow).
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Backend": "drivers.printer",
    "BarcodeScanner": "drivers.scanner",
    "CardReader": "drivers.cardreader",
    "CardReaderSettings": "drivers.cardreader",
    "Conveyor": "drivers.returnunit",
    "EventQueue": "drivers.events",
    "FramerSettings": "drivers.framing",
    "Lamp": "drivers.returnunit",
    "PrinterSettings": "drivers.printer",
    "Receipt": "drivers.receipt",
    "ReceiptLabels": "drivers.receipt",
    "ReceiptLine": "drivers.receipt",
    "ReceiptPrinter": "drivers.printer",
    "ReturnUnit": "drivers.returnunit",
    "ReturnUnitSettings": "drivers.returnunit",
    "ScannerSettings": "drivers.scanner",
    "SerialLink": "drivers.link",
    "SerialSettings": "drivers.link",
    "Terminator": "drivers.framing",
    "asyncio_sink": "drivers.events",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'drivers' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
