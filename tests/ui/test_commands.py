"""`kiosk run` and `kiosk demo` refuse bad input with one clear line and a non-zero exit."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.cli import main


def test_run_with_a_malformed_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('machine_id = "k 1"\nlibrary = "hefei"\n[ui]\nidle_seconds = -5\n', "utf-8")
    code = main(["run", "--config", str(config)])
    err = capsys.readouterr().err
    assert code != 0
    assert "Traceback" not in err
    assert "machine_id" in err and "1 more" in err  # the first problem, and how many more


def test_run_without_central(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text('machine_id = "k1"\nlibrary = "hefei"\n', "utf-8")
    code = main(["run", "--config", str(config)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and "central" in err


def test_run_with_a_plain_text_technician_pin(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        'machine_id = "k1"\nlibrary = "hefei"\n[ui]\ntechnician_pin_hash = "2468"\n', "utf-8"
    )
    assert main(["run", "--config", str(config)]) != 0
    assert "argon2" in capsys.readouterr().err


def test_demo_with_an_unknown_library(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--library", "atlantis"]) != 0
    assert "atlantis" in capsys.readouterr().err


def test_demo_technician_pin_hash_matches_the_documented_pin() -> None:
    from kiosk.config.ui import UiSettings
    from kiosk.ui.demo import DEMO_TECHNICIAN_PIN, DEMO_TECHNICIAN_PIN_HASH

    settings = UiSettings(technician_pin_hash=DEMO_TECHNICIAN_PIN_HASH)
    assert settings.technician_pin_ok(DEMO_TECHNICIAN_PIN)
    assert not settings.technician_pin_ok("0000")
