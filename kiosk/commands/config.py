"""``kiosk config validate|show``: check a machine configuration file."""

from __future__ import annotations

import click

from kiosk.config import read_config
from kiosk.errors import ConfigError


@click.group()
def config() -> None:
    """Machine configuration files (see config/kiosk.example.toml)."""


@config.command()
@click.argument("file", type=click.Path(dir_okay=False))
def validate(file: str) -> None:
    """Check FILE and list every problem as: file[:line]  key  message.

    Environment overrides (KIOSK_…) are applied as they would be at start-up; a problem
    coming from one names the variable instead of the file. Exits 2 if anything is wrong.
    """
    loaded, problems = read_config(file)
    if loaded is not None:
        devices = ", ".join(f"{n} ({d.kind})" for n, d in loaded.devices.items()) or "none"
        click.echo(
            f"{file}: ok: machine {loaded.machine_id}, library {loaded.library}, "
            f"mode {loaded.mode.value}, devices: {devices}"
        )
        return
    rows = [(f"{p.file}:{p.line}" if p.line else p.file, p.key or "-", p.message) for p in problems]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    for where, key, message in rows:
        click.echo(f"{where:<{widths[0]}}  {key:<{widths[1]}}  {message}")
    count = len(problems)
    raise ConfigError(
        f"{count} problem{'s' if count != 1 else ''} found",
        file=file,
        message_key="error.config.invalid",
    )


@config.command()
@click.argument("file", type=click.Path(dir_okay=False))
def show(file: str) -> None:
    """Print the effective configuration (file plus KIOSK_… overrides) as JSON."""
    from kiosk.config import load_config

    click.echo(load_config(file).model_dump_json(indent=2))
