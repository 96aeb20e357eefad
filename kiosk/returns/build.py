"""Wiring: the return machine from its configuration, real drivers and the outbox.

``kiosk run`` (return mode) and ``kiosk demo --mode return`` call :func:`build_return_machine`
and then ``machine.start()``; the return screen subscribes to ``machine.controller.listeners``
and posts technician actions with ``machine.post(...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.events import Emit, EventQueue
from drivers.framing import FramerSettings, Terminator
from drivers.link import SerialSettings
from drivers.printer import ReceiptPrinter
from drivers.returnunit import ReturnUnit, ReturnUnitSettings
from drivers.scanner import BarcodeScanner, ScannerSettings
from kiosk.clock import Clock
from kiosk.config.returns import ReturnsConfig
from kiosk.errors import ConfigError
from kiosk.i18n import Translator
from kiosk.outbox.store import Outbox
from kiosk.returns.board import DriverBoard
from kiosk.returns.controller import ReturnController
from kiosk.returns.journal import Journal
from kiosk.returns.outbox_checkin import OutboxCheckin
from kiosk.returns.ports import CheckinPort, SlipPrinter
from kiosk.returns.printing import ReturnPrinter
from kiosk.returns.runner import ReturnMachine

if TYPE_CHECKING:
    from kiosk.config import MachineConfig
    from kiosk.outbox.wiring import MachineQueue


def build_return_machine(
    config: ReturnsConfig,
    *,
    board_url: str,
    scanner_url: str,
    board_serial: SerialSettings | None = None,
    board_settings: ReturnUnitSettings | None = None,
    scanner_serial: SerialSettings | None = None,
    scanner_settings: ScannerSettings | None = None,
    decide: Callable[[str], dict[str, Any]] | None = None,
    outbox: Outbox | None = None,
    checkin: CheckinPort | None = None,
    online: Callable[[], bool] = lambda: True,
    snapshot: Callable[[], dict[str, Any]] | None = None,
    data_dir: str | Path = ".",
    printer: SlipPrinter | None = None,
    receipt_printer: Callable[[Emit], ReturnPrinter] | None = None,
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
    ``receipt_printer`` makes the ESC/POS printer (given the event queue's ``put``, so its
    failures reach the controller's fault log); it prints the hold slips unless ``printer``
    is given, and is ``machine.printer`` for the screen's receipts.
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
    paper = receipt_printer(events.put) if receipt_printer is not None else None
    if printer is None:
        printer = paper
    controller = ReturnController(
        config, DriverBoard(unit), checkin, journal, printer=printer, clock=clock
    )
    machine = ReturnMachine(
        controller,
        events,
        [unit, scanner, *([paper.driver] if paper is not None else [])],
        tick=tick,
        on_stop=journal.close,
        ready=unit.link.wait_connected,
    )
    machine.unit, machine.scanner, machine.printer = unit, scanner, paper
    return machine


def build_from_machine_config(
    machine: MachineConfig,
    *,
    queue: MachineQueue,
    data_dir: str | Path = ".",
    urls: dict[str, str] | None = None,
    printer: SlipPrinter | None = None,
    clock: Clock | None = None,
    branch: str | None = None,
    library_name: str = "",
    translator: Translator | None = None,
    money: Callable[[Decimal], str] | None = None,
) -> ReturnMachine:
    """The return machine of ``kiosk run`` / ``kiosk demo --mode return``.

    Uses the first ``return_unit``, ``scanner`` and ``printer`` (optional: hold slips and
    receipts, headed ``library_name``) in ``[devices]``. Hold slips are in ``translator``'s
    language (the machine's ``[ui] language``); amounts are formatted by ``money`` if given,
    else by the receipt's translator. ``urls`` maps a device name to the pty path of its
    simulator when the configuration says ``sim:``. Check-ins go through ``queue``
    (:func:`kiosk.outbox.wiring.open_machine_queue`): online while the forwarder is online,
    else the offline decision over its cached snapshot.
    """
    from kiosk.config.devices import PrinterConfig, ReturnUnitConfig, ScannerConfig

    urls = urls or {}
    board = next(
        ((n, d) for n, d in machine.devices.items() if isinstance(d, ReturnUnitConfig)), None
    )
    scanner = next(
        ((n, d) for n, d in machine.devices.items() if isinstance(d, ScannerConfig)), None
    )
    if board is None or scanner is None:
        missing = "return_unit" if board is None else "scanner"
        raise ConfigError(
            f'a return machine needs a [devices.*] table with kind = "{missing}"', key="devices"
        )
    (board_name, board_cfg), (scanner_name, scanner_cfg) = board, scanner

    def url(name: str, cfg: Any) -> str:
        if cfg.simulated:
            if name not in urls:
                raise ConfigError(
                    f"device {name} is sim: but no simulator is running", key=f"devices.{name}.url"
                )
            return urls[name]
        return str(cfg.url)

    paper = next(((n, d) for n, d in machine.devices.items() if isinstance(d, PrinterConfig)), None)
    receipt_printer: Callable[[Emit], ReturnPrinter] | None = None
    if paper is not None:
        paper_name, paper_cfg = paper
        paper_serial = (
            paper_cfg.serial_settings(url(paper_name, paper_cfg)) if paper_cfg.url else None
        )

        def receipt_printer(emit: Emit) -> ReturnPrinter:
            driver = ReceiptPrinter(
                paper_name,
                emit,
                backend=paper_cfg.backend,
                serial=paper_serial,
                path=paper_cfg.path or None,
                settings=paper_cfg.to_driver(),
            )
            return ReturnPrinter(
                driver, library_name=library_name, translator=translator, clock=clock, money=money
            )

    cache = queue.cache

    def snapshot() -> dict[str, Any]:
        found = cache.get("snapshot")
        return found[0] if found else {}

    returns: ReturnsConfig = getattr(machine, "returns", None) or ReturnsConfig()
    return build_return_machine(
        returns,
        board_url=url(board_name, board_cfg),
        scanner_url=url(scanner_name, scanner_cfg),
        board_serial=board_cfg.serial_settings(),
        board_settings=board_cfg.to_driver(),
        scanner_serial=scanner_cfg.serial_settings(),
        scanner_settings=scanner_cfg.to_driver(),
        outbox=queue.outbox,
        online=lambda: queue.forwarder.mode.value == "online",
        snapshot=snapshot,
        decide=lambda item: queue.decider.checkin(item, branch=branch),
        data_dir=data_dir,
        printer=printer,
        receipt_printer=receipt_printer,
        clock=clock,
        branch=branch,
        wait_s=machine.outbox.wait_s,
    )
