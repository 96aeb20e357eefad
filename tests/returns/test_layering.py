"""The return-machine controller is headless: importing it loads no UI toolkit."""

from __future__ import annotations

import subprocess
import sys


def test_importing_the_controller_and_demo_wiring_loads_no_textual() -> None:
    code = (
        "import sys, kiosk.returns, kiosk.returns.demo, kiosk.returns.outbox_checkin; "
        "print(sorted(m for m in sys.modules if m == 'textual' or m.startswith('kiosk.ui')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
