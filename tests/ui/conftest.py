"""UI tests run the real app over a real central store (SQLite) loaded with a demo fixture.

Terminal size, clock, locale and time zone are pinned so screens are reproducible. Loading a
fixture hashes every PIN (argon2), so each library is loaded once per test session into a
template file that every test copies.
"""

from __future__ import annotations

import email
import email.policy
import os
import shutil
import time
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from kiosk.backend_central import CentralBackend
from kiosk.central import open_central
from kiosk.central.security import PinHasher
from kiosk.central.services import load_fixture
from kiosk.central.settings import CentralSettings
from kiosk.clock import FixedClock, parse_instant
from kiosk.config.ui import UiSettings
from kiosk.domain.barcode import BarcodeChain
from kiosk.session import Session, SessionSettings
from kiosk.ui import KioskApp

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = ("hefei", "hamburg", "sanjose")
NOW = {
    "hefei": "2026-11-23T10:00:00+08:00",
    "hamburg": "2026-11-23T10:00:00+01:00",
    "sanjose": "2026-11-23T10:00:00-08:00",
}
SIZE = (110, 36)


@pytest.fixture(scope="session", autouse=True)
def pinned_environment() -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in ("TZ", "LANG", "LC_ALL", "KIOSK_NOW")}
    os.environ.update({"TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
    os.environ.pop("KIOSK_NOW", None)
    time.tzset()
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    time.tzset()


@pytest.fixture(scope="session")
def templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return {}


def template_for(templates: dict[str, Path], library: str, base: Path) -> Path:
    if library not in templates:
        path = base / f"{library}-template.db"
        central = open_central(f"sqlite:///{path}")
        try:
            load_fixture(
                ROOT / "config" / "demo" / f"{library}.toml",
                central.sessions,
                PinHasher(central.settings),
                None,
            )
        finally:
            central.dispose()
        templates[library] = path
    return templates[library]


class Kiosk:
    """One test's machine: central on a copy of the template, the session and the app."""

    def __init__(self, library: str, db: Path, settings: UiSettings, mode: str = "checkout"):
        from kiosk.session import Mode

        self.library = library
        self.clock = FixedClock(parse_instant(NOW[library]))
        self.mail_dir = db.parent / f"{db.stem}-mail"
        self.central = open_central(
            f"sqlite:///{db}", clock=self.clock, settings=CentralSettings(mail_dir=self.mail_dir)
        )
        self.receipts: list[tuple[str, int]] = []
        self.backend = CentralBackend(self.central, receipts=self._receipt)
        self.session = Session(
            self.backend,
            settings=SessionSettings(
                double_scan_window=settings.double_scan_seconds, mode=Mode(mode)
            ),
            clock=self.clock,
            barcodes=BarcodeChain(self.central.profile.barcodes.rules),
        )
        self.app = KioskApp(self.session, settings=settings)

    def _receipt(self, receipt) -> bool:  # type: ignore[no-untyped-def]
        self.receipts.append(("print", len(receipt.lines)))
        return True

    def mails(self) -> list[EmailMessage]:
        """The e-mails central wrote (its default mail adapter: one .eml file each)."""
        policy = email.policy.default
        return [
            email.message_from_bytes(path.read_bytes(), policy=policy)  # type: ignore[misc]
            for path in sorted(self.mail_dir.glob("*.eml"))
        ]

    def close(self) -> None:
        self.central.dispose()


@pytest.fixture
def make_kiosk(
    templates: dict[str, Path], tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Iterator:
    made: list[Kiosk] = []
    base = tmp_path_factory.getbasetemp()

    def make(library: str = "hefei", mode: str = "checkout", **settings: object) -> Kiosk:
        template = template_for(templates, library, base)
        db = tmp_path / f"{library}-{len(made)}.db"
        shutil.copy(template, db)
        options = {"bell": False, **settings}
        kiosk = Kiosk(library, db, UiSettings(**options), mode)
        made.append(kiosk)
        return kiosk

    yield make
    for kiosk in made:
        kiosk.close()
