"""``kiosk sim scanner|card|printer|return-unit``: simulated devices for rehearsal and tests.

Each simulator sits on the device end of a line. ``--port PATH`` where PATH does not exist
makes a new pty and a symlink at PATH for the kiosk to open (put PATH in the configuration);
an existing port or pyserial URL (a null-modem cable, a socat end, socket://…) is used as is.
"""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable

import click

from drivers.framing import Terminator
from drivers.sim.base import Simulator
from drivers.sim.port import PtyPort, device_port
from drivers.sim.scenario import ScenarioError, Step, load_scenario, run_steps
from kiosk.errors import ConfigError, DeviceError


def _common(function):  # type: ignore[no-untyped-def]
    options = [
        click.option(
            "--port",
            "port_spec",
            metavar="PATH|URL",
            help="Where the kiosk connects (a new pty linked here if it does not exist).",
        ),
        click.option(
            "--scenario",
            type=click.Path(exists=True, dir_okay=False),
            help="A TOML scenario file of [[step]] actions.",
        ),
        click.option("--slow", type=float, default=0.0, help="Delay every reply (seconds)."),
        click.option("--garbage", type=int, default=0, help="Send N random bytes first."),
        click.option(
            "--baud",
            type=int,
            default=None,
            help="Pace output at this line speed (default: as fast as the pty).",
        ),
        click.option(
            "--hold",
            type=float,
            default=None,
            help="Seconds to stay up after the actions (default: until Ctrl-C if "
            "there are none, else 1).",
        ),
    ]
    options.append(
        click.option(
            "--wait",
            type=float,
            default=60.0,
            show_default=True,
            expose_value=False,
            callback=lambda ctx, _param, value: ctx.meta.__setitem__("sim_wait", value),
            help="On a new pty, wait up to this many seconds for the kiosk to open it before "
            "acting (bytes sent earlier are lost); 0 to act at once.",
        )
    )
    for option in reversed(options):
        function = option(function)
    return function


def _open(spec: str | None):  # type: ignore[no-untyped-def]
    try:
        return device_port(spec)
    except (OSError, ValueError) as exc:
        raise DeviceError("error.device.open", f"cannot open {spec}: {exc}") from exc


def _run(
    sim: Simulator,
    actions: list[Step],
    scenario: str | None,
    garbage: int,
    slow: float,
    hold: float | None,
    then: Callable[[], None] | None = None,
) -> None:
    steps = list(actions)
    if scenario:
        try:
            steps += load_scenario(scenario, sim.ACTIONS)
        except ScenarioError as exc:
            raise ConfigError(str(exc), message_key="error.config.scenario") from exc
    if slow:
        sim.slow(slow)
    click.echo(f"{type(sim).__name__}: connect the kiosk to {sim.path}", err=True)
    with sim:
        wait = click.get_current_context().meta.get("sim_wait", 0.0)
        if wait and (steps or garbage or then) and isinstance(sim.port, PtyPort):
            click.echo(f"waiting up to {wait:g} s for the kiosk to open {sim.path}", err=True)
            if not sim.port.wait_opened(wait):
                raise DeviceError(
                    "error.device.sim_unopened",
                    f"nothing opened {sim.path} within {wait:g} s (use --wait 0 to send anyway)",
                )
        if garbage:
            sim.garbage(garbage)
        try:
            run_steps(
                sim,
                steps,
                on_step=lambda s: click.echo(
                    f"> {s.action} {' '.join(f'{k}={v}' for k, v in s.params.items())}", err=True
                ),
            )
        except ScenarioError as exc:
            raise ConfigError(str(exc), message_key="error.config.scenario") from exc
        if then is not None:
            then()
        if hold is None:
            hold = 1.0 if steps or garbage or then else float("inf")
        _hold(hold)


def _hold(seconds: float) -> None:
    stop = threading.Event()
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait(None if seconds == float("inf") else seconds)


@click.group()
def sim() -> None:
    """Simulated devices that speak the real devices' bytes."""


@sim.command()
@_common
@click.option("--scan", "codes", multiple=True, metavar="CODE", help="Scan CODE (repeatable).")
@click.option("--aim", default=None, help="AIM identifier before each code, e.g. ]F0.")
@click.option(
    "--terminator",
    type=click.Choice([t.value for t in Terminator]),
    default="cr",
    show_default=True,
)
@click.option(
    "--interval", type=float, default=0.3, show_default=True, help="Seconds between scans."
)
@click.option("--stdin", "from_stdin", is_flag=True, help="Scan each line read from stdin.")
def scanner(
    port_spec, scenario, slow, garbage, baud, hold, codes, aim, terminator, interval, from_stdin
) -> None:  # type: ignore[no-untyped-def]
    """A barcode scanner: kiosk sim scanner --port /tmp/scanner --scan 31234000012345."""
    from drivers.sim.scanner import ScannerSim

    device = ScannerSim(_open(port_spec), terminator=Terminator(terminator), aim=aim, baudrate=baud)
    steps = [
        Step("scan", {"code": code}, after=interval if i else 0.2) for i, code in enumerate(codes)
    ]

    def scan_stdin() -> None:
        for line in sys.stdin:
            if line.strip():
                device.scan(line.strip())

    _run(device, steps, scenario, garbage, slow, hold, scan_stdin if from_stdin else None)


@sim.command()
@_common
@click.option(
    "--swipe",
    "cards",
    multiple=True,
    metavar="NUMBER",
    help="Swipe a magnetic stripe card (track 2).",
)
@click.option("--interval", type=float, default=0.5, show_default=True)
def card(port_spec, scenario, slow, garbage, baud, hold, cards, interval) -> None:  # type: ignore[no-untyped-def]
    """A magnetic stripe reader: kiosk sim card --port /tmp/card --swipe 21234000012345."""
    from drivers.sim.scanner import ScannerSim

    device = ScannerSim(_open(port_spec), baudrate=baud)
    steps = [Step("swipe", {"card": c}, after=interval if i else 0.2) for i, c in enumerate(cards)]
    _run(device, steps, scenario, garbage, slow, hold)


@sim.command()
@_common
@click.option("--paper-out", is_flag=True, help="Start with no paper.")
@click.option("--near-end", is_flag=True, help="Start with the paper near its end.")
@click.option("--cover-open", is_flag=True, help="Start with the cover open.")
def printer(
    port_spec, scenario, slow, garbage, baud, hold, paper_out, near_end, cover_open
) -> None:  # type: ignore[no-untyped-def]
    """An ESC/POS receipt printer; what it prints appears on stdout."""
    from drivers.sim.printer import PrinterSim, printable_text

    class EchoingPrinter(PrinterSim):
        def on_bytes(self, data: bytes) -> None:
            before = len(self.printed)
            super().on_bytes(data)
            if len(self.printed) > before:
                click.echo(printable_text(bytes(self.printed[before:])), nl=False)

    device = EchoingPrinter(_open(port_spec), baudrate=baud)
    if paper_out:
        device.paper_out()
    if near_end:
        device.paper_near_end()
    if cover_open:
        device.cover_open()
    _run(device, [], scenario, garbage, slow, hold)


@sim.command(name="return-unit")
@_common
@click.option(
    "--cycle-time",
    type=float,
    default=2.0,
    show_default=True,
    help="Seconds from belt start to the item dropping into its bin.",
)
@click.option("--bins", type=click.IntRange(1, 32), default=3, show_default=True)
@click.option("--bin-capacity", type=click.IntRange(1), default=40, show_default=True)
def return_unit(
    port_spec, scenario, slow, garbage, baud, hold, cycle_time, bins, bin_capacity
) -> None:  # type: ignore[no-untyped-def]
    """The return machine's I/O board with door, belt, photo-eyes, diverter and bins.

    Faults from a scenario: jam, bin_full, obstruct, estop, drop_acks, slow, garbage,
    unplug, replug, power_cycle (see docs/return-unit-protocol.md).
    """
    from drivers.sim.returnunit import ReturnUnitSim

    class LoggingBoard(ReturnUnitSim):
        def _line(self, line: str) -> None:
            click.echo(f"< {line}")
            super()._line(line)

        def event(self, text: str) -> None:
            click.echo(f"! {text}")
            super().event(text)

    device = LoggingBoard(
        _open(port_spec),
        bins=bins,
        bin_capacity=bin_capacity,
        cycle_time=cycle_time,
        baudrate=baud,
        hello=True,
    )
    _run(device, [], scenario, garbage, slow, hold)
