"""`kiosk queue status|retry ID|report [--csv]` on a real queue file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from kiosk.cli import main
from kiosk.domain import TxOutcome
from kiosk.outbox import Delivery, Outbox

REASON = {"code": "reserved_for_other", "message_key": "reason.reserved_for_other", "params": {}}


@pytest.fixture
def queue_file(tmp_path: Path) -> Path:
    path = tmp_path / "queue.db"
    with Outbox(path, "kiosk-1", min_free_bytes=0) as box:
        box.enqueue("checkout", {"patron": "3401010000001", "item": "31234000012345"})
        box.enqueue("checkout", {"patron": "3401010000002", "item": "31234000012346"})
        box.enqueue("checkin", {"item": "31234000012347"})
        box.enqueue("checkin", {"item": "31234000012348"})
        rows = box.claim("tech", 3, 30)
        box.record(
            [
                (rows[0].seq, Delivery(rows[0].uuid, TxOutcome.REFUSED, reasons=(REASON,))),
                (rows[1].seq, Delivery(rows[1].uuid, TxOutcome.EXCEPTION, reasons=(REASON,))),
            ]
        )
        box.reject(rows[2].seq, "central rejected it: invalid_request: bad uuid")
        box.requeue([], "connection refused")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["queue", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_status(queue_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "status", "--queue", str(queue_file))
    assert code == 0
    assert "depth:          1 waiting to be sent" in out
    assert "queued 1, sending 0, delivered 0, refused 1, exception 2" in out
    assert "last error:     connection refused at" in out
    assert "offline policy: never fetched" in out


def test_report_table_and_csv(queue_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "report", "--queue", str(queue_file))
    assert code == 0
    assert "Central refused the checkout of 31234000012345 for card 3401010000001" in out
    assert "the item is reserved for another patron" in out
    assert "happened while the machine was offline and broke a rule" in out
    assert "Central would not accept the checkin of 31234000012347" in out
    code, out, _ = run(capsys, "report", "--csv", "--queue", str(queue_file))
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["seq"], r["state"], r["reasons"]) for r in rows] == [
        ("1", "refused", "reserved_for_other"),
        ("2", "exception", "reserved_for_other"),
        ("3", "exception", ""),
    ]


def test_retry(queue_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "retry", "3", "--queue", str(queue_file))
    assert code == 0 and "transaction 3 (checkin) queued again" in out
    with Outbox(queue_file, "kiosk-1", min_free_bytes=0) as box:
        assert box.get(3).state.value == "queued"
    code, _, err = run(capsys, "retry", "1", "--queue", str(queue_file))
    assert code == 5 and err.count("\n") == 1 and "already decided by central" in err


def test_missing_queue_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "status", "--queue", str(tmp_path / "nope.db"))
    assert code == 5 and err.strip() == f"kiosk: no queue file at {tmp_path / 'nope.db'}"
    code, _, err = run(capsys, "status")
    assert code == 5 and "--queue FILE or --config FILE" in err


def test_queue_from_machine_config(
    queue_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'machine_id = "kiosk-1"\nlibrary = "hefei"\n[outbox]\npath = "{queue_file}"\n'
        '[central]\nurl = "http://127.0.0.1:8700"\nsecret = "s3cret"\n',
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "status", "--config", str(config))
    assert code == 0 and "refused 1" in out


def test_damaged_queue_is_one_line_and_left_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "queue.db"
    bad.write_bytes(b"not sqlite at all " * 100)
    code, _, err = run(capsys, "status", "--queue", str(bad))
    assert code == 5 and err.count("\n") == 1
    assert "is not a readable queue" in err and "do not delete it" in err
    assert bad.read_bytes() == b"not sqlite at all " * 100
