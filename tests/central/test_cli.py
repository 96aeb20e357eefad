"""``kiosk central …`` as a technician runs it: real processes, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .conftest import REPO
from .server import free_port

ENV = {
    **os.environ,
    "KIOSK_CENTRAL__ARGON2_TIME_COST": "1",
    "KIOSK_CENTRAL__ARGON2_MEMORY_KIB": "1024",
}


def kiosk(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", "central", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=ENV,
    )


def test_load_add_machine_tick_and_serve(backend, tmp_path: Path) -> None:
    db = backend.cli_url
    migrated = kiosk("migrate", "--db", db, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    loaded = kiosk("load", str(REPO / "config/demo/sanjose.toml"), "--db", db, cwd=tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert "40 patrons, 300 items" in loaded.stdout
    again = kiosk("load", str(REPO / "config/demo/sanjose.toml"), "--db", db, cwd=tmp_path)
    assert again.returncode == 2 and "Traceback" not in again.stderr
    assert "already in the store" in again.stderr

    added = kiosk("add-machine", "kiosk-7", "--db", db, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip().splitlines()[-1]
    assert len(secret) >= 40 and " " not in secret

    ticked = kiosk(
        "tick",
        "--now",
        "2026-11-24",
        "--db",
        db,
        "--mail-dir",
        str(tmp_path / "mail"),
        cwd=tmp_path,
    )
    assert ticked.returncode == 0, ticked.stderr
    assert "tick 2026-11-24:" in ticked.stdout and "auto_renew:" in ticked.stdout
    repeat = kiosk("tick", "--now", "2026-11-24", "--db", db, cwd=tmp_path)
    assert "already done for this date" in repeat.stdout

    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk.cli",
            "central",
            "serve",
            "--db",
            db,
            "--http",
            f"127.0.0.1:{port}",
            "--now",
            "2026-11-24T10:00:00Z",
        ],
        cwd=tmp_path,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/health", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {secret}", "X-Kiosk-Machine": "kiosk-7"}
        policy = httpx.get(f"{base}/v1/policy", headers=headers, timeout=10)
        assert policy.status_code == 200 and policy.json()["name"] == "sanjose"
        bad = httpx.get(f"{base}/v1/policy", headers={**headers, "X-Kiosk-Machine": "other"})
        assert bad.status_code == 401
    finally:
        server.terminate()
        out, err = server.communicate(timeout=20)
    assert secret not in out + err


def test_bad_fixture_is_one_line_per_error_and_nonzero(tmp_path: Path) -> None:
    fixture = tmp_path / "fixture.toml"
    fixture.write_text(
        '[library]\nname = "Hefei Library"\npolicy = "hefei"\ntimezone = "Asia/Shanghai"\n'
        'currency = "CNY"\nbranches = ["main"]\n\n'
        '[[patron]]\nbarcode = "3401010000001"\nname = "A"\ncategory = "adult"\n\n'
        '[[patron]]\nbarcode = "3401010000002"\nname = "B"\ncategory = "adult"\n\n'
        '[[patron]]\nbarcode = "3401010000003"\nname = "C"\ncategory = "adult"\n\n'
        '[[patron]]\nbarcode = "3401010000004"\nname = "D"\ncategory = "adult"\n'
        'expires = "2026-13-01"\n',
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'c.db'}"
    result = kiosk("load", "fixture.toml", "--db", db, cwd=tmp_path)
    assert result.returncode == 2
    assert (
        result.stderr.strip() == "kiosk: fixture.toml: patron[3].expires: not a date: '2026-13-01'"
    )


def test_unusable_database_url_is_one_line(tmp_path: Path) -> None:
    result = kiosk("migrate", "--db", "mysql://x", cwd=tmp_path)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    down = kiosk("migrate", "--db", "postgresql+psycopg://postgres@127.0.0.1:1/x", cwd=tmp_path)
    assert down.returncode == 7 and "cannot open the central database" in down.stderr


def test_serve_on_an_empty_store_says_what_to_do(tmp_path: Path) -> None:
    result = kiosk(
        "serve", "--db", f"sqlite:///{tmp_path / 'e.db'}", "--http", "127.0.0.1:1", cwd=tmp_path
    )
    assert result.returncode == 7
    assert "load a fixture first" in result.stderr


def test_server_killed_mid_batch_then_resent_is_one_application(
    backend, open_store, tmp_path: Path
) -> None:
    """kill -9 while a batch is being applied; restart; resend: exactly one application."""
    import signal
    import threading
    from datetime import UTC, datetime, timedelta

    from kiosk.central import open_central
    from kiosk.central.security import PinHasher
    from kiosk.central.services import load_fixture
    from kiosk.clock import FixedClock

    from .conftest import FAST
    from .fixtures_data import HEFEI
    from .helpers import state, tx

    fixture = tmp_path / "hefei.toml"
    fixture.write_text(HEFEI, encoding="utf-8")
    central = open_store()
    load_fixture(fixture, central.sessions, PinHasher(central.settings))
    secret = central.service.add_machine("kiosk-9")
    start = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    items = [f"312340000123{n}" for n in (45, 46, 47, 48, 50, 51)]
    batch = []
    for n in range(120):
        at = start + timedelta(minutes=2 * n)
        barcode = items[n % len(items)]
        patron = ("3401010000001", "3401010000003")[n % 2]
        batch.append(
            tx(
                "checkout",
                at,
                mode="offline",
                machine="kiosk-9",
                seq=2 * n,
                patron=patron,
                item=barcode,
            )
        )
        batch.append(
            tx(
                "checkin",
                at + timedelta(minutes=1),
                mode="offline",
                machine="kiosk-9",
                seq=2 * n + 1,
                item=barcode,
            )
        )
    body = {"transactions": [t.to_wire() for t in batch]}
    headers = {"Authorization": f"Bearer {secret}", "X-Kiosk-Machine": "kiosk-9"}

    def serve() -> tuple[subprocess.Popen[str], str]:
        port = free_port()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "kiosk.cli",
                "central",
                "serve",
                "--db",
                backend.cli_url,
                "--http",
                f"127.0.0.1:{port}",
                "--now",
                "2026-11-23T02:00:00Z",
            ],
            cwd=tmp_path,
            env=ENV,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(200):
            try:
                httpx.get(f"{base}/health", timeout=1)
                return process, base
            except httpx.HTTPError:
                time.sleep(0.05)
        raise AssertionError("central did not start")

    process, base = serve()
    errors: list[Exception] = []

    def send() -> None:
        try:
            httpx.post(f"{base}/v1/transactions", json=body, headers=headers, timeout=60)
        except httpx.HTTPError as exc:  # the reply is lost: that is the point
            errors.append(exc)

    sender = threading.Thread(target=send)
    sender.start()
    time.sleep(0.3)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=20)
    sender.join(timeout=60)
    process, base = serve()
    try:
        reply = httpx.post(f"{base}/v1/transactions", json=body, headers=headers, timeout=120)
        assert reply.status_code == 200, reply.text
    finally:
        process.terminate()
        process.wait(timeout=20)
    outcomes = reply.json()["outcomes"]
    assert len(outcomes) == len(batch)

    reference = open_central(
        f"sqlite:///{tmp_path / 'reference.db'}", clock=FixedClock(start), settings=FAST
    )
    try:
        load_fixture(fixture, reference.sessions, PinHasher(reference.settings))
        reference.service.apply_batch(batch)
        assert state(central) == state(reference)
    finally:
        reference.dispose()
