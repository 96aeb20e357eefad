"""The HTTP API against a real server: auth, JSON errors, the documented bodies, OpenAPI."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from .fixtures_data import HAMBURG, HEFEI
from .helpers import tx
from .server import machine_client, running

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
WANG, LI = "3401010000001", "3401010000002"


@pytest.fixture
def api(load):
    with machine_client(load(HEFEI)) as client:
        yield client


def test_health_needs_no_credential_and_everything_else_does(api) -> None:
    bare = httpx.Client(base_url=str(api.base_url))
    assert bare.get("/health").json() == {"status": "ok"}
    for method, path in (
        ("GET", "/v1/policy"),
        ("GET", "/v1/snapshot"),
        ("GET", "/v1/items/31234000012345"),
        ("POST", "/v1/transactions"),
    ):
        response = bare.request(method, path, json={"transactions": []})
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "unauthorized"
    wrong = bare.get(
        "/v1/policy", headers={"Authorization": "Bearer nope", "X-Kiosk-Machine": "kiosk-1"}
    )
    assert wrong.status_code == 401


def test_ingest_batch_and_replay(api) -> None:
    batch = [
        tx("checkout", NOW, seq=1, patron=WANG, item="31234000012345").to_wire(),
        tx("checkout", NOW, seq=2, patron=LI, item="31234000012346").to_wire(),
    ]
    reply = api.post("/v1/transactions", json={"transactions": batch})
    assert reply.status_code == 200
    outcomes = reply.json()["outcomes"]
    assert [o["outcome"] for o in outcomes] == ["applied", "refused"]
    assert outcomes[0]["result"]["due"] == "2026-12-23"
    assert outcomes[1]["reasons"][0]["code"] == "overdue_items"
    again = api.post("/v1/transactions", json={"transactions": batch}).json()["outcomes"]
    assert [o["duplicate"] for o in again] == [True, True]
    assert [o["outcome"] for o in again] == ["applied", "refused"]


def test_transactions_of_another_machine_are_refused(api) -> None:
    other = tx("checkout", NOW, machine="kiosk-2", patron=WANG, item="31234000012345").to_wire()
    reply = api.post("/v1/transactions", json={"transactions": [other]})
    assert reply.status_code == 403 and reply.json()["error"]["code"] == "machine_mismatch"


def test_login_account_and_errors(api) -> None:
    api.post(
        "/v1/transactions",
        json={"transactions": [tx("checkout", NOW, patron=WANG, item="31234000012345").to_wire()]},
    )
    login = api.post("/v1/patrons/login", json={"card": WANG, "pin": "19850312"})
    assert login.status_code == 200
    body = login.json()
    assert body["pin_change_required"] is True and body["patron"]["name"] == "Wang Fang"
    account = api.get(f"/v1/patrons/{WANG}/account", headers={"X-Patron-Session": body["session"]})
    assert account.status_code == 200
    assert [loan["item"] for loan in account.json()["loans"]] == ["31234000012345"]
    no_session = api.get(f"/v1/patrons/{WANG}/account")
    assert no_session.status_code == 401
    assert no_session.json()["error"]["code"] == "session_invalid"
    wrong = api.post("/v1/patrons/login", json={"card": LI, "pin": "000000"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == {
        "code": "wrong_pin",
        "message": "wrong PIN",
        "params": {"attempts_left": 4},
    }
    unknown = api.post("/v1/patrons/login", json={"card": "999", "pin": "1"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_card"
    garbage = api.post(
        "/v1/patrons/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert garbage.status_code == 422 and garbage.json()["error"]["code"] == "invalid_request"


def test_login_tells_notices_and_whether_an_address_is_on_file(api) -> None:
    """What the kiosk tells at once (a staff block) and whether to offer e-mail receipts."""
    from sqlalchemy import update

    from kiosk.backend_machine import HttpReads
    from kiosk.central import models as m

    with api.central.sessions.begin() as s:
        s.execute(update(m.Patron).where(m.Patron.barcode == LI).values(blocked="lost books"))
    blocked = api.post("/v1/patrons/login", json={"card": LI, "pin": "246813"}).json()
    assert blocked["notices"] == [
        {
            "code": "staff_block",
            "message_key": "reason.staff_block",
            "params": {"note": "lost books"},
        }
    ]
    assert blocked["patron"]["has_email"] is True and "@" not in str(blocked)
    zhao = api.post("/v1/patrons/login", json={"card": "3401010000003", "pin": "975310"}).json()
    assert zhao["notices"] == [] and zhao["patron"]["has_email"] is False
    # The kiosk's HTTP reads turn them into the session's login reply.
    reads = HttpReads(str(api.base_url), "kiosk-1", api.secret)
    try:
        reply = reads.login(LI, "246813")
    finally:
        reads.close()
    assert [n.code for n in reply.notices] == ["staff_block"]
    assert reply.patron is not None and reply.patron.has_email


def test_kiosk_reads_its_own_exceptions_for_the_technician(api) -> None:
    """An offline checkout that broke a rule is listed for the machine that made it only."""
    from kiosk.backend_machine import HttpReads

    fact = tx("checkout", NOW, mode="offline", patron=LI, item="31234000012346")
    assert api.post("/v1/transactions", json={"transactions": [fact.to_wire()]}).status_code == 200
    other_secret = api.central.service.add_machine("kiosk-2")
    other = tx("checkout", NOW, mode="offline", machine="kiosk-2", patron=LI, item="31234000012345")
    reply = httpx.post(
        f"{api.base_url}/v1/transactions",
        json={"transactions": [other.to_wire()]},
        headers={"Authorization": f"Bearer {other_secret}", "X-Kiosk-Machine": "kiosk-2"},
    )
    assert reply.json()["outcomes"][0]["outcome"] == "exception"
    reads = HttpReads(str(api.base_url), "kiosk-1", api.secret)
    try:
        problems = reads.exceptions()
    finally:
        reads.close()
    assert [(p.kind, p.item, p.source) for p in problems] == [
        ("checkout", "31234000012346", "central")
    ]
    assert "overdue_items" in problems[0].codes


def test_item_policy_snapshot_heartbeat_exceptions(api) -> None:
    item = api.get("/v1/items/31234000012349").json()
    assert item["status"] == "on_loan" and item["due"] == "2026-10-31"
    assert "patron" not in item
    assert api.get("/v1/items/nope").json()["error"]["code"] == "unknown_item"
    policy = api.get("/v1/policy").json()
    assert policy["name"] == "hefei" and policy["version"]
    assert policy["profile"]["rules"]["loans"]["max_items"] == 5
    snap = api.get("/v1/snapshot").json()
    assert snap["policy_version"] == policy["version"]
    assert snap["blocked"]["1234567890123"] == ["old_card_prefix"]
    assert snap["patrons"][LI]["overdue"] == 1
    beat = api.post(
        "/v1/machines/heartbeat", json={"queue_depth": 3, "oldest_age_s": 12.5, "mode": "offline"}
    )
    assert beat.status_code == 200 and "server_time" in beat.json()
    (seen,) = api.get("/v1/machines").json()["machines"]
    assert seen["name"] == "kiosk-1" and seen["queue_depth"] == 3 and seen["mode"] == "offline"
    assert seen["oldest_age_s"] == 12.5
    offline = tx(
        "checkout",
        NOW - timedelta(hours=1),
        mode="offline",
        patron="3401010000005",
        item="31234000012347",
    ).to_wire()
    api.post("/v1/transactions", json={"transactions": [offline]})
    exceptions = api.get("/v1/exceptions", params={"since": "2026-11-01T00:00:00Z"}).json()
    assert [e["uuid"] for e in exceptions["exceptions"]] == [offline["uuid"]]
    assert exceptions["exceptions"][0]["reasons"][0]["code"] == "card_expired"


def test_openapi_is_published(api) -> None:
    spec = api.get("/openapi.json").json()
    paths = set(spec["paths"])
    assert {
        "/health",
        "/v1/transactions",
        "/v1/patrons/login",
        "/v1/patrons/{card}/account",
        "/v1/items/{barcode}",
        "/v1/policy",
        "/v1/snapshot",
        "/v1/machines/heartbeat",
        "/v1/exceptions",
    } <= paths


def test_schemathesis_finds_no_server_error(load, tmp_path: Path) -> None:
    central = load(HAMBURG)
    secret = central.service.add_machine("fuzz-1")
    st = Path(sys.executable).with_name("st")
    with running(central) as base:
        result = subprocess.run(
            [
                str(st),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "not_a_server_error",
                "--max-examples",
                "25",
                "--seed",
                "1",
                "-H",
                f"Authorization: Bearer {secret}",
                "-H",
                "X-Kiosk-Machine: fuzz-1",
                "--request-timeout",
                "20",
            ],
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "9 total" in result.stdout or "passed" in result.stdout, result.stdout[-2000:]
    assert " 0 passed" not in result.stdout


def test_hostile_input_is_refused_not_a_server_error(api) -> None:
    nasty = ["\x00abc", "x" * 500, "🙂" * 70, "\n", ""]
    batch = []
    for n, value in enumerate(nasty):
        for kind, payload in (
            ("checkout", {"patron": value, "item": value}),
            ("checkin", {"item": value, "branch": value}),
            ("place_hold", {"patron": WANG, "item": "31234000012345", "pickup_branch": value}),
            ("pay_fee", {"patron": LI, "amount": "1e30"}),
            ("deposit_credit", {"patron": LI, "amount": [1, 2]}),
            ("cancel_hold", {"patron": WANG, "hold_id": 10**30}),
        ):
            batch.append(tx(kind, NOW, mode="offline" if n % 2 else "online", **payload).to_wire())
    reply = api.post("/v1/transactions", json={"transactions": batch})
    assert reply.status_code == 200, reply.text
    assert {o["outcome"] for o in reply.json()["outcomes"]} <= {"refused", "exception", "applied"}
    for bad_tx in (
        {**batch[0], "uuid": "a\x00b"},
        {**batch[0], "occurred_at": "0001-01-01T00:00:00-05:00"},
        {**batch[0], "seq": 2**40},
    ):
        answer = api.post("/v1/transactions", json={"transactions": [bad_tx]})
        assert answer.status_code == 422, answer.text
    for card in ("\x00", "x" * 300):
        assert (
            api.post("/v1/patrons/login", json={"card": card[:64], "pin": "1"}).status_code == 404
        )
    assert api.get("/v1/items/%00").status_code == 404
    assert api.get("/v1/patrons/%00/account", headers={"X-Patron-Session": "x"}).status_code == 401
