"""``kiosk demo --mode return``: a return machine on simulated hardware, checking in against
an embedded central store (SQLite, a library's demo data) through a real outbox.

Everything a real machine has is real here except the mechanics: the I/O board and scanner
are simulators on pty serial ports, driven by the real drivers; check-ins are queued in the
outbox and forwarded to central by the real forwarder (in-process instead of over HTTP).
"""

from __future__ import annotations

import tempfile
import threading
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from drivers.cardreader import TRACK2_PATTERN, CardReader, CardReaderSettings
from drivers.events import Emit
from drivers.link import SerialSettings
from drivers.printer import Backend as PrinterBackend
from drivers.printer import PrinterSettings, ReceiptPrinter
from drivers.sim.printer import PrinterSim
from drivers.sim.returnunit import ReturnUnitSim
from drivers.sim.scanner import ScannerSim
from kiosk.clock import Clock, clock_from
from kiosk.config.returns import BinConfig, BinRole, ReturnsConfig
from kiosk.domain import Transaction
from kiosk.errors import ConfigError
from kiosk.i18n import Translator
from kiosk.outbox.forwarder import Forwarder
from kiosk.outbox.store import Delivery, Outbox
from kiosk.returns.build import build_return_machine
from kiosk.returns.cards import CardInput
from kiosk.returns.ports import HoldSlip
from kiosk.returns.printing import ReturnPrinter
from kiosk.returns.runner import ReturnMachine

DEMO_NOW = "2026-11-23T10:00:00"
DEMO_BRANCH = {"hefei": "main", "hamburg": "zentrale", "sanjose": "king"}
"""Where the demo's return machine stands (the main library of each demo network)."""
DEMO_BINS = (
    BinConfig(number=1, role=BinRole.RESHELVE, label="Reshelve"),
    BinConfig(number=2, role=BinRole.HOLD_SHELF, label="Hold shelf"),
    BinConfig(number=3, role=BinRole.TRANSIT, label="Transit"),
    BinConfig(number=4, role=BinRole.STAFF, label="Staff"),
    BinConfig(number=5, role=BinRole.OVERFLOW, label="Overflow"),
)
DEMO_CARD_PATTERN = r"(?:\][A-Za-z][0-9A-Za-z])?(?P<card>[0-9A-Za-z]{4,32})"
"""The demo's card reader is a barcode scanner: it passes any code on, and the library's
barcode rules decide whether it is a card (an item scanned there gets "that was an item")."""


class ServiceTarget:
    """The forwarder's target when central runs in the same process (demo, tests)."""

    name = "central (embedded)"
    SUPPORTS_SNAPSHOT: ClassVar[bool] = True

    def __init__(self, service: Any) -> None:
        self.service = service

    def send(self, transactions: Sequence[Transaction]) -> list[Delivery]:
        results = self.service.apply_batch(list(transactions))
        return [Delivery.from_wire(_plain(r.to_wire())) for r in results]

    def fetch_policy(self) -> dict[str, Any]:
        return dict(self.service.policy_document())

    def fetch_snapshot(self) -> dict[str, Any]:
        return dict(self.service.snapshot())

    def heartbeat(self, *, queue_depth: int, oldest_age_s: float, mode: str) -> None:
        return None

    def close(self) -> None:
        return None


def _plain(value: Any) -> Any:
    """Decimals and dates as JSON would carry them."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


@dataclass
class SlipLog:
    """Hold slips the demo printed (on ``paper``, the simulated printer), kept to show."""

    slips: list[HoldSlip] = field(default_factory=list)
    paper: ReturnPrinter | None = None

    def print_hold_slip(self, slip: HoldSlip) -> object:
        self.slips.append(slip)
        return self.paper.print_hold_slip(slip) if self.paper is not None else None


@dataclass
class SimulatedReturns:
    """The demo's patron: pushes items from the library's fixture into the simulator."""

    sim: ReturnUnitSim
    scanner: ScannerSim
    items: list[str]
    cards: list[str] = field(default_factory=list)
    """Demo cards, first those with an e-mail address on file, then one without."""
    card_sim: ScannerSim | None = None
    """The simulated card reader (a scanner on a pty, read by the real card reader driver)."""
    _next: int = 0
    _next_card: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def insert_item(self) -> str:
        with self._lock:
            code = self.items[self._next % len(self.items)]
            self._next += 1
        self.sim.present_item()
        self.scanner.scan(code)
        return code

    def insert_unreadable(self) -> None:
        self.sim.present_item()

    def scan_card(self, code: str | None = None) -> str:
        """The patron holds a library card (the next demo card, or ``code``) to the reader."""
        if code is None:
            with self._lock:
                code = self.cards[self._next_card % len(self.cards)]
                self._next_card += 1
        if self.card_sim is not None:
            self.card_sim.scan(code)
        return code

    def cause_jam(self) -> None:
        self.sim.jam()

    def take_back(self) -> None:
        self.sim.take_back()

    def picture(self) -> str:
        sim = self.sim
        stages = {"intake": 0, "travel": 1, "diverter": 2}
        belt = ["·"] * 3
        for item in list(sim.items):
            belt[stages.get(item.stage, 0)] = "▣"
        door = {"OPEN": "▯", "CLOSED": "▮"}.get(sim.door, "▭")
        bins = "  ".join(
            f"[{n}:{sim.bin_counts[n]}{'!' if sim.full[n] else ''}]" for n in range(1, sim.bins + 1)
        )
        arrow = f"→{sim.diverter}"
        return (
            f"door {door}  belt {sim.conveyor:<4} {''.join(belt)} diverter {arrow}"
            f"{'  E-STOP' if sim.estopped else ''}\n{bins}"
        )


@dataclass
class ReturnDemoMachine:
    machine: ReturnMachine
    demo: SimulatedReturns
    central: Any
    outbox: Outbox
    forwarder: Forwarder
    slips: SlipLog
    clock: Clock
    data_dir: Path
    printer_sim: PrinterSim | None = None
    """The simulated receipt printer (``printer_sim.text`` is what came out of it)."""
    cards: CardInput = field(default_factory=CardInput)
    """The card reader's reads (``demo.scan_card()`` makes one), for the screen."""
    card_reader: CardReader | None = None
    library_name: str = ""

    @property
    def printer(self) -> ReturnPrinter | None:
        return self.machine.printer

    def close(self) -> None:
        self.machine.stop()
        if self.card_reader is not None:
            self.card_reader.stop()
        if self.demo.card_sim is not None:
            self.demo.card_sim.stop()
        if self.printer_sim is not None:
            self.printer_sim.stop()
        self.forwarder.stop()
        self.demo.sim.stop()
        self.demo.scanner.stop()
        self.outbox.close()
        close = getattr(self.central, "close", None)
        if close is not None:
            close()


FIXTURES = Path(__file__).resolve().parents[2] / "config" / "demo"
LIBRARIES = ("hefei", "hamburg", "sanjose")


def fixture_path(library: str) -> Path:
    """The library's demo data (the same files ``kiosk demo`` loads)."""
    if library not in LIBRARIES:
        raise ConfigError(
            f"unknown demo library {library!r}: choose {', '.join(LIBRARIES)}", key="--library"
        )
    return FIXTURES / f"{library}.toml"


def _library(fixture: Path) -> tuple[str, str]:
    """The library's name and currency, as its receipts show them."""
    library = tomllib.loads(fixture.read_text("utf-8")).get("library", {})
    return str(library.get("name", "")), str(library.get("currency", "EUR"))


def _demo_items(fixture: Path) -> list[str]:
    """Items on loan first (they come back with fines and holds), then the rest."""
    data = tomllib.loads(fixture.read_text("utf-8"))
    on_loan = [loan["item"] for loan in data.get("loan", [])]
    rest = [i["barcode"] for i in data.get("item", []) if i["barcode"] not in on_loan]
    return [*on_loan, *rest, "39999999999999"]  # and one the library does not know


def demo_cards(fixture: Path) -> list[str]:
    """Three cards with an e-mail address on file, then one without (for "e-mail me")."""
    patrons = tomllib.loads(fixture.read_text("utf-8")).get("patron", [])
    with_email = [p["barcode"] for p in patrons if p.get("email")][:3]
    without = [p["barcode"] for p in patrons if not p.get("email")][:1]
    return [*with_email, *without]


def build_return_demo(
    library: str = "hefei",
    *,
    data_dir: Path | None = None,
    now: str | None = None,
    cycle_time: float = 2.0,
    config: ReturnsConfig | None = None,
    language: str = "en",
) -> ReturnDemoMachine:
    """Central (loaded with the library's demo data), outbox, forwarder, simulators and the
    return machine, started; call ``close()`` when done. ``language`` is the machine's: its
    hold slips are printed in it."""
    from kiosk.central import open_central
    from kiosk.central.security import PinHasher
    from kiosk.central.services import load_fixture
    from kiosk.central.settings import CentralSettings

    data_dir = data_dir or Path(tempfile.mkdtemp(prefix=f"kiosk-return-demo-{library}-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    clock = clock_from(now or DEMO_NOW, running=True)
    db = data_dir / "central.db"
    fresh = not db.exists()
    central = open_central(  # e-mailed receipts land in the demo's folder as .eml files
        f"sqlite:///{db}", clock=clock, settings=CentralSettings(mail_dir=data_dir / "mail")
    )
    if fresh:
        load_fixture(fixture_path(library), central.sessions, PinHasher(central.settings), None)
    outbox = Outbox(data_dir / "outbox.db", "demo-return", clock=clock)
    target = ServiceTarget(central.service)
    forwarder = Forwarder(outbox, target, wait_s=1.5, idle_poll_s=0.2)
    snapshot = target.fetch_snapshot()
    forwarder.start()
    config = config or ReturnsConfig(bins=DEMO_BINS, journal=str(data_dir / "returns.db"))
    sim = ReturnUnitSim(bins=config.bin_count, cycle_time=cycle_time).start()
    scanner = ScannerSim().start()
    printer_sim = PrinterSim().start()
    library_name, currency = _library(fixture_path(library))

    def receipt_printer(emit: Emit) -> ReturnPrinter:
        driver = ReceiptPrinter(
            "return_printer",
            emit,
            backend=PrinterBackend.SERIAL,
            serial=SerialSettings(printer_sim.path),
            settings=PrinterSettings(poll_interval=0.5),
        )
        return ReturnPrinter(
            driver,
            library_name=library_name,
            translator=Translator(language, currency=currency),
            clock=clock,
        )

    slips = SlipLog()
    machine = build_return_machine(
        config,
        board_url=sim.path,
        scanner_url=scanner.path,
        outbox=outbox,
        online=lambda: forwarder.mode.value == "online",
        snapshot=lambda: snapshot,
        data_dir=data_dir,
        printer=slips,
        receipt_printer=receipt_printer,
        clock=clock,
        branch=DEMO_BRANCH.get(library),
    )
    slips.paper = machine.printer
    machine.start()
    cards = CardInput()
    card_sim = ScannerSim().start()
    card_reader = CardReader(
        "return_card_reader",
        SerialSettings(card_sim.path),
        cards.emit,
        CardReaderSettings(patterns=(TRACK2_PATTERN, DEMO_CARD_PATTERN), duplicate_window=0.3),
    )
    card_reader.start()
    fixture = fixture_path(library)
    demo = SimulatedReturns(
        sim, scanner, _demo_items(fixture), cards=demo_cards(fixture), card_sim=card_sim
    )
    return ReturnDemoMachine(
        machine,
        demo,
        central,
        outbox,
        forwarder,
        slips,
        clock,
        data_dir,
        printer_sim,
        cards=cards,
        card_reader=card_reader,
        library_name=library_name,
    )
