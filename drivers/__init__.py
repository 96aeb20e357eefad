"""Serial device drivers (scanner, card reader, receipt printer, return-machine I/O).

This package imports nothing from ``kiosk``: it only moves bytes and emits typed events.
"""
