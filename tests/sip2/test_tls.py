"""SIP2 over TLS with Python's ssl: our ACS with a certificate, our link trusting it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from kiosk.central import Central
from kiosk.sip2.errors import Sip2ConnectionError
from kiosk.sip2.link import Sip2Link, Sip2LinkSettings
from kiosk.sip2.server import serve, tls_context


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key


def test_tls_login_and_status(central: Central, certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    secret = central.service.add_machine("sc-tls")
    running = serve(central.service, "127.0.0.1:0", ssl_context=tls_context(str(cert), str(key)))
    settings = dict(
        host=running.host,
        port=running.port,
        user="sc-tls",
        password=secret,
        institution="HFL",
        timeout=5,
        tls=True,
    )
    trusted = Sip2Link(Sip2LinkSettings(**settings, tls_ca=cert))
    untrusted = Sip2Link(Sip2LinkSettings(**settings))
    try:
        assert trusted.status().online
        with pytest.raises(Sip2ConnectionError, match="certificate verify failed"):
            untrusted.status()
    finally:
        trusted.close()
        untrusted.close()
        running.stop()
