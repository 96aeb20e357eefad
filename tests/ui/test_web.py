"""`kiosk demo --web` in a real browser: headless Chromium (Debian's package) driven by
Playwright taps through a checkout on textual-serve's canvas and takes a screenshot.

The page draws the terminal on a canvas, so the test follows the app through the trace file
the demo writes (``KIOSK_UI_TRACE``: state and every button's cells) and clicks by
coordinates.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.ui.demo_data import pick_cast
from tests.ui.conftest import NOW, ROOT, template_for

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(os.environ.get("KIOSK_TEST_SHOTS", ""))
"""Where the browser screenshot is kept (default: the test's temporary directory)."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Trace:
    def __init__(self, path: Path) -> None:
        self.path = path

    def last(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        lines = self.path.read_text("utf-8").strip().splitlines()
        return json.loads(lines[-1]) if lines else None

    def wait(self, predicate, timeout: float = 30.0) -> dict[str, Any]:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            last = self.last()
            if last is not None and predicate(last):
                return last
            time.sleep(0.1)
        raise AssertionError(f"the kiosk did not get there; last trace: {self.last()}")


@pytest.fixture
def web_demo(templates, tmp_path_factory, tmp_path: Path):  # type: ignore[no-untyped-def]
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium")
    shutil.copy(
        template_for(templates, "hefei", tmp_path_factory.getbasetemp()), tmp_path / "central.db"
    )
    port = free_port()
    trace = tmp_path / "trace.jsonl"
    env = {**os.environ, "KIOSK_UI_TRACE": str(trace), "TZ": "UTC"}
    command = [sys.executable, "-m", "kiosk.cli", "demo", "--web", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--data-dir", str(tmp_path), "--now", NOW["hefei"]]
    server = subprocess.Popen(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            output = server.stdout.read().decode() if server.stdout else ""
            server.kill()
            pytest.fail(f"kiosk demo --web did not start: {output[-2000:]}")
        time.sleep(0.2)
    yield url, Trace(trace), Path(os.environ["KIOSK_TEST_SHOTS"]) if str(SHOTS) != "." else tmp_path
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()


def test_checkout_in_a_browser(web_demo) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    url, trace, folder = web_demo
    cast = pick_cast("hefei")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True)
        page = context.new_page()
        page.goto(url)
        first = trace.wait(lambda t: t["screen"] == "WelcomeScreen" and "lang-en" in t["buttons"])
        html = page.content()
        assert "googleapis" not in html  # our own template: no font from the internet

        def tap(button: str, state: dict[str, Any]) -> None:
            box = page.locator(".xterm-screen").bounding_box()
            assert box is not None
            columns, rows = state["size"]
            x, y, width, height = state["buttons"][button]
            px = box["x"] + (x + width / 2) * box["width"] / columns
            py = box["y"] + (y + height / 2) * box["height"] / rows
            page.mouse.click(px, py)

        # English on the welcome screen (this machine may lack CJK fonts for the patron's
        # own language, Chinese), then the borrower's card through the simulated reader.
        tap("lang-en", first)
        time.sleep(0.5)
        tap("demo-card-0", first)
        state = trace.wait(lambda t: t["state"] == "pin" and "pin-ok" in t["buttons"])
        for digit in cast.borrower_pin:
            tap(f"pin-{digit}", state)
            time.sleep(0.05)
        tap("pin-ok", state)
        state = trace.wait(lambda t: t["state"] == "items" and "demo-item-0" in t["buttons"])
        tap("demo-item-0", state)
        state = trace.wait(lambda t: t["rows"] == 1)
        tap("demo-item-1", state)
        state = trace.wait(lambda t: t["rows"] == 2)
        time.sleep(0.5)
        shot = folder / "web-checkout.png"
        try:
            page.screenshot(path=str(shot), timeout=15000)
        except Exception:  # headless Chromium can stall waiting for fonts: ask it directly
            session = context.new_cdp_session(page)
            data = session.send("Page.captureScreenshot", {"format": "png"})["data"]
            shot.write_bytes(base64.b64decode(data))
        assert shot.stat().st_size > 10_000
        state = trace.wait(lambda t: "finish" in t["buttons"])
        tap("finish", state)
        state = trace.wait(lambda t: t["state"] == "finish" and "receipt-none" in t["buttons"])
        tap("receipt-none", state)
        trace.wait(lambda t: t["state"] in ("goodbye", "idle"))
        browser.close()
