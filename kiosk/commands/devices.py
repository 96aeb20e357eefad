"""``kiosk devices list|test``: what ports this computer has, and try a configured device."""

from __future__ import annotations

import os
import queue
import time
from datetime import datetime
from pathlib import Path

import click

from drivers.events import (
    DeviceBack,
    DeviceEvent,
    DeviceReady,
    DoorClosed,
    DoorOpened,
    EventQueue,
    PrinterStatusChanged,
)
from kiosk.config import MachineConfig, load_config
from kiosk.config.devices import OpenDevice, PrinterConfig, ReturnUnitConfig
from kiosk.errors import ConfigError, DeviceError

CONFIG_OPTION = click.option(
    "--config",
    "config_file",
    envvar="KIOSK_CONFIG",
    type=click.Path(dir_okay=False),
    help="Machine configuration (or KIOSK_CONFIG).",
)


@click.group()
def devices() -> None:
    """Serial devices: list ports, test a configured device."""


def _configured(config_file: str | None) -> MachineConfig | None:
    return load_config(config_file) if config_file else None


def _resolved(url: str) -> str:
    """A /dev/serial/by-id/… link resolved to its /dev/ttyUSBn, to match against ports."""
    try:
        return os.path.realpath(url) if url.startswith("/") else url
    except OSError:
        return url


@devices.command(name="list")
@CONFIG_OPTION
def list_(config_file: str | None) -> None:
    """Ports found on this computer and, with --config, what each is configured as.

    Simulated ports (ptys) and URLs are not found by scanning: configured ones are listed
    with whether their path exists.
    """
    from serial.tools import list_ports

    machine = _configured(config_file)
    by_target: dict[str, list[str]] = {}
    if machine is not None:
        for name, device in machine.devices.items():
            target = getattr(device, "url", "") or getattr(device, "path", "")
            by_target.setdefault(_resolved(target), []).append(f"{name} ({device.kind})")
    rows = [("PORT", "DESCRIPTION", "HARDWARE ID", "CONFIGURED AS")]
    seen = set()
    for port in sorted(list_ports.comports(), key=lambda p: p.device):
        seen.add(port.device)
        configured = ", ".join(by_target.get(port.device, [])) or "-"
        rows.append((port.device, port.description or "-", port.hwid or "-", configured))
    if machine is not None:
        for name, device in machine.devices.items():
            target = getattr(device, "url", "") or getattr(device, "path", "")
            if _resolved(target) in seen:
                continue
            if target == "sim:":
                state = "built-in simulator"
            elif "://" in target:
                state = "pyserial URL"
            elif Path(target).exists():
                state = "path exists (not a USB/serial port: pty or device file)"
            else:
                state = "NOT FOUND"
            rows.append((target or "-", state, "-", f"{name} ({device.kind})"))
    if len(rows) == 1:
        click.echo("no serial ports found (add --config FILE to see configured devices)")
        return
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(f"{c:<{widths[i]}}" for i, c in enumerate(row[:3])) + "  " + row[3])


def describe(event: DeviceEvent) -> str:
    fields = {k: v for k, v in vars(event).items() if k not in ("device", "at")}
    text = " ".join(f"{k}={v}" for k, v in fields.items())
    return f"{event.at.astimezone():%H:%M:%S} {type(event).__name__} {text}".rstrip()


def _wait(events: EventQueue, kinds: tuple[type, ...], timeout: float) -> DeviceEvent | None:
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            event = events.get(timeout=left)
        except queue.Empty:
            return None
        click.echo(describe(event))
        if isinstance(event, kinds):
            return event
    return None


@devices.command()
@click.argument("name")
@CONFIG_OPTION
@click.option(
    "--seconds",
    default=15.0,
    show_default=True,
    help="How long to show live events (scan or swipe now).",
)
@click.option("--receipt/--no-receipt", default=True, help="Printers: print a test receipt.")
@click.option("--door/--no-door", default=True, help="Return units: open and close the door.")
@click.option(
    "--open-timeout", default=10.0, show_default=True, help="Seconds to wait for the port to open."
)
def test(
    name: str,
    config_file: str | None,
    seconds: float,
    receipt: bool,
    door: bool,
    open_timeout: float,
) -> None:
    """Open device NAME from the configuration and exercise it.

    Scanners and card readers show what they read for --seconds. Printers report their
    status and print a test receipt. Return units report their status, light the lamp and
    open and close the door (keep hands clear).
    """
    machine = _configured(config_file)
    if machine is None:
        raise ConfigError("give the machine configuration with --config FILE or KIOSK_CONFIG")
    if name not in machine.devices:
        known = ", ".join(machine.devices) or "none configured"
        raise ConfigError(f"no device {name!r} (devices: {known})", file=config_file)
    device_config = machine.devices[name]
    events = EventQueue()
    opened = OpenDevice(name, device_config, events.put)
    click.echo(f"{name}: {device_config.kind} on {opened.url}")
    with opened:
        if isinstance(device_config, PrinterConfig) and device_config.backend != "serial":
            connected = True
        else:
            # A DeviceLost first is not the end: the technician may be plugging it in.
            connected = _wait(events, (DeviceReady, DeviceBack), open_timeout) is not None
        if not connected:
            reason = getattr(opened.driver.link, "last_error", "") or "no answer"
            raise DeviceError("error.device.open", f"{name}: cannot open {opened.url}: {reason}")
        if isinstance(device_config, PrinterConfig):
            _test_printer(opened, events, receipt)
        elif isinstance(device_config, ReturnUnitConfig):
            _test_return_unit(opened, events, door)
        else:
            click.echo(f"listening for {seconds:g} s: scan or swipe now")
            _wait(events, (), seconds)
            driver = opened.driver
            click.echo(
                f"rejected frames: {driver.rejected}"
                + (f" (last: {driver.last_rejection})" if driver.rejected else "")
            )


def _test_printer(opened: OpenDevice, events: EventQueue, receipt: bool) -> None:
    from drivers.receipt import Receipt, ReceiptLine

    printer = opened.driver
    status = printer.poll()
    _wait(events, (PrinterStatusChanged,), 0.5)
    click.echo(
        f"status: {status.problem or 'ready'}"
        + (" (paper near end)" if status.paper_near_end else "")
    )
    if not receipt:
        return
    test_receipt = Receipt(
        library_name="Printer test",
        printed_at=datetime.now().astimezone(),
        card_number="0000000000000",
        heading="Test receipt",
        items=(
            ReceiptLine(
                "A test item with a rather long title to check shortening", "31234000012345"
            ),
        ),
    )
    result = printer.print_receipt(test_receipt).result(30)
    if not result.ok:
        raise DeviceError("error.device.print", f"{opened.name}: print failed: {result.reason}")
    click.echo("test receipt printed")


def _test_return_unit(opened: OpenDevice, events: EventQueue, door: bool) -> None:
    from drivers.returnunit import Lamp

    unit = opened.driver

    def run(future, what: str):  # type: ignore[no-untyped-def]
        result = future.result(30)
        if not result.ok:
            raise DeviceError(
                "error.device.command",
                f"{opened.name}: {what} failed: {result.code} {result.reason}",
            )
        return result

    status = run(unit.query_status(), "STATUS")
    click.echo("status: " + " ".join(f"{k}={v}" for k, v in status.fields.items()))
    run(unit.lamp(Lamp.AMBER, blink=True), "LAMP")
    if door:
        run(unit.open_door(), "DOOR OPEN")
        if _wait(events, (DoorOpened,), 15) is None:
            raise DeviceError("error.device.door", f"{opened.name}: door did not report open")
        run(unit.close_door(), "DOOR CLOSE")
        if _wait(events, (DoorClosed,), 15) is None:
            raise DeviceError("error.device.door", f"{opened.name}: door did not report closed")
    run(unit.lamp(Lamp.OFF), "LAMP")
    click.echo("return unit ok")
