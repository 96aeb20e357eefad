"""Entry points for the return machine's UI: ``kiosk demo --mode return`` and ``kiosk run``
with a configuration whose ``mode = "return"``.

Both build the machine (:mod:`kiosk.returns`), start it, run :class:`ReturnApp` until the
user quits, and stop everything on the way out.

"E-mail my receipt" needs a way to identify and a central that mails: the demo has a
simulated card reader and its embedded central; ``kiosk run`` needs a ``[devices.*]`` card
reader (the return scanner is inside the machine and only ever sees items) and a
``[central]`` of kind "http" (SIP2 has no such message). Otherwise there is no button.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kiosk.clock import clock_from
from kiosk.domain.barcode import BarcodeChain
from kiosk.i18n import Translator
from kiosk.receipt_mail import HttpReceiptMailer
from kiosk.returns.cards import CardInput
from kiosk.ui.screens.return_screen import ReturnApp, ReturnReceipt, ReturnScreen

if TYPE_CHECKING:
    import httpx

    from kiosk.config import MachineConfig

log = logging.getLogger(__name__)


def receipt_printer(printer: Any) -> Callable[[ReturnReceipt], bool] | None:
    """The screen's "print" choice on the machine's printer (None: no printer, no button),
    in the language the screen shows when the patron asks."""
    if printer is None:
        return None

    def print_receipt(receipt: ReturnReceipt) -> bool:
        words = Translator(receipt.language, currency=receipt.currency)
        return bool(printer.print_return_receipt(receipt.items, words))

    return print_receipt


def central_client(config: MachineConfig) -> httpx.Client | None:
    """An HTTP client for central's API as this machine (like ``kiosk run``'s reads), or None
    without an HTTP central (none configured, or an ILS over SIP2)."""
    import httpx

    from kiosk.backend_machine import machine_client

    central = config.central
    if central is None or central.kind != "http":
        return None
    ca = getattr(central, "ca_file", None)
    return machine_client(
        central.url,
        config.machine_id,
        central.read_secret(),
        timeout=httpx.Timeout(central.timeout_s, connect=central.connect_timeout_s),
        verify=str(ca) if ca else True,
    )


def card_reader_name(config: MachineConfig) -> str | None:
    """The first ``[devices.*]`` with ``kind = "card_reader"``: where a patron identifies."""
    from kiosk.config.devices import CardReaderConfig

    return next((n for n, d in config.devices.items() if isinstance(d, CardReaderConfig)), None)


def build_return_demo_app(
    library: str = "hefei",
    *,
    data_dir: Path | None = None,
    now: str | None = None,
    language: str = "en",
    cycle_time: float = 2.0,
) -> tuple[ReturnApp, Any]:
    """The demo's app and its machine (call ``machine.close()`` after the app ends)."""
    from kiosk.backend_central import ServiceReceiptMailer
    from kiosk.policy import load_profile
    from kiosk.returns.demo import build_return_demo

    demo = build_return_demo(
        library, data_dir=data_dir, now=now, cycle_time=cycle_time, language=language
    )
    profile = load_profile(library)
    translator = Translator(language, currency=profile.currency)
    mailer = ServiceReceiptMailer(demo.central.service, machine="demo-return")
    app = ReturnApp(
        lambda: ReturnScreen(
            demo.machine,
            translator,
            print_receipt=receipt_printer(demo.printer),
            mailer=mailer,
            cards=demo.cards,
            barcodes=BarcodeChain(profile.barcodes.rules),
            library_name=demo.library_name,
            demo=demo.demo,
        )
    )
    return app, demo


def run_return_demo(
    library: str = "hefei",
    *,
    data_dir: Path | None = None,
    now: str | None = None,
    language: str = "en",
) -> None:
    """``kiosk demo --mode return``: the simulated machine shows the belt and bins."""
    app, demo = build_return_demo_app(library, data_dir=data_dir, now=now, language=language)
    try:
        app.run()
    finally:
        demo.close()


@dataclass
class ReturnMachineApp:
    """``kiosk run``'s return machine, started: the app to run, and what to stop after it."""

    app: ReturnApp
    machine: Any
    """The :class:`kiosk.returns.runner.ReturnMachine` (controller, drivers, printer)."""
    queue: Any
    """The machine's :class:`kiosk.outbox.wiring.MachineQueue` (outbox and forwarder)."""
    sims: dict[str, Any] = field(default_factory=dict)
    """The simulators behind ``sim:`` devices, by device name."""
    reader: Any = None
    """The card reader (:class:`kiosk.config.devices.OpenDevice`), when one is configured."""
    client: Any = None
    """The HTTP client the e-mail receipts go through, when there is one."""

    def close(self) -> None:
        _stop_all([self.machine, self.reader, self.client, self.queue, *self.sims.values()])


def _stop_all(parts: list[Any]) -> None:
    """Stop (or close) each part; one failing does not keep the others running."""
    for part in parts:
        if part is None:
            continue
        stop = getattr(part, "stop", None) or getattr(part, "close", None)
        try:
            stop()
        except Exception:  # shutting down: log, carry on
            log.debug("stopping %r failed", part, exc_info=True)


def build_return_machine_app(
    config: MachineConfig, *, now: str | None = None, language: str | None = None
) -> ReturnMachineApp:
    """The return machine of ``kiosk run`` (``mode = "return"``), started, and its app.

    Real devices, or simulators for ``sim:`` URLs; check-ins through the machine's queue;
    hold slips in ``language`` (default: ``[ui] language``). With a card reader and an HTTP
    central, the screen offers "e-mail" (:class:`HttpReceiptMailer`); otherwise it does not.
    """
    from drivers.sim.printer import PrinterSim
    from drivers.sim.returnunit import ReturnUnitSim
    from drivers.sim.scanner import ScannerSim
    from kiosk.config.devices import OpenDevice, PrinterConfig, ReturnUnitConfig, ScannerConfig
    from kiosk.outbox.wiring import open_machine_queue
    from kiosk.policy import load_profile
    from kiosk.returns import build_from_machine_config

    clock = clock_from(now, running=True)
    profile = load_profile(config.library)
    translator = Translator(language or config.ui.language, currency=profile.currency)
    started: list[Any] = []
    try:
        queue = open_machine_queue(config, clock=clock, profile=profile)
        started.append(queue)
        sims: dict[str, Any] = {}
        urls: dict[str, str] = {}
        for name, device in config.devices.items():
            if getattr(device, "simulated", False):
                if isinstance(device, ReturnUnitConfig):
                    sim: Any = ReturnUnitSim(bins=max(device.bins, config.returns.bin_count))
                elif isinstance(device, ScannerConfig):
                    sim = ScannerSim()
                elif isinstance(device, PrinterConfig):
                    sim = PrinterSim()
                else:
                    continue  # a card reader's simulator comes with its OpenDevice
                sims[name] = sim.start()
                started.append(sim)
                urls[name] = sim.path
        cards = CardInput()
        reader, client, mailer = None, None, None
        reader_name = card_reader_name(config)
        if reader_name is not None:
            client = central_client(config)
        if reader_name is not None and client is not None:
            started.append(client)
            reader = OpenDevice(reader_name, config.devices[reader_name], cards.emit).start()
            started.append(reader)
            mailer = HttpReceiptMailer(client)
        queue.forwarder.start()
        machine = build_from_machine_config(
            config,
            queue=queue,
            data_dir=Path(config.outbox.path).parent,
            urls=urls,
            clock=clock,
            library_name=profile.library_name,
            translator=translator,
        )
        started.append(machine)
        machine.start()
    except BaseException:
        _stop_all(started[::-1])
        raise

    def screen() -> ReturnScreen:
        return ReturnScreen(
            machine,
            translator,
            print_receipt=receipt_printer(machine.printer),
            mailer=mailer,
            cards=cards,
            barcodes=BarcodeChain(profile.barcodes.rules),
            library_name=profile.library_name,
            card_timeout=float(config.ui.idle_seconds),
            visit_timeout=config.returns.receipt_seconds,
            warning_seconds=round(config.ui.warning_seconds),
        )

    return ReturnMachineApp(ReturnApp(screen), machine, queue, sims, reader, client)


def run_return_machine(
    config_file: Path, *, now: str | None = None, language: str | None = None
) -> None:
    """``kiosk run`` for ``mode = "return"``: runs the app until the user quits."""
    from kiosk.config import load_config

    running = build_return_machine_app(load_config(config_file), now=now, language=language)
    try:
        running.app.run()
    finally:
        running.close()
