from __future__ import annotations

import subprocess
import sys


def run_kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_help_lists_commands() -> None:
    result = run_kiosk("--help")
    assert result.returncode == 0
    assert "Usage: kiosk" in result.stdout


def test_unknown_command_is_one_clear_line_not_a_traceback() -> None:
    result = run_kiosk("no-such-command")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "no-such-command" in result.stderr
