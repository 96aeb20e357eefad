"""``kiosk central serve --sip2 HOST:PORT`` starts the ACS next to the HTTP API."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kiosk.sip2.client import ClientSettings, Sip2Client
from kiosk.sip2.codec import make
from tests.sip2.conftest import HEFEI, ITEM, PATRON, PIN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _kiosk(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KIOSK_CENTRAL__ARGON2_TIME_COST": "1",
        "KIOSK_CENTRAL__ARGON2_MEMORY_KIB": "1024",
        "KIOSK_NOW": "2026-11-23T10:00:00+08:00",
    }


async def test_serve_with_sip2(tmp_path: Path, env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'central.db'}"
    fixture = tmp_path / "hefei.toml"
    fixture.write_text(HEFEI, encoding="utf-8")
    loaded = _kiosk("central", "load", str(fixture), "--db", db, env=env)
    assert loaded.returncode == 0, loaded.stderr
    added = _kiosk("central", "add-machine", "sc-cli", "--db", db, env=env)
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip().splitlines()[-1]
    http, sip = _free_port(), _free_port()
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
            f"127.0.0.1:{http}",
            "--sip2",
            f"127.0.0.1:{sip}",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", sip), timeout=0.5).close()
                break
            except OSError:
                assert server.poll() is None, server.communicate()[1]
                assert time.monotonic() < deadline, "the SIP2 port never opened"
                time.sleep(0.1)
        client = Sip2Client("127.0.0.1", sip, settings=ClientSettings(timeout=10))
        async with client:
            assert await client.login("sc-cli", secret)
            status = await client.sc_status()
            assert status.get("AO") == "HFL" and status.get("AM") == "Hefei Library"
            out = await client.request(
                make(
                    "11",
                    [("AO", "HFL"), ("AA", PATRON), ("AB", ITEM), ("AC", ""), ("AD", PIN)],
                    sc_renewal_policy="N",
                    no_block="N",
                    transaction_date="20261123    100000",
                    nb_due_date=" " * 18,
                )
            )
            assert out["ok"] == "1"
            assert out.get("AH", "").startswith("20261223")
    finally:
        server.terminate()
        server.wait(10)


def test_bad_sip2_address_is_one_clear_line(tmp_path: Path, env: dict[str, str]) -> None:
    db = f"sqlite:///{tmp_path / 'central.db'}"
    fixture = tmp_path / "hefei.toml"
    fixture.write_text(HEFEI, encoding="utf-8")
    assert _kiosk("central", "load", str(fixture), "--db", db, env=env).returncode == 0
    result = _kiosk(
        "central", "serve", "--db", db, "--http", "127.0.0.1:1", "--sip2", "nonsense", env=env
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert "--sip2" in result.stderr
