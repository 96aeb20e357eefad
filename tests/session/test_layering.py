"""The session and its backend protocol stay headless: no Textual, no web framework, no
central store (the adapters that reach central live in kiosk.backend_*)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["kiosk.session", "kiosk.backend"])
def test_session_layer_is_headless(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "bad = sorted(m for m in ('textual', 'fastapi', 'kiosk.ui', 'kiosk.central', "
        "'sqlalchemy') if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
