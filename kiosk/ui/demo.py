"""``kiosk demo``: the whole system in one process.

Central runs embedded on a SQLite file loaded with the library's demo fixture; the scanner,
card reader and receipt printer are simulators on pty pairs driven by the real drivers, so a
tap on the helper panel travels the same path as a real scan: simulator -> pty -> driver ->
bridge -> session -> central -> screen.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from drivers.cardreader import TRACK2_PATTERN, CardReader, CardReaderSettings
from drivers.link import SerialSettings
from drivers.printer import Backend as PrinterBackend
from drivers.printer import PrinterSettings, ReceiptPrinter
from drivers.scanner import BarcodeScanner, ScannerSettings
from drivers.sim.printer import PrinterSim
from drivers.sim.scanner import ScannerSim
from kiosk.backend import Problem, Receipt
from kiosk.backend_central import CentralBackend, ServiceReceiptMailer
from kiosk.backend_machine import MachineBackend, ServiceReads
from kiosk.central import Central, open_central
from kiosk.central.security import PinHasher
from kiosk.central.services import load_fixture
from kiosk.central.settings import CentralSettings
from kiosk.clock import Clock, clock_from
from kiosk.config import MachineConfig
from kiosk.config.ui import UiSettings
from kiosk.domain import Transaction
from kiosk.domain.barcode import BarcodeChain
from kiosk.errors import ConfigError
from kiosk.outbox import Delivery, TargetUnavailable
from kiosk.outbox.wiring import MachineQueue, open_machine_queue
from kiosk.session import Mode, Session, SessionSettings
from kiosk.ui.app import KioskApp
from kiosk.ui.bridge import DeviceBridge
from kiosk.ui.demo_data import LIBRARIES, DemoCast, fixture_path, pick_cast
from kiosk.ui.receipts import printed_receipt
from kiosk.ui.widgets.demo_panel import DemoEntry

log = logging.getLogger("kiosk.demo")

DEMO_TECHNICIAN_PIN = "2468"
"""Shown in the README; a real machine sets its own hash in [ui] technician_pin_hash."""
DEMO_TECHNICIAN_PIN_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$GCmqtHm7ewlYbQIZNnL7UQ$"
    "hMmwbXgwoomVuRgClN71rmF/y3aYVRm3JMZAGABnnig"
)
"""argon2id of DEMO_TECHNICIAN_PIN, made once (hashing at every start costs ~0.3 s)."""
DEMO_NOW = "2026-11-23T10:00:00"
"""The demo fixtures describe this day; ``--now`` moves it."""
CARD_PATTERN = r"(?:\][A-Za-z][0-9A-Za-z])?(?P<card>[A-Za-z]?\d{6,19})"


class DemoTarget:
    """The forwarder's target when central runs in this process, behind a network switch."""

    name = "central (embedded)"
    SUPPORTS_SNAPSHOT: ClassVar[bool] = True

    def __init__(self, service: Any, reachable: Callable[[], bool]) -> None:
        self.service = service
        self.reachable = reachable

    def _check(self) -> None:
        if not self.reachable():
            raise TargetUnavailable("network cut (demo)")

    def send(self, transactions: Sequence[Transaction]) -> list[Delivery]:
        self._check()
        results = self.service.apply_batch(list(transactions))
        return [
            Delivery.from_wire(json.loads(json.dumps(r.to_wire(), default=str))) for r in results
        ]

    def fetch_policy(self) -> dict[str, Any]:
        self._check()
        return json.loads(json.dumps(self.service.policy_document(), default=str))

    def fetch_snapshot(self) -> dict[str, Any]:
        self._check()
        return json.loads(json.dumps(self.service.snapshot(), default=str))

    def heartbeat(self, *, queue_depth: int, oldest_age_s: float, mode: str) -> None:
        self._check()

    def close(self) -> None:
        return None


def central_exceptions(central: Central) -> list[Problem]:
    return [
        Problem(
            exc.occurred_at, exc.kind, exc.item or "", tuple(r.code for r in exc.reasons), "central"
        )
        for exc in central.service.exceptions()
    ]


@dataclass
class DemoMachine:
    library: str
    data_dir: Path
    clock: Clock
    central: Central
    backend: MachineBackend
    queue: MachineQueue
    session: Session
    cast: DemoCast
    settings: UiSettings
    app: KioskApp | None = None
    scanner_sim: ScannerSim | None = None
    card_sim: ScannerSim | None = None
    printer_sim: PrinterSim | None = None
    devices: list[Any] = field(default_factory=list)
    reachable: bool = True
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- receipts ------------------------------------------------------------------------

    def print_receipt(self, receipt: Receipt) -> bool:
        """The simulated printer prints it. (E-mailed receipts go through central, which
        writes them as .eml files to ``<data dir>/mail``.)"""
        assert self.app is not None
        t = self.app.t
        printer = self._printer()
        if printer is None:
            return False
        future = printer.print_receipt(printed_receipt(receipt, t))
        try:
            return future.result(timeout=10).ok
        except Exception as error:  # a printer problem is an answer, never a crash
            log.warning("printing failed: %s", error)
            return False

    def print_test_receipt(self) -> bool:
        assert self.app is not None
        receipt = Receipt(
            library=self.backend.library_name,
            card_masked="****0000",
            at=self.clock.now(),
            lines=(),
            currency=self.backend.currency,
        )
        return self.print_receipt(receipt)

    def _printer(self) -> ReceiptPrinter | None:
        return next((d for d in self.devices if isinstance(d, ReceiptPrinter)), None)

    # --- the helper panel ------------------------------------------------------------------

    def demo_input(self, entry: DemoEntry) -> None:
        """A tap on the panel: the simulated device reads the code (off the UI loop)."""
        sim = self.card_sim if entry.device == "card" else self.scanner_sim
        if sim is None:
            return
        threading.Thread(target=sim.scan, args=(entry.code,), daemon=True).start()

    def demo_network(self, online: bool) -> None:
        """The panel's network switch: central becomes unreachable (or reachable again)."""
        self.reachable = online
        if self.app is not None and not online:
            DeviceBridge(self.app).connectivity(False, "network cut (demo)")
        self.queue.forwarder.wake()

    # --- lifecycle ------------------------------------------------------------------------

    def start_devices(self, bridge: DeviceBridge) -> None:
        emit = bridge.emit
        self.scanner_sim = ScannerSim()
        self.card_sim = ScannerSim()
        self.printer_sim = PrinterSim()
        for sim in (self.scanner_sim, self.card_sim, self.printer_sim):
            sim.start()
        scanner = BarcodeScanner(
            "scanner",
            SerialSettings(self.scanner_sim.path),
            emit,
            ScannerSettings(duplicate_window=0.3),
        )
        reader = CardReader(
            "card",
            SerialSettings(self.card_sim.path),
            emit,
            CardReaderSettings(patterns=(TRACK2_PATTERN, CARD_PATTERN)),
        )
        printer = ReceiptPrinter(
            "printer",
            emit,
            backend=PrinterBackend.SERIAL,
            serial=SerialSettings(self.printer_sim.path, baudrate=19200),
            settings=PrinterSettings(poll_interval=2.0),
        )
        for device in (scanner, reader, printer):
            device.start()
            self.devices.append(device)

    def close(self) -> None:
        for device in self.devices:
            try:
                device.stop()
            except Exception:  # closing: report, carry on
                log.debug("device stop failed", exc_info=True)
        for sim in (self.scanner_sim, self.card_sim, self.printer_sim):
            if sim is not None:
                sim.stop()
        self.queue.forwarder.stop()
        if self.reachable:
            self.queue.forwarder.drain(timeout=2.0)  # hand central what is still queued
        self.queue.close()
        self.central.dispose()


def build_demo(
    library: str = "hefei",
    *,
    data_dir: Path | None = None,
    now: str | None = None,
    devices: bool = True,
    settings: UiSettings | None = None,
    trace: Path | None = None,
    mode: Mode = Mode.CHECKOUT,
) -> DemoMachine:
    """Wire the demo: central (loaded once per data directory), session, app and devices."""
    if library not in LIBRARIES:
        raise ConfigError(
            f"unknown demo library {library!r}: choose {', '.join(LIBRARIES)}", key="--library"
        )
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix=f"kiosk-demo-{library}-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    clock = clock_from(now or DEMO_NOW, running=True)
    db = data_dir / "central.db"
    fresh = not db.exists()
    central = open_central(
        f"sqlite:///{db}", clock=clock, settings=CentralSettings(mail_dir=data_dir / "mail")
    )
    if fresh:
        load_fixture(fixture_path(library), central.sessions, PinHasher(central.settings), None)
    profile = central.profile
    settings = settings or UiSettings(
        technician_pin_hash=DEMO_TECHNICIAN_PIN_HASH,
        technician_cards=("TECH0001",),
    )
    holder: dict[str, DemoMachine] = {}

    def reachable() -> bool:
        return holder["machine"].reachable if "machine" in holder else True

    def print_receipt(receipt: Receipt) -> bool:
        return holder["machine"].print_receipt(receipt)

    machine_id = f"demo-kiosk-{os.getpid()}"
    config = MachineConfig(
        machine_id=machine_id,
        library=library,
        outbox={"path": data_dir / "queues" / f"{machine_id}.db", "wait_s": 1.5},
    )
    (data_dir / "queues").mkdir(exist_ok=True)
    target = DemoTarget(central.service, reachable)
    queue = open_machine_queue(config, clock=clock, profile=profile, target=target)
    queue.cache.refresh(target)
    reads = ServiceReads(CentralBackend(central, machine_id=machine_id), reachable)
    backend = MachineBackend(
        reads,
        queue,
        library_name=profile.library_name,
        currency=profile.currency,
        receipts=print_receipt,
        mailer=ServiceReceiptMailer(central.service, machine=machine_id, reachable=reachable),
        test_receipt=lambda: holder["machine"].print_test_receipt(),
        exceptions=lambda: central_exceptions(central),
        clock=clock.now,
    )
    session = Session(
        backend,
        settings=SessionSettings(double_scan_window=settings.double_scan_seconds, mode=mode),
        barcodes=BarcodeChain(profile.barcodes.rules),
        clock=clock,
    )
    machine = DemoMachine(
        library=library,
        data_dir=data_dir,
        clock=clock,
        central=central,
        backend=backend,
        queue=queue,
        session=session,
        cast=pick_cast(library, today=clock.now().date()),
        settings=settings,
    )
    holder["machine"] = machine
    app = KioskApp(
        machine.session,
        settings=settings,
        control=backend,
        demo=machine.cast.script(),
        demo_input=machine.demo_input if devices else None,
        demo_network=machine.demo_network,
        trace=trace,
    )
    machine.app = app
    bridge = DeviceBridge(app)
    queue.forwarder.on_mode_change(
        lambda event: bridge.connectivity(event.mode.value == "online", event.reason)
    )
    queue.forwarder.start()
    if devices:
        machine.start_devices(bridge)
    return machine
