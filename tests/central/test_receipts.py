"""``POST /v1/receipts``: central e-mails a machine's receipt to the address on file.

Against a real server on both backends, with central's own mail adapter writing .eml files;
and the kiosk's :class:`HttpReceiptMailer` against the same server.
"""

from __future__ import annotations

import email
import email.policy
import time
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from kiosk.backend import Receipt, ReceiptLine
from kiosk.central.notices import EmlFolderMailer, send_pending
from kiosk.i18n import Translator
from kiosk.receipt_mail import HttpReceiptMailer, MailOutcome

from .fixtures_data import HEFEI
from .server import machine_client

WANG, ZHAO = "3401010000001", "3401010000003"  # Zhao Min has no e-mail address on file
AT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Hefei


def body(card: str = WANG, **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "receipt_id": str(uuid.uuid4()),
        "card": card,
        "language": "de",
        "at": AT.isoformat(),
        "lines": [
            {"kind": "checkout", "title": "红楼梦", "item": "31234000012345", "due": "2026-12-23"},
            {"kind": "renew", "title": "西游记", "item": "31234000012346", "due": "2027-01-06"},
            {"kind": "checkin", "title": "围城", "item": "31234000012347", "fine": "2.30"},
        ],
    }
    data.update(changes)
    return data


@pytest.fixture
def api(load, tmp_path: Path):
    central = load(HEFEI)
    central.service.receipts.mailer = EmlFolderMailer(tmp_path / "mail")
    with machine_client(central) as client:
        client.mail_dir = tmp_path / "mail"  # type: ignore[attr-defined]
        yield client


def mails(folder: Path, count: int, timeout: float = 10.0) -> list[EmailMessage]:
    """The .eml files once ``count`` are there (sending runs just after the answer)."""
    deadline = time.monotonic() + timeout
    while len(found := sorted(folder.glob("*.eml"))) < count:
        assert time.monotonic() < deadline, f"{len(found)} of {count} e-mails written"
        time.sleep(0.05)
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in found
    ]


def test_receipt_goes_to_the_address_on_file_in_the_visits_language(api) -> None:
    reply = api.post("/v1/receipts", json=body())
    assert reply.status_code == 202 and reply.json()["queued"] is True
    assert "@" not in reply.text  # the machine never learns the address
    (mail,) = mails(api.mail_dir, 1)
    assert mail["To"] == "wang@example.org"
    assert mail["Content-Language"] == "de" and mail["X-Kiosk-Notice"] == "receipt"
    t = Translator("de", currency="CNY")
    assert (
        mail["Subject"] == f"Hefei Library: {t('ui.receipt_heading')}, {t.date(date(2026, 11, 23))}"
    )
    text = mail.get_content()
    assert text.startswith("Guten Tag Wang Fang,")
    assert f"红楼梦 (31234000012345), fällig am {t.date(date(2026, 12, 23))}" in text
    assert "西游记 (31234000012346), verlängert" in text
    assert "围城 (31234000012347), zurückgegeben" in text
    assert f"Säumnisgebühr für 围城: {t.money(Decimal('2.30'))}" in text
    assert "um 10:00 Uhr" in text  # the library's local time, not UTC
    assert "3401010000001" not in text and "0001" in text  # the card is masked


def test_a_resent_receipt_is_not_sent_twice(api) -> None:
    data = body()
    assert api.post("/v1/receipts", json=data).status_code == 202
    again = api.post("/v1/receipts", json=data)
    assert again.status_code == 200 and again.json() == {
        "receipt_id": data["receipt_id"],
        "queued": False,
    }
    time.sleep(0.3)
    assert len(mails(api.mail_dir, 1)) == 1
    # The same id for another card is refused, not silently mapped to the first.
    other = api.post("/v1/receipts", json={**data, "card": "3401010000002"})
    assert other.status_code == 422


def test_no_address_unknown_card_and_no_credential(api) -> None:
    missing = api.post("/v1/receipts", json=body(ZHAO))
    assert missing.status_code == 409 and missing.json()["error"]["code"] == "no_email"
    unknown = api.post("/v1/receipts", json=body("3401019999999"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_card"
    bare = httpx.post(f"{api.base_url}/v1/receipts", json=body())
    assert bare.status_code == 401
    assert not api.mail_dir.exists() or list(api.mail_dir.glob("*.eml")) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"lines": []},
        {"lines": [{"kind": "checkout", "title": "x"}] * 201},
        {"lines": [{"kind": "checkout", "title": "\x1b[2J\x07bell"}]},
        {"lines": [{"kind": "checkin", "title": "x", "fine": "-1.00"}]},
        {"lines": [{"kind": "steal", "title": "x"}]},
        {"at": "2026-11-23T10:00:00"},
        {"language": "de; rm -rf"},
        {"receipt_id": ""},
        {"extra": "field"},
    ],
)
def test_hostile_receipts_are_refused_with_a_clear_error(api, changes: dict[str, Any]) -> None:
    reply = api.post("/v1/receipts", json=body(**changes))
    assert reply.status_code == 422
    assert reply.json()["error"]["code"] == "invalid_request"


def test_a_receipt_that_cannot_be_sent_now_stays_queued_for_the_tick(api, tmp_path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the mail folder should be")
    central = api.central
    central.service.receipts.mailer = EmlFolderMailer(blocked)
    assert api.post("/v1/receipts", json=body()).status_code == 202
    time.sleep(0.3)
    # The mail folder works again: the daily tick's sender picks the receipt up.
    sent = send_pending(central.sessions, EmlFolderMailer(api.mail_dir), "library@localhost", AT)
    assert sent == 1
    (mail,) = mails(api.mail_dir, 1)
    assert mail["X-Kiosk-Notice"] == "receipt"


def test_the_kiosks_http_mailer_reports_each_outcome(api) -> None:
    mailer = HttpReceiptMailer(api)
    receipt = Receipt(
        "Hefei Library",
        "•••••••••0001",
        AT,
        (ReceiptLine("红楼梦", "31234000012345", date(2026, 12, 23), "checkout"),),
        "CNY",
    )
    assert mailer.email_receipt(WANG, receipt, language="vi") is MailOutcome.SENT
    (mail,) = mails(api.mail_dir, 1)
    assert mail["Content-Language"] == "vi" and "hạn trả" in mail.get_content()
    assert mailer.email_receipt(ZHAO, receipt, language="vi") is MailOutcome.NO_EMAIL
    assert mailer.email_receipt("3401019999999", receipt, language="vi") is (
        MailOutcome.UNKNOWN_CARD
    )
    closed = httpx.Client(base_url="http://127.0.0.1:9", timeout=1)  # nothing listens there
    assert HttpReceiptMailer(closed).email_receipt(WANG, receipt, language="en") is (
        MailOutcome.UNAVAILABLE
    )


def test_the_same_receipt_sent_at_once_from_many_threads_is_one_e_mail(api) -> None:
    """A machine's resend racing its first try: one notice, and no server error."""
    from concurrent.futures import ThreadPoolExecutor

    data = body()
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: api.post("/v1/receipts", json=data).status_code, range(8)))
    assert set(codes) <= {200, 202} and codes.count(202) == 1, codes
    time.sleep(0.3)
    assert len(mails(api.mail_dir, 1)) == 1
