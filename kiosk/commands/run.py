"""``kiosk run`` (a real machine) and ``kiosk demo`` (the whole system in one process)."""

from __future__ import annotations

import os
import shlex
import sys
import tempfile
from pathlib import Path

import click

from kiosk.errors import ConfigError

LIBRARY_CHOICES = ("hefei", "hamburg", "sanjose")
WEB_TEMPLATES = Path(__file__).resolve().parents[1] / "ui" / "web"


@click.command()
@click.option(
    "--library",
    type=click.Choice(LIBRARY_CHOICES),
    default="hefei",
    show_default=True,
    help="Which library's rules and demo data to run.",
)
@click.option(
    "--mode",
    type=click.Choice(("checkout", "both", "return")),
    default="checkout",
    show_default=True,
    help="checkout (self-checkout kiosk), both (it also takes returns), or return (the 24-hour "
    "return machine with its belt and bins).",
)
@click.option("--web", is_flag=True, help="Serve the kiosk to a browser with textual-serve.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address for --web.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port for --web.")
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo's central store here (default: a new temporary directory).",
)
@click.option("--now", default=None, help="Pin the demo clock (ISO 8601); it ticks on from there.")
@click.option("--no-devices", is_flag=True, help="No simulated serial devices (panel posts scans).")
def demo(
    library: str,
    mode: str,
    web: bool,
    host: str,
    port: int,
    data_dir: Path | None,
    now: str | None,
    no_devices: bool,
) -> None:
    """Run the self-checkout kiosk with an embedded central store and simulated devices.

    Tap the cards and items on the right-hand panel to "scan" them; the technician PIN is
    2468 (the ⚙ button on the welcome screen).
    """
    if mode == "return" and not web:
        from kiosk.ui.screens.return_app import run_return_demo

        run_return_demo(library, data_dir=data_dir, now=now)
        return
    if web:
        _serve_web(library, mode, host, port, data_dir, now)
        return
    from kiosk.session import Mode
    from kiosk.ui.demo import build_demo

    trace = os.environ.get("KIOSK_UI_TRACE")  # browser tests follow the screen through it
    machine = build_demo(
        library,
        data_dir=data_dir,
        now=now,
        devices=not no_devices,
        trace=Path(trace) if trace else None,
        mode=Mode(mode),
    )
    try:
        assert machine.app is not None
        machine.app.run()
    finally:
        machine.close()


def _serve_web(
    library: str, mode: str, host: str, port: int, data_dir: Path | None, now: str | None
) -> None:
    """Every browser session runs its own ``kiosk demo`` over one shared central store."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"kiosk: serving the demo on {host}: anyone who can reach it can use it", err=True
        )
    try:
        from textual_serve.server import Server
    except ImportError as error:  # pragma: no cover - a dependency of the package
        raise ConfigError(
            "kiosk demo --web needs textual-serve: pip install textual-serve"
        ) from error
    from kiosk.ui.demo import build_demo

    data_dir = data_dir or Path(tempfile.mkdtemp(prefix=f"kiosk-web-{library}-"))
    # Load the store once here, so each browser session starts at once.
    build_demo(library, data_dir=data_dir, now=now, devices=False).close()
    parts = [sys.executable, "-m", "kiosk.cli", "demo", "--library", library, "--mode", mode]
    parts += ["--data-dir", str(data_dir)]
    if now:
        parts += ["--now", now]
    server = Server(
        shlex.join(parts),
        host=host,
        port=port,
        title="Library kiosk demo",
        templates_path=WEB_TEMPLATES,
    )
    click.echo(f"kiosk demo ({library}) at http://{host}:{port}")
    server.serve()


@click.command()
@click.option(
    "--config",
    "config_file",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The machine's configuration (TOML).",
)
@click.option("--now", default=None, help="Pin the clock (ISO 8601); it ticks on from there.")
def run(config_file: Path, now: str | None) -> None:
    """Run the kiosk on this machine's real devices (``sim:`` devices get simulators)."""
    from kiosk.config import load_config

    config = load_config(config_file)
    if config.mode.value == "return" and config.devices_of_kind("return_unit"):
        from kiosk.ui.screens.return_app import run_return_machine

        run_return_machine(config_file, now=now, language=config.ui.language)
        return
    from kiosk.ui.machine import run_machine

    run_machine(config_file, now=now)
