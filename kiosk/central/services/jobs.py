"""The daily jobs behind ``kiosk central tick``: idempotent for a given date.

Each job runs in its own database transaction and records a ``job_run`` row for the date,
so running ``tick`` twice for a day (or crashing halfway and re-running) does every job
exactly once. Notices also carry a unique key, so no patron is told twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.central import models as m
from kiosk.central.notices.templates import render
from kiosk.central.services import mapping
from kiosk.central.services.transactions import TransactionApplier, release_shelf_item
from kiosk.domain import TxMode, TxOutcome
from kiosk.policy import (
    Profile,
    due_soon_notice_date,
    is_billable,
    lost_item_charge,
    pickup_deadline,
)

log = logging.getLogger("kiosk.central.jobs")

NOTICE_WINDOW_DAYS = 3
JOBS = ("auto_renew", "billing", "hold_expiry", "hold_ready", "due_soon", "sessions")


@dataclass
class TickReport:
    day: date
    done: dict[str, dict[str, Any]]
    skipped: list[str]

    def lines(self) -> list[str]:
        out = [f"tick {self.day.isoformat()}:"]
        for job, summary in self.done.items():
            details = ", ".join(f"{k}={v}" for k, v in summary.items()) or "nothing to do"
            out.append(f"  {job}: {details}")
        for job in self.skipped:
            out.append(f"  {job}: already done for this date")
        return out


class DailyJobs:
    def __init__(
        self, sessions: sessionmaker[Session], profile: Profile, applier: TransactionApplier
    ) -> None:
        self.sessions = sessions
        self.profile = profile
        self.applier = applier

    def _start_of(self, day: date) -> datetime:
        """Jobs for ``day`` act just after local midnight."""
        return datetime.combine(day, time(0, 5), tzinfo=self.profile.zone)

    def catch_up(self, day: date, library_name: str, *, max_days: int = 62) -> list[TickReport]:
        """Run every day missed since the last tick (at most ``max_days`` back), then ``day``.

        A library whose cron skipped days still renews, notifies and bills as if it had not.
        """
        with self.sessions() as s:
            last = s.scalar(
                select(func.max(m.JobRun.run_date)).where(
                    m.JobRun.job == JOBS[-1], m.JobRun.run_date < day
                )
            )
        first = day
        if last is not None and (day - last).days <= max_days:
            first = last + timedelta(days=1)
        reports = []
        current = first
        while current <= day:
            reports.append(self.run(current, library_name))
            current += timedelta(days=1)
        return reports

    def run(self, day: date, library_name: str) -> TickReport:
        report = TickReport(day=day, done={}, skipped=[])
        steps: dict[str, Callable[[Session, date, str], dict[str, Any]]] = {
            "auto_renew": self.auto_renew,
            "billing": self.billing,
            "hold_expiry": self.hold_expiry,
            "hold_ready": self.hold_ready,
            "due_soon": self.due_soon,
            "sessions": self.purge_sessions,
        }
        for job in JOBS:
            with self.sessions.begin() as s:
                if s.get(m.JobRun, (job, day)) is not None:
                    report.skipped.append(job)
                    continue
                summary = steps[job](s, day, library_name)
                s.add(
                    m.JobRun(
                        job=job,
                        run_date=day,
                        finished_at=datetime.now(self.profile.zone),
                        summary=summary,
                    )
                )
                report.done[job] = summary
        return report

    # jobs ----------------------------------------------------------------------------
    def auto_renew(self, s: Session, day: date, _library: str) -> dict[str, Any]:
        when = self._start_of(day)
        renewed = refused = 0
        rows = s.execute(
            select(m.Loan, m.Patron, m.Item)
            .join(m.Patron, m.Loan.patron_id == m.Patron.id)
            .join(m.Item, m.Loan.item_id == m.Item.id)
            .where(m.Loan.due == day)
            .order_by(m.Loan.id)
        )
        for loan, patron, item in list(rows):
            applied = self.applier.renew_loan(
                s, TxMode.ONLINE, when, patron, item, loan, automatic=True
            )
            if applied.outcome is TxOutcome.APPLIED:
                renewed += 1
            else:
                refused += 1
        return {"renewed": renewed, "not_renewed": refused}

    def billing(self, s: Session, day: date, library: str) -> dict[str, Any]:
        billed = 0
        rows = s.execute(
            select(m.Loan, m.Patron, m.Item)
            .join(m.Patron, m.Loan.patron_id == m.Patron.id)
            .join(m.Item, m.Loan.item_id == m.Item.id)
            .where(m.Loan.due < day, m.Loan.billed_on.is_(None))
            .order_by(m.Loan.id)
        )
        for loan, patron, item in list(rows):
            if not is_billable(
                self.profile, mapping.loan_of(loan, patron.barcode, item.barcode), day
            ):
                continue
            amount = lost_item_charge(self.profile, mapping.item_of(item), day)
            s.add(
                m.Fee(
                    patron_id=patron.id,
                    kind="billed",
                    amount=amount,
                    paid=0,
                    item_id=item.id,
                    created=day,
                )
            )
            loan.billed_on = day
            billed += 1
            self._notice(
                s,
                f"billed:{loan.id}:{loan.due}",
                patron,
                "billed",
                day,
                library=library,
                title=item.title,
                due=loan.due.isoformat(),
                amount=f"{amount} {self.profile.currency}",
            )
        return {"billed": billed}

    def hold_expiry(self, s: Session, day: date, library: str) -> dict[str, Any]:
        expired = 0
        rows = s.execute(
            select(m.Hold, m.Patron)
            .join(m.Patron, m.Hold.patron_id == m.Patron.id)
            .where(m.Hold.status == "ready", m.Hold.ready_since.is_not(None))
            .order_by(m.Hold.ready_since, m.Hold.id)
        )
        for hold, patron in list(rows):
            assert hold.ready_since is not None
            deadline = pickup_deadline(self.profile, hold.ready_since)
            if deadline >= day:
                continue
            item = s.get(m.Item, hold.ready_item_id) if hold.ready_item_id else None
            hold.status = "expired"
            hold.ready_item_id = None
            s.flush()
            if item is not None:
                release_shelf_item(s, item, day)
            expired += 1
            self._notice(
                s,
                f"hold_expired:{hold.id}",
                patron,
                "hold_expired",
                day,
                library=library,
                title=hold.title or (item.title if item else ""),
                pickup_by=deadline.isoformat(),
            )
        return {"expired": expired}

    def hold_ready(self, s: Session, day: date, library: str) -> dict[str, Any]:
        queued = 0
        rows = s.execute(
            select(m.Hold, m.Patron, m.Item)
            .join(m.Patron, m.Hold.patron_id == m.Patron.id)
            .join(m.Item, m.Hold.ready_item_id == m.Item.id)
            .where(m.Hold.status == "ready", m.Hold.ready_since <= day)
            # Holds made ready since the last few ticks; older ones were told already.
            .where(m.Hold.ready_since >= day - timedelta(days=NOTICE_WINDOW_DAYS))
            .order_by(m.Hold.id)
        )
        for hold, patron, item in list(rows):
            assert hold.ready_since is not None
            queued += self._notice(
                s,
                f"hold_ready:{hold.id}:{hold.ready_since}",
                patron,
                "hold_ready",
                day,
                library=library,
                title=item.title,
                pickup_branch=hold.pickup_branch,
                pickup_by=pickup_deadline(self.profile, hold.ready_since).isoformat(),
            )
        return {"notices": queued}

    def due_soon(self, s: Session, day: date, library: str) -> dict[str, Any]:
        days = self.profile.notices.due_soon_days
        if days is None:
            return {"notices": 0, "note": "the profile sends no due-soon notices"}
        target = day + timedelta(days=days)
        queued = 0
        rows = s.execute(
            select(m.Loan, m.Patron, m.Item)
            .join(m.Patron, m.Loan.patron_id == m.Patron.id)
            .join(m.Item, m.Loan.item_id == m.Item.id)
            .where(m.Loan.due == target, m.Patron.email.is_not(None))
            .order_by(m.Loan.id)
        )
        for loan, patron, item in list(rows):
            if due_soon_notice_date(self.profile, loan.due) != day:
                continue
            queued += self._notice(
                s,
                f"due_soon:{loan.id}:{loan.due}",
                patron,
                "due_soon",
                day,
                library=library,
                title=item.title,
                due=loan.due.isoformat(),
            )
        return {"notices": queued}

    def purge_sessions(self, s: Session, day: date, _library: str) -> dict[str, Any]:
        result = s.execute(
            delete(m.PatronSession).where(m.PatronSession.expires_at < self._start_of(day))
        )
        return {"expired_sessions": result.rowcount or 0}

    # notices -------------------------------------------------------------------------
    def _notice(
        self, s: Session, key: str, patron: m.Patron, kind: str, day: date, **params: Any
    ) -> int:
        """Queue a notice once per key; returns 1 when queued now, 0 when it already was."""
        if s.scalar(select(m.Notice.id).where(m.Notice.dedupe_key == key)) is not None:
            return 0
        language, subject, body = render(kind, patron.language, name=patron.name, **params)
        s.add(
            m.Notice(
                dedupe_key=key,
                patron_id=patron.id,
                kind=kind,
                for_date=day,
                language=language,
                email=patron.email,
                subject=subject,
                body=body,
            )
        )
        s.flush()
        return 1
