"""A machine's queue built from its configuration file, talking to a real central."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigInvalid, load_config
from kiosk.errors import ConfigError
from kiosk.outbox.wiring import open_machine_queue
from tests.outbox.conftest import ITEMS, PATRONS, CentralServer


def write_config(tmp_path: Path, central_section: str) -> Path:
    path = tmp_path / "kiosk.toml"
    path.write_text(
        'machine_id = "kiosk-7"\nlibrary = "hefei"\n'
        f'[outbox]\npath = "{tmp_path / "queue.db"}"\nwait_s = 5\nbackoff_max_s = 1\n'
        f"{central_section}",
        encoding="utf-8",
    )
    return path


def test_configured_machine_reaches_central(central: CentralServer, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(central.add_machine("kiosk-7") + "\n", encoding="utf-8")
    config = load_config(
        write_config(
            tmp_path, f'[central]\nurl = "{central.base_url}/"\nsecret_file = "{secret_file}"\n'
        )
    )
    queue = open_machine_queue(config)
    queue.forwarder.start()
    try:
        got = queue.forwarder.submit(
            "checkout",
            {"patron": PATRONS[4], "item": ITEMS[9]},
            decide_offline=lambda: queue.decider.checkout(PATRONS[4], ITEMS[9]),
        )
        assert got.source == "central" and got.allowed
        assert queue.outbox.path == tmp_path / "queue.db"
        assert queue.forwarder.wait_s == 5
    finally:
        queue.close()
    assert [s for _, s, _ in central.applied("kiosk-7")] == [got.transaction.seq]


@pytest.mark.parametrize(
    ("section", "problem"),
    [
        ('[central]\nurl = "ftp://x"\nsecret = "s"\n', "http:// or https://"),
        ('[central]\nurl = "http://127.0.0.1:1"\n', "exactly one of secret and secret_file"),
        ("[outbox]\nwait_s = -1\n", "wait_s"),
    ],
)
def test_bad_sections_are_reported(tmp_path: Path, section: str, problem: str) -> None:
    path = tmp_path / "kiosk.toml"
    path.write_text(f'machine_id = "kiosk-7"\nlibrary = "hefei"\n{section}', encoding="utf-8")
    with pytest.raises(ConfigInvalid) as caught:
        load_config(path)
    assert problem in str(caught.value)


def test_no_central_section_is_one_clear_error(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path, ""))
    with pytest.raises(ConfigError, match=r"no \[central\] section"):
        open_machine_queue(config)
