"""``[central]`` is central's HTTP API or an ILS over SIP2; both example files stay valid
and show the ``[central]``, ``[outbox]`` and ``[returns]`` sections."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import load_config, read_config
from kiosk.config.central import CentralConfig
from kiosk.config.returns import BinRole
from kiosk.sip2.config import Sip2CentralConfig

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_kiosk_environment(monkeypatch) -> None:
    import os

    for name in list(os.environ):
        if name.startswith("KIOSK_"):
            monkeypatch.delenv(name)


def test_example_shows_central_outbox_and_returns() -> None:
    config = load_config(ROOT / "config" / "kiosk.example.toml")
    assert isinstance(config.central, CentralConfig) and config.central.kind == "http"
    assert config.central.url == "https://central.library.example"
    assert config.central.secret_file == Path("/etc/kiosk/central.secret")
    assert config.outbox.path == Path("/var/lib/kiosk/queue.db")
    assert [b.role for b in config.returns.bins] == [
        BinRole.RESHELVE,
        BinRole.HOLD_SHELF,
        BinRole.STAFF,
    ]
    assert config.returns.bins[0].formats == ("book",)


def test_sip2_example_is_an_ils_over_sip2() -> None:
    config = load_config(ROOT / "config" / "kiosk.sip2.example.toml")
    central = config.central
    assert isinstance(central, Sip2CentralConfig)
    settings = central.link_settings()
    assert (settings.host, settings.port, settings.institution) == (
        "ils.library.example",
        6001,
        "HHB",
    )
    assert settings.timezone == "Europe/Berlin" and settings.error_detection


def test_central_without_kind_is_http(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        'machine_id = "k"\nlibrary = "hefei"\n[central]\nurl = "http://127.0.0.1:8700"\n'
        'secret = "s"\n',
        encoding="utf-8",
    )
    config = load_config(path)
    assert isinstance(config.central, CentralConfig) and config.central.kind == "http"


@pytest.mark.parametrize(
    ("section", "key", "message"),
    [
        ('kind = "ftp"\nurl = "x"', "central.kind", 'kind must be "http"'),
        ('kind = "sip2"\nuser = "u"\npassword = "p"', "central.host", "required"),
        ('kind = "sip2"\nhost = "h"\nuser = "u"\npassword = "p"\nurl = "x"', "central.url", ""),
        ('url = "http://127.0.0.1:8700"\nsecret = "s"\nhost = "h"', "central.host", ""),
    ],
)
def test_a_wrong_central_section_is_one_clear_problem(
    tmp_path: Path, section: str, key: str, message: str
) -> None:
    path = tmp_path / "m.toml"
    path.write_text(
        f'machine_id = "k"\nlibrary = "hefei"\n[central]\n{section}\n', encoding="utf-8"
    )
    config, problems = read_config(path)
    assert config is None
    assert [p.key for p in problems] == [key], problems
    assert message in problems[0].message
    assert problems[0].line is not None and problems[0].line >= 3


def test_sip2_password_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    """What config/kiosk.sip2.example.toml recommends: the password kept out of the file."""
    path = tmp_path / "m.toml"
    path.write_text(
        'machine_id = "k"\nlibrary = "hefei"\n[central]\nkind = "sip2"\nhost = "h"\nuser = "u"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("KIOSK_CENTRAL__PASSWORD", "from-env")
    central = load_config(path).central
    assert isinstance(central, Sip2CentralConfig)
    assert central.password.get_secret_value() == "from-env"
