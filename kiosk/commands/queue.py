"""``kiosk queue status|retry ID|report [--csv]``: the technician's view of the local queue."""

from __future__ import annotations

from pathlib import Path

import click

from kiosk.errors import QueueError

_QUEUE_HELP = "The queue file (default: [outbox] path of --config)."


def _options(f):  # type: ignore[no-untyped-def]
    f = click.option("--queue", "queue_file", type=click.Path(dir_okay=False), help=_QUEUE_HELP)(f)
    return click.option(
        "--config",
        "config_file",
        envvar="KIOSK_CONFIG",
        type=click.Path(dir_okay=False),
        help="Machine configuration (or KIOSK_CONFIG).",
    )(f)


def _open(config_file: str | None, queue_file: str | None):  # type: ignore[no-untyped-def]
    from kiosk.outbox import Outbox

    machine_id = "unknown"
    if queue_file is None:
        if config_file is None:
            raise QueueError(
                "queue.no_file", "say which queue: --queue FILE or --config FILE (KIOSK_CONFIG)"
            )
        from kiosk.config import load_config

        config = load_config(config_file)
        queue_file, machine_id = str(config.outbox.path), config.machine_id
    path = Path(queue_file)
    if not path.is_file():
        raise QueueError("queue.no_file", f"no queue file at {path}", path=str(path))
    return Outbox(path, machine_id, min_free_bytes=0)


@click.group()
def queue() -> None:
    """The machine's local transaction queue: status, retry, report."""


@queue.command()
@_options
def status(config_file: str | None, queue_file: str | None) -> None:
    """Depth, oldest waiting, last delivery and error, counts by state, offline cache age."""
    from kiosk.outbox.offline import OfflineCache
    from kiosk.outbox.report import status_lines

    with _open(config_file, queue_file) as box:
        for line in status_lines(box.status(), OfflineCache(box).ages()):
            click.echo(line)


@queue.command()
@click.argument("seq", type=int, metavar="ID")
@_options
def retry(seq: int, config_file: str | None, queue_file: str | None) -> None:
    """Send transaction ID again (one central would not accept; see `kiosk queue report`)."""
    with _open(config_file, queue_file) as box:
        row = box.retry(seq)
    click.echo(f"transaction {row.seq} ({row.kind}) queued again; the forwarder sends it next")


@queue.command()
@click.option("--csv", "as_csv", is_flag=True, help="CSV for a spreadsheet instead of a table.")
@_options
def report(as_csv: bool, config_file: str | None, queue_file: str | None) -> None:
    """Refused and exception transactions with their reasons in plain words."""
    from kiosk.outbox import report as reporting

    with _open(config_file, queue_file) as box:
        rows = reporting.report_rows(box.report())
    click.echo(reporting.as_csv(rows) if as_csv else reporting.as_table(rows), nl=not as_csv)
