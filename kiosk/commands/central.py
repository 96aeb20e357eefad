"""``kiosk central …``: load data, serve the HTTP API, add machines, run the daily jobs."""

from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.clock import clock_from, local_date, parse_instant
from kiosk.errors import ConfigError

DB_HELP = "Database URL: sqlite:///central.db or postgresql+psycopg://user@host/db."
DEFAULT_DB = "sqlite:///var/central.db"


def _db_option(f):
    return click.option(
        "--db",
        "db",
        default=lambda: os.environ.get("KIOSK_CENTRAL_DB", DEFAULT_DB),
        show_default="$KIOSK_CENTRAL_DB or " + DEFAULT_DB,
        help=DB_HELP,
    )(f)


def _now_option(f):
    return click.option("--now", default=None, help="Pin the clock (ISO 8601); or KIOSK_NOW.")(f)


@click.group()
def central() -> None:
    """The central circulation store."""


@central.command()
@_db_option
def migrate(db: str) -> None:
    """Create or upgrade the database schema (Alembic) to the newest version."""
    from kiosk.central.db import current_revision, make_engine
    from kiosk.central.db import migrate as run_migrate

    engine = make_engine(db)
    try:
        run_migrate(engine)
        click.echo(f"schema at {current_revision(engine)}")
    finally:
        engine.dispose()


@central.command()
@click.argument("fixture", type=click.Path(path_type=Path))
@_db_option
@click.option("--policy", default=None, help="Profile name or file (default: the fixture's).")
def load(fixture: Path, db: str, policy: str | None) -> None:
    """Load FIXTURE (TOML) into the store: all or nothing."""
    from kiosk.central import open_central
    from kiosk.central.security import PinHasher
    from kiosk.central.services import load_fixture
    from kiosk.central.services.loading import profile_for

    central = open_central(db)
    try:
        profile = profile_for(policy) if policy else None
        report = load_fixture(fixture, central.sessions, PinHasher(central.settings), profile)
        click.echo(report.line(fixture))
    finally:
        central.dispose()


@central.command("add-machine")
@click.argument("name")
@_db_option
def add_machine(name: str, db: str) -> None:
    """Create a machine account; its secret is the last line printed (shown only once)."""
    from kiosk.central import open_central

    central = open_central(db, clock=clock_from(None))
    try:
        from kiosk.central.services import CirculationService

        # Machines do not depend on the library's profile: build the service without one.
        secret = CirculationService.add_machine_to(central.sessions, name, central.clock.now())
    finally:
        central.dispose()
    click.echo(f"machine {name!r} created; its secret follows (store it on the machine):")
    click.echo(secret)


def _parse_hostport(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"not HOST:PORT: {value!r}", key="--http")
    return host.strip("[]"), int(port)


@central.command()
@_db_option
@click.option("--http", "http", default="127.0.0.1:8700", show_default=True, help="HOST:PORT")
@click.option("--sip2", "sip2", default=None, help="HOST:PORT for the SIP2 server (optional).")
@click.option("--policy", default=None, help="Profile name or file (default: the fixture's).")
@click.option("--access-log/--no-access-log", default=False, help="Log each request's path.")
@_now_option
def serve(
    db: str, http: str, sip2: str | None, policy: str | None, access_log: bool, now: str | None
) -> None:
    """Serve the HTTP API (and SIP2 when asked) until stopped."""
    import uvicorn

    from kiosk.central import open_central
    from kiosk.central.api import create_app

    host, port = _parse_hostport(http)
    central = open_central(db, policy=policy, clock=clock_from(now, running=True))
    _ = central.profile  # fail now, with one line, when there is no library or profile
    app = create_app(central)
    if sip2:
        _start_sip2(central, sip2)
    click.echo(f"central serving {central.profile.library_name} on http://{host}:{port}")
    uvicorn.run(app, host=host, port=port, access_log=access_log, log_level="warning")


def _start_sip2(central: object, address: str) -> None:
    try:
        from kiosk.sip2 import server as sip2_server  # written by the SIP2 area
    except ImportError as exc:
        raise ConfigError("the SIP2 server is not available in this build", key="--sip2") from exc
    start = getattr(sip2_server, "start_in_thread", None)
    if start is None:
        raise ConfigError("the SIP2 server has no start_in_thread()", key="--sip2")
    start(central, address)


@central.command()
@_db_option
@_now_option
@click.option("--policy", default=None, help="Profile name or file (default: the fixture's).")
@click.option(
    "--mail-dir",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder for the .eml files of notices (default var/mail or KIOSK_CENTRAL__MAIL_DIR).",
)
def tick(db: str, now: str | None, policy: str | None, mail_dir: Path | None) -> None:
    """Run the daily jobs for the day of --now (idempotent for a given date).

    Days missed since the last run (up to 62) are run first, in order.
    """
    from kiosk.central import open_central
    from kiosk.central.notices import EmlFolderMailer, send_pending

    central = open_central(db, policy=policy, clock=clock_from(now))
    try:
        profile = central.profile
        instant = parse_instant(now, profile.zone) if now else central.clock.now()
        day = local_date(instant, profile.zone)
        for report in central.jobs().catch_up(day, profile.library_name):
            for line in report.lines():
                click.echo(line)
        folder = mail_dir or central.settings.mail_dir
        sent = send_pending(
            central.sessions, EmlFolderMailer(folder), central.settings.mail_from, instant
        )
        click.echo(f"  mail: {sent} notices written to {folder}")
    finally:
        central.dispose()
