"""The 24-hour return machine: the cycle controller, its sorting rules, journal and wiring.

``build_from_machine_config`` (``kiosk run`` in return mode) and ``build_return_demo``
(``kiosk demo --mode return``, in :mod:`kiosk.returns.demo`) return a started or startable
:class:`ReturnMachine`; the return screen is :mod:`kiosk.ui.screens.return_screen`.
"""

from kiosk.returns.build import build_from_machine_config, build_return_machine
from kiosk.returns.controller import (
    BinEmptied,
    Notice,
    ReturnController,
    Returned,
    State,
    Step,
    TechnicianReset,
    Tick,
)
from kiosk.returns.journal import Journal, Stage
from kiosk.returns.ports import CheckinOutcome, CheckinPort, CheckinRequest, IOBoard, SlipPrinter
from kiosk.returns.runner import ReturnMachine
from kiosk.returns.sorting import BinChoice, choose_bin

__all__ = [
    "BinChoice",
    "BinEmptied",
    "CheckinOutcome",
    "CheckinPort",
    "CheckinRequest",
    "IOBoard",
    "Journal",
    "Notice",
    "ReturnController",
    "ReturnMachine",
    "Returned",
    "SlipPrinter",
    "Stage",
    "State",
    "Step",
    "TechnicianReset",
    "Tick",
    "build_from_machine_config",
    "build_return_machine",
    "choose_bin",
]
