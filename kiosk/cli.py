"""The ``kiosk`` command.

Each area registers its own click group from ``kiosk/commands/<area>.py``; this module only
wires them together and turns errors into one clear line and an exit code. Objects are
built here (or in the area's command module), never at import time elsewhere.
"""

from __future__ import annotations

import importlib
import logging
import sys
import traceback

import click

from kiosk import __version__
from kiosk.errors import KioskError

log = logging.getLogger("kiosk")

# (module under kiosk.commands, attribute holding the click command)
COMMAND_MODULES: tuple[tuple[str, str], ...] = (
    ("policy", "policy"),
    ("central", "central"),
    ("queue", "queue"),
    ("devices", "devices"),
    ("sim", "sim"),
    ("config", "config"),
    ("run", "run"),
    ("run", "demo"),
)


class KioskGroup(click.Group):
    """Loads each area's commands lazily so ``kiosk --help`` stays fast."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({name for _, name in COMMAND_MODULES if self._load(name) is not None})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self._load(cmd_name)

    @staticmethod
    def _load(cmd_name: str) -> click.Command | None:
        for module_name, attribute in COMMAND_MODULES:
            if attribute != cmd_name:
                continue
            try:
                module = importlib.import_module(f"kiosk.commands.{module_name}")
            except ModuleNotFoundError as exc:
                if exc.name == f"kiosk.commands.{module_name}":
                    return None
                raise
            command = getattr(module, attribute, None)
            if isinstance(command, click.Command):
                return command
        return None


@click.group(cls=KioskGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kiosk")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def cli(verbose: int) -> None:
    """Library self-service kiosk, return machine and central circulation store."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def main(argv: list[str] | None = None) -> int:
    """Entry point: never shows a traceback to a technician; logs it instead."""
    try:
        cli.main(args=argv, prog_name="kiosk", standalone_mode=False)
    except KioskError as error:
        click.echo(f"kiosk: {error}", err=True)
        return error.exit_code
    except click.exceptions.Abort:
        click.echo("kiosk: aborted", err=True)
        return 130
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.exceptions.Exit as exit_:
        return exit_.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        log.debug("unexpected error", exc_info=True)
        click.echo(f"kiosk: internal error: {type(error).__name__}: {error}", err=True)
        if "-vv" in (argv or sys.argv):
            traceback.print_exc()
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
