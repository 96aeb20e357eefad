"""``kiosk run --config FILE``: the self-checkout kiosk on a real machine.

Wiring only: the configured devices (``sim:`` devices get a simulator), the outbox and its
forwarder to central's HTTP API, reads over HTTP, the session and the app.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drivers.printer import ReceiptPrinter
from kiosk.backend import Problem, Receipt
from kiosk.backend_machine import HttpReads, MachineBackend
from kiosk.clock import Clock, clock_from
from kiosk.config import MachineConfig, load_config
from kiosk.config.devices import OpenDevice
from kiosk.domain.barcode import BarcodeChain
from kiosk.errors import ConfigError
from kiosk.outbox.wiring import MachineQueue, open_machine_queue
from kiosk.policy import load_profile
from kiosk.session import Mode, Session, SessionSettings
from kiosk.ui.app import KioskApp
from kiosk.ui.bridge import DeviceBridge
from kiosk.ui.receipts import printed_receipt

if TYPE_CHECKING:
    from kiosk.sip2.lookups import Sip2Lookups

log = logging.getLogger("kiosk.machine")

_SIP2_ITEM = re.compile(r"\|AB([^|]*)")
_SIP2_ATTENTION = ("uncertain", "not_sent")


def sip2_problems(target: Any) -> list[Problem]:
    """The SIP2 target's exchanges staff must look at, for the technician screen: a reply
    that never came (did the ILS apply it?), a transaction SIP2 cannot carry, and an
    offline fact the ILS flagged (its reconciliation record, :mod:`kiosk.sip2.target`)."""
    found: list[Problem] = []
    for row in target.reconciliation():
        if row.state not in _SIP2_ATTENTION and row.outcome != "exception":
            continue
        reasons = row.details.get("reasons") or ()
        codes = tuple(str(r.get("code", "")) for r in reasons) or (f"sip2_{row.state}",)
        item = _SIP2_ITEM.search(row.request)
        found.append(
            Problem(
                datetime.fromisoformat(row.at),
                row.kind,
                item.group(1) if item else "",
                codes,
                "ils",
            )
        )
    return found


@dataclass
class Machine:
    config: MachineConfig
    clock: Clock
    queue: MachineQueue
    reads: HttpReads | Sip2Lookups
    backend: MachineBackend
    session: Session
    app: KioskApp
    devices: list[OpenDevice] = field(default_factory=list)

    def printer(self) -> ReceiptPrinter | None:
        return next((d.driver for d in self.devices if isinstance(d.driver, ReceiptPrinter)), None)

    def print_receipt(self, receipt: Receipt) -> bool:
        printer = self.printer()
        if printer is None:
            return False
        try:
            return printer.print_receipt(printed_receipt(receipt, self.app.t)).result(10).ok
        except Exception as error:  # a printer problem is an answer, never a crash
            log.warning("printing failed: %s", error)
            return False

    def test_receipt(self) -> bool:
        receipt = Receipt(
            self.backend.library_name, "****0000", self.clock.now(), (), self.backend.currency
        )
        return self.print_receipt(receipt)

    def close(self) -> None:
        for device in self.devices:
            try:
                device.stop()
            except Exception:  # closing: report, carry on
                log.debug("device stop failed", exc_info=True)
        self.queue.close()
        self.reads.close()


def build_machine(config: MachineConfig, *, now: str | None = None) -> Machine:
    if config.central is None:
        raise ConfigError("no [central] section: the kiosk cannot reach central", key="central")
    clock = clock_from(now, running=True)
    profile = load_profile(config.library)
    queue = open_machine_queue(config, clock=clock, profile=profile)
    reads: HttpReads | Sip2Lookups
    if config.central.kind == "sip2":  # an ILS over SIP2 answers the session's questions
        from kiosk.sip2.config import make_lookups

        reads = make_lookups(config.central)
    else:
        ca = config.central.ca_file
        reads = HttpReads(
            config.central.url,
            config.machine_id,
            config.central.read_secret(),
            timeout_s=config.central.timeout_s,
            verify=str(ca) if ca else True,
        )
    holder: dict[str, Machine] = {}
    backend = MachineBackend(
        reads,
        queue,
        library_name=profile.library_name,
        currency=profile.currency,
        receipts=lambda receipt: holder["m"].print_receipt(receipt),
        mailer=reads.mailer if isinstance(reads, HttpReads) else None,
        exceptions=(
            reads.exceptions
            if isinstance(reads, HttpReads)
            else lambda: sip2_problems(queue.forwarder.target)
        ),
        test_receipt=lambda: holder["m"].test_receipt(),
        clock=clock.now,
    )
    session = Session(
        backend,
        settings=SessionSettings(
            double_scan_window=config.ui.double_scan_seconds, mode=Mode(config.mode.value)
        ),
        barcodes=BarcodeChain(profile.barcodes.rules),
        clock=clock,
    )
    app = KioskApp(session, settings=config.ui, control=backend)
    machine = Machine(config, clock, queue, reads, backend, session, app)
    holder["m"] = machine
    bridge = DeviceBridge(app)
    for name, device in config.devices.items():
        if device.kind in ("scanner", "card_reader", "printer"):
            machine.devices.append(OpenDevice(name, device, bridge.emit))
    queue.forwarder.on_mode_change(
        lambda event: bridge.connectivity(event.mode.value == "online", event.reason)
    )
    return machine


def run_machine(config_file: Path, *, now: str | None = None) -> None:
    config = load_config(config_file)
    machine = build_machine(config, now=now)
    try:
        for device in machine.devices:
            device.start()
        machine.queue.forwarder.start()
        machine.app.run()
    finally:
        machine.close()


def describe(machine: Machine) -> dict[str, Any]:
    """What ``kiosk run`` wired, for logs and the technician."""
    return {
        "machine": machine.config.machine_id,
        "library": machine.config.library,
        "devices": {d.name: d.url for d in machine.devices},
    }
