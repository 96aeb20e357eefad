"""Entry points for the return machine's UI: ``kiosk demo --mode return`` and ``kiosk run``
with a configuration whose ``mode = "return"``.

Both build the machine (:mod:`kiosk.returns`), start it, run :class:`ReturnApp` until the
user quits, and stop everything on the way out.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kiosk.clock import clock_from
from kiosk.i18n import Translator
from kiosk.ui.screens.return_screen import ReturnApp, ReturnReceipt, ReturnScreen


def receipt_printer(printer: Any) -> Callable[[ReturnReceipt], bool] | None:
    """The screen's "print" choice on the machine's printer (None: no printer, no button),
    in the language the screen shows when the patron asks."""
    if printer is None:
        return None

    def print_receipt(receipt: ReturnReceipt) -> bool:
        words = Translator(receipt.language, currency=receipt.currency)
        return bool(printer.print_return_receipt(receipt.items, words))

    return print_receipt


def build_return_demo_app(
    library: str = "hefei",
    *,
    data_dir: Path | None = None,
    now: str | None = None,
    language: str = "en",
    cycle_time: float = 2.0,
) -> tuple[ReturnApp, Any]:
    """The demo's app and its machine (call ``machine.close()`` after the app ends)."""
    from kiosk.policy import load_profile
    from kiosk.returns.demo import build_return_demo

    demo = build_return_demo(
        library, data_dir=data_dir, now=now, cycle_time=cycle_time, language=language
    )
    translator = Translator(language, currency=load_profile(library).currency)
    app = ReturnApp(
        lambda: ReturnScreen(
            demo.machine, translator, print_receipt=receipt_printer(demo.printer), demo=demo.demo
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


def run_return_machine(config_file: Path, *, now: str | None = None, language: str = "en") -> None:
    """``kiosk run`` for ``mode = "return"``: the real devices (or simulators for ``sim:``)."""
    from drivers.sim.printer import PrinterSim
    from drivers.sim.returnunit import ReturnUnitSim
    from drivers.sim.scanner import ScannerSim
    from kiosk.config import load_config
    from kiosk.config.devices import PrinterConfig, ReturnUnitConfig, ScannerConfig
    from kiosk.outbox.wiring import open_machine_queue
    from kiosk.policy import load_profile
    from kiosk.returns import build_from_machine_config

    config = load_config(config_file)
    clock = clock_from(now, running=True)
    profile = load_profile(config.library)
    queue = open_machine_queue(config, clock=clock, profile=profile)
    translator = Translator(language, currency=profile.currency)
    sims: list[Any] = []
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
                continue
            sims.append(sim.start())
            urls[name] = sim.path
    machine = None
    try:
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
        machine.start()
        running = machine
        ReturnApp(
            lambda: ReturnScreen(
                running, translator, print_receipt=receipt_printer(running.printer)
            )
        ).run()
    finally:
        if machine is not None:
            machine.stop()
        with contextlib.suppress(Exception):
            queue.close()
        for sim in sims:
            sim.stop()
