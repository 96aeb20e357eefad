"""Wiring: the return machine from its configuration, real drivers and the outbox.

``kiosk run`` (return mode) and ``kiosk demo --mode return`` call :func:`build_return_machine`
and then ``machine.start()``; the return screen subscribes to ``machine.controller.listeners``
and posts technician actions with ``machine.post(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from drivers.events import EventQueue
from drivers.framing import FramerSettings, Terminator
from drivers.link import SerialSettings
from drivers.returnunit import ReturnUnit, ReturnUnitSettings
from drivers.scanner import BarcodeScanner, ScannerSettings
from kiosk.clock import Clock
from kiosk.config.returns import ReturnsConfig
from kiosk.outbox.store import Outbox
from kiosk.returns.board import DriverBoard
from kiosk.returns.controller import ReturnController
from kiosk.returns.journal import Journal
from kiosk.returns.outbox_checkin import OutboxCheckin
from kiosk.returns.ports import CheckinPort, SlipPrinter
from kiosk.returns.runner import ReturnMachine


def build_return_machine(
    config: ReturnsConfig,
    *,
    board_url: str,
    scanner_url: str,
    outbox: Outbox | None = None,
    checkin: CheckinPort | None = None,
    online: Callable[[], bool] = lambda: True,
    snapshot: Callable[[], dict[str, Any]] | None = None,
    data_dir: str | Path = ".",
    printer: SlipPrinter | None = None,
    clock: Clock | None = None,
    branch: str | None = None,
    wait_s: float = 1.5,
    board_baudrate: int = 9600,
    scanner_baudrate: int = 9600,
    scanner_terminator: Terminator = Terminator.CR,
    ack_timeout: float = 0.5,
    tick: float = 0.01,
) -> ReturnMachine:
    """The controller, its journal, the I/O board and scanner drivers, and the runner.

    Give either ``outbox`` (check-ins go through :class:`OutboxCheckin`; ``online`` says
    whether to wait for central, ``snapshot`` is the offline cache) or a ready ``checkin``.
    """
    if checkin is None:
        if outbox is None:
            raise ValueError("build_return_machine needs an outbox or a checkin port")
        checkin = OutboxCheckin(
            outbox, online=online, snapshot=snapshot, wait_s=wait_s, branch=branch
        )
    events = EventQueue()
    unit = ReturnUnit(
        "return_unit",
        SerialSettings(url=board_url, baudrate=board_baudrate),
        events.put,
        ReturnUnitSettings(
            bins=config.bin_count, jam_timeout=config.jam_timeout, ack_timeout=ack_timeout
        ),
    )
    scanner = BarcodeScanner(
        "return_scanner",
        SerialSettings(url=scanner_url, baudrate=scanner_baudrate),
        events.put,
        ScannerSettings(
            framing=replace(FramerSettings(), terminator=scanner_terminator), duplicate_window=0.0
        ),
    )
    journal_path = Path(config.journal)
    if not journal_path.is_absolute():
        journal_path = Path(data_dir) / journal_path
    journal = Journal(journal_path)
    controller = ReturnController(
        config, DriverBoard(unit), checkin, journal, printer=printer, clock=clock
    )
    machine = ReturnMachine(
        controller,
        events,
        [unit, scanner],
        tick=tick,
        on_stop=journal.close,
        ready=unit.link.wait_connected,
    )
    machine.unit, machine.scanner = unit, scanner
    return machine
