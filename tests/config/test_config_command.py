"""``kiosk config validate|show`` as a technician runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.config.test_config import BAD

ROOT = Path(__file__).resolve().parents[2]


def kiosk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**clean, **(env or {})},
    )


def test_validate_the_example() -> None:
    result = kiosk("config", "validate", "config/kiosk.example.toml")
    assert result.returncode == 0, result.stderr
    assert "ok: machine hefei-main-01" in result.stdout


def test_validate_lists_every_problem_then_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(BAD, encoding="utf-8")
    result = kiosk("config", "validate", str(path))
    assert result.returncode == 2
    rows = result.stdout.splitlines()
    assert len(rows) == 11
    assert any(f"{path}:8" in r and "devices.scanner.baudrate" in r for r in rows)
    assert result.stderr.strip() == f"kiosk: {path}: 11 problems found"


def test_validate_names_a_bad_environment_variable() -> None:
    result = kiosk(
        "config", "validate", "config/kiosk.example.toml", env={"KIOSK_MODE": "sometimes"}
    )
    assert result.returncode == 2
    assert "$KIOSK_MODE" in result.stdout and "mode" in result.stdout


def test_show_applies_overrides() -> None:
    result = kiosk(
        "config",
        "show",
        "config/kiosk.example.toml",
        env={"KIOSK_DEVICES__SCANNER__BAUDRATE": "19200"},
    )
    assert result.returncode == 0, result.stderr
    assert '"baudrate": 19200' in result.stdout


def test_missing_file_is_one_line() -> None:
    result = kiosk("config", "validate", "nope.toml")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "nope.toml" in result.stdout + result.stderr
