"""`kiosk run` wiring against a real central HTTP server started here: login over HTTP,
checkouts through the outbox and HttpTarget, simulated (`sim:`) devices from the config."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from kiosk.config import load_config
from kiosk.session import State
from kiosk.ui.demo_data import pick_cast
from kiosk.ui.machine import build_machine
from tests.ui.conftest import NOW, ROOT, SIZE, template_for
from tests.ui.helpers import enter_pin, settle
from tests.ui.test_web import free_port


@pytest.fixture
def central_http(templates, tmp_path_factory, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A real ``kiosk central serve``; its e-mails go to ``tmp_path / "mail"``."""
    db = tmp_path / "central.db"
    shutil.copy(template_for(templates, "hefei", tmp_path_factory.getbasetemp()), db)
    url = f"sqlite:///{db}"
    kiosk = [sys.executable, "-m", "kiosk.cli"]
    added = subprocess.run(
        [*kiosk, "central", "add-machine", "kiosk-7", "--db", url],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    secret = added.stdout.strip().splitlines()[-1]
    port = free_port()
    server = subprocess.Popen(
        [
            *kiosk,
            "central",
            "serve",
            "--db",
            url,
            "--http",
            f"127.0.0.1:{port}",
            "--now",
            NOW["hefei"],
        ],
        cwd=ROOT,
        env={**os.environ, "KIOSK_CENTRAL__MAIL_DIR": str(tmp_path / "mail")},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "central did not start"
        time.sleep(0.2)
    yield base, secret
    server.terminate()
    server.wait(10)


async def test_kiosk_run_checkout_over_http(central_http, tmp_path: Path) -> None:
    base, secret = central_http
    config_file = tmp_path / "kiosk.toml"
    config_file.write_text(
        f'''machine_id = "kiosk-7"
library = "hefei"
mode = "checkout"

[central]
url = "{base}"
secret = "{secret}"

[outbox]
path = "{tmp_path / "queue.db"}"

[devices.scanner]
kind = "scanner"
url = "sim:"

[devices.printer]
kind = "printer"
url = "sim:"

[ui]
bell = false
''',
        "utf-8",
    )
    machine = build_machine(load_config(config_file), now=NOW["hefei"])
    cast = pick_cast("hefei")
    app = machine.app
    scanner = next(d for d in machine.devices if d.name == "scanner")
    try:
        for device in machine.devices:
            device.start()
        machine.queue.forwarder.start()
        async with app.run_test(size=SIZE) as pilot:
            scanner.simulator.scan(cast.borrower)  # a card scanned as a barcode
            deadline = time.monotonic() + 15
            while app.session.state is not State.PIN:
                assert time.monotonic() < deadline
                await pilot.pause(0.05)
            await settle(pilot, app)  # the PIN pad is on screen
            await enter_pin(pilot, app, cast.borrower_pin)
            assert app.session.state is State.ITEMS
            scanner.simulator.scan(cast.available[2])
            while not app.session.rows:
                assert time.monotonic() < deadline
                await pilot.pause(0.05)
            await settle(pilot, app)
            row = app.session.rows[0]
            assert row.ok and not row.offline and row.due is not None
            assert row.title == cast.titles[cast.available[2]]
            # An e-mailed receipt: central sends it to the address on file, which the
            # machine never sees (the login answer only says that there is one).
            assert app.session.patron is not None and app.session.patron.has_email
            await pilot.click("#finish")
            await settle(pilot, app)
            await pilot.click("#receipt-email")
            await settle(pilot, app)
            assert app.session.state is State.GOODBYE
            mails = sorted((tmp_path / "mail").glob("*-receipt.eml"))
            while not mails:
                assert time.monotonic() < deadline + 15, "central wrote no receipt"
                await pilot.pause(0.1)
                mails = sorted((tmp_path / "mail").glob("*-receipt.eml"))
            text = mails[0].read_text("utf-8")
            assert "To: patron" in text and cast.available[2] in text
    finally:
        machine.close()
    # central has the loan, applied from the outbox's transaction
    account = httpx.post(
        f"{base}/v1/patrons/login",
        json={"card": cast.borrower, "pin": cast.borrower_pin},
        headers={"Authorization": f"Bearer {secret}", "X-Kiosk-Machine": "kiosk-7"},
    )
    assert account.status_code == 200
