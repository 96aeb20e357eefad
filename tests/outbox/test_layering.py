"""The outbox is headless: loading it never loads the UI toolkit, the web framework or central."""

from __future__ import annotations

import subprocess
import sys


def test_outbox_loads_no_ui_server_or_central() -> None:
    code = (
        "import sys, pkgutil, importlib, kiosk.outbox\n"
        "for m in pkgutil.walk_packages(kiosk.outbox.__path__, 'kiosk.outbox.'):\n"
        "    importlib.import_module(m.name)\n"
        "import kiosk.commands.queue\n"
        "bad = sorted(m for m in ('textual', 'fastapi', 'uvicorn', 'kiosk.ui', 'kiosk.central')"
        " if m in sys.modules)\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
