"""``tick``: 60 simulated days of auto-renewal, notices, billing and hold expiry."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.central import models as m
from kiosk.central.notices import EmlFolderMailer, send_pending
from kiosk.central.security import PinHasher
from kiosk.central.services import load_fixture
from kiosk.domain import TxOutcome

from .conftest import REPO
from .fixtures_data import HAMBURG, SANJOSE
from .helpers import state, tx

START = date(2026, 11, 23)
ANA, MINH, EDU = "21197000000011", "21197000000029", "21197000000037"
GRAPES, HOTSPOT, MOON = "31197000000015", "31197000000023", "31197000000031"


def _notices(central) -> list[tuple[str, str, str, str, str]]:
    with central.sessions() as s:
        rows = s.execute(
            select(m.Notice, m.Patron).join(m.Patron, m.Notice.patron_id == m.Patron.id)
        ).all()
    return sorted(
        (n.for_date.isoformat(), n.kind, p.barcode, n.language, n.subject) for n, p in rows
    )


def _run(central, days: int, mail: Path | None = None) -> None:
    jobs = central.jobs()
    for offset in range(days):
        day = START + timedelta(days=offset)
        jobs.run(day, central.profile.library_name)
        if mail is not None:
            when = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
            send_pending(central.sessions, EmlFolderMailer(mail), "lib@example.org", when)


def test_sixty_days_in_san_jose(load, tmp_path: Path) -> None:
    central = load(SANJOSE)
    svc = central.service
    out = svc.apply(tx("checkout", datetime(2026, 11, 23, 18, tzinfo=UTC), patron=EDU, item=MOON))
    assert out.result["due"] == date(2027, 1, 4)  # educator: 6 weeks
    mail = tmp_path / "mail"
    _run(central, 60, mail)
    notices = _notices(central)

    # Due-soon notice 3 days before Ana's due date, in English, to her e-mail address.
    assert (
        "2026-11-23",
        "due_soon",
        ANA,
        "en",
        "San José Public Library: due soon: The Grapes of Wrath",
    ) in notices
    # Ana's copy is held by Minh: not auto-renewed; billed 28 days after the due date.
    # Minh's hotspot (due 10-30, never auto-renewed) is billed on 11-27, in Vietnamese.
    billed = {(d, who) for d, kind, who, _l, _s in notices if kind == "billed"}
    assert billed == {("2026-12-24", ANA), ("2026-11-27", MINH)}
    assert any(lang == "vi" for _d, kind, who, lang, _s in notices if who == MINH)
    fees = state(central)["fees"]
    assert (MINH, "billed", "90.00", "0.00", False) in fees  # price 80 + 10 processing
    assert (ANA, "billed", "28.00", "0.00", False) in fees
    # The educator's loan was renewed automatically on its due date for another 6 weeks.
    loans = {(who, item): (due, renewals) for who, item, due, renewals in state(central)["loans"]}
    assert loans[(EDU, MOON)] == ("2027-02-15", 1)
    # The educator has no e-mail: no due-soon notice for him.
    assert not any(who == EDU for _d, kind, who, _l, _s in notices if kind == "due_soon")
    # Each notice with an address became exactly one .eml file.
    with central.sessions() as s:
        mailed = s.scalars(select(m.Notice).where(m.Notice.email.is_not(None))).all()
    assert len(list(mail.glob("*.eml"))) == len(mailed) > 0
    assert all(n.sent_at is not None for n in mailed)

    # Minh brings the hotspot back: the bill is cleared, the late fee is capped at $5.
    back = svc.apply(tx("checkin", datetime(2027, 1, 25, 18, tzinfo=UTC), item=HOTSPOT))
    assert back.outcome is TxOutcome.APPLIED and back.result["bill_cleared"] is True
    assert back.result["fine"] == Decimal("5.00")
    fees = state(central)["fees"]
    assert (MINH, "billed", "90.00", "0.00", True) in fees


def test_tick_is_idempotent_per_date(load, tmp_path: Path) -> None:
    central = load(SANJOSE)
    _run(central, 40)
    once, notices = state(central), _notices(central)
    report = central.jobs().run(START + timedelta(days=39), central.profile.library_name)
    assert report.done == {} and len(report.skipped) == 6
    # Even with the job records gone (a crash after the work, before the record), no patron
    # is told twice and nothing is billed twice.
    with central.sessions.begin() as s:
        for run in s.scalars(select(m.JobRun)):
            s.delete(run)
    _run(central, 40)
    assert _notices(central) == notices
    assert state(central)["fees"] == once["fees"]


def test_hamburg_hold_ready_notice_and_two_week_expiry(load) -> None:
    central = load(HAMBURG)
    svc = central.service
    greta, jonas, tschick = "A0000001", "A0000002", "M0000001"
    placed = svc.apply(
        tx(
            "place_hold",
            datetime(2026, 11, 23, 9, tzinfo=UTC),
            patron=greta,
            item=tschick,
            pickup_branch="zentrale",
        )
    )
    assert placed.outcome is TxOutcome.APPLIED
    back = svc.apply(
        tx("checkin", datetime(2026, 11, 24, 9, tzinfo=UTC), item=tschick, branch="zentrale")
    )
    assert back.result["destination"] == "hold_shelf"
    _run(central, 20)
    notices = _notices(central)
    ready = [n for n in notices if n[1] == "hold_ready"]
    assert ready == [
        (
            "2026-11-24",
            "hold_ready",
            greta,
            "de",
            "Bücherhallen Hamburg: Vorbestellung abholbereit: Tschick",
        )
    ]
    expired = [n for n in notices if n[1] == "hold_expired"]
    assert [n[0] for n in expired] == ["2026-12-09"]  # ready 11-24, pickup by 12-08
    holds = state(central)["holds"]
    assert (greta, tschick, None, "expired", "2026-11-24") in holds
    assert svc.item_status(tschick).status == "available"
    assert jonas not in {n[2] for n in notices if n[1] == "hold_ready"}


def test_missed_days_are_caught_up_in_order(load) -> None:
    central = load(SANJOSE)
    jobs = central.jobs()
    jobs.run(START, central.profile.library_name)
    reports = jobs.catch_up(START + timedelta(days=5), central.profile.library_name)
    assert [r.day for r in reports] == [START + timedelta(days=n) for n in range(1, 6)]
    # Minh's hotspot is billed on 11-27 even though no tick ran that day by itself.
    assert ("2026-11-27", "billed", MINH) in {(d, k, w) for d, k, w, _l, _s in _notices(central)}
    again = jobs.catch_up(START + timedelta(days=5), central.profile.library_name)
    assert [r.done for r in again] == [{}]


@pytest.mark.parametrize("library", ["hefei", "hamburg", "sanjose"])
def test_demo_library_runs_three_weeks(open_store, library: str) -> None:
    central = open_store()
    load_fixture(
        REPO / "config" / "demo" / f"{library}.toml", central.sessions, PinHasher(central.settings)
    )
    profile = central.profile
    _run(central, 21)
    notices = _notices(central)
    holds = state(central)["holds"]
    # The demo's ready hold waiting since 16 days ago is past every library's pickup window.
    assert any(h[3] == "expired" for h in holds)
    kinds = {n[1] for n in notices}
    assert "hold_expired" in kinds
    if profile.notices.due_soon_days:
        assert "due_soon" in kinds
    billing = profile.rule_set(START).fines.bill_after_days
    billed = [fee for fee in state(central)["fees"] if fee[1] == "billed"]
    assert bool(billed) == (billing is not None)
    with central.sessions() as s:
        runs = s.scalar(select(func.count()).select_from(m.JobRun))
    assert runs == 21 * 6
