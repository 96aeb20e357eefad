"""Simulated devices that speak the same bytes as the real ones.

Each simulator runs a thread on the device end of a real pty pair (or any pyserial URL), so
the real driver opens a real ``/dev/pts/N``. Faults are methods (``garbage``, ``unplug``,
``paper_out``, ``jam`` …), callable from tests, the ``kiosk sim`` command and scenario files.
"""

from drivers.sim.base import Simulator
from drivers.sim.port import PtyPort, UrlPort, device_port
from drivers.sim.printer import PrinterSim
from drivers.sim.returnunit import ReturnUnitSim
from drivers.sim.scanner import ScannerSim

__all__ = [
    "PrinterSim",
    "PtyPort",
    "ReturnUnitSim",
    "ScannerSim",
    "Simulator",
    "UrlPort",
    "device_port",
]
