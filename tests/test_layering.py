"""The layers point inward: headless modules never load the UI toolkit or the web framework."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEADLESS = ["kiosk.domain", "kiosk.policy", "drivers"]


@pytest.mark.parametrize("module", HEADLESS)
def test_headless_module_does_not_load_ui_or_server(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in ('textual', 'fastapi', 'kiosk.ui', 'kiosk.central') "
        "if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{module} loaded {result.stdout.strip()}"


def test_drivers_never_import_kiosk() -> None:
    code = (
        "import sys, pkgutil, importlib, drivers\n"
        "for m in pkgutil.walk_packages(drivers.__path__, 'drivers.'):\n"
        "    importlib.import_module(m.name)\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'kiosk')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
