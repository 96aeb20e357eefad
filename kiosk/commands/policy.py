"""``kiosk policy check|explain|list``: validate and read a library's rules profile."""

from __future__ import annotations

from datetime import date

import click

from kiosk.errors import ConfigError
from kiosk.policy import available_profiles, load_profile
from kiosk.policy.explain import explain as explain_profile


@click.group()
def policy() -> None:
    """Library rules profiles (config/policies/*.toml)."""


@policy.command()
@click.argument("profile", metavar="FILE|NAME")
def check(profile: str) -> None:
    """Validate a profile; a bad one exits 2 with one line naming the file, key and problem."""
    loaded = load_profile(profile)
    click.echo(f"{profile}: ok ({loaded.library_name}, version {loaded.version})")


@policy.command()
@click.argument("profile", metavar="FILE|NAME")
@click.option(
    "--on",
    "on",
    metavar="YYYY-MM-DD",
    help="Only the rules in force on this day (default: every dated rule set).",
)
def explain(profile: str, on: str | None) -> None:
    """Print a profile's rules readably for a librarian."""
    day = None
    if on is not None:
        try:
            day = date.fromisoformat(on)
        except ValueError as exc:
            raise ConfigError(f"not a date (YYYY-MM-DD): {on!r}", key="--on") from exc
    click.echo(explain_profile(load_profile(profile), day), nl=False)


@policy.command(name="list")
def list_() -> None:
    """List the profiles found by name."""
    for name in available_profiles():
        click.echo(name)
