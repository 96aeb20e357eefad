"""``kiosk policy check|explain|list``: validate and read a library's rules profile."""

from __future__ import annotations

import click

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
def explain(profile: str) -> None:
    """Print a profile's rules readably for a librarian."""
    click.echo(explain_profile(load_profile(profile)), nl=False)


@policy.command(name="list")
def list_() -> None:
    """List the profiles found by name."""
    for name in available_profiles():
        click.echo(name)
