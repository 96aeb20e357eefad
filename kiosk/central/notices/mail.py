"""Sending notices. The default adapter writes each notice as an .eml file to a folder."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.central import models as m


class Mailer(Protocol):
    def send(self, message: EmailMessage, notice_id: int) -> None: ...


class EmlFolderMailer:
    """Writes ``<id>-<kind>.eml``; a mail server or a staff member picks them up."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage, notice_id: int) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / f"{notice_id:08d}-{message['X-Kiosk-Notice']}.eml"
        partial = target.with_suffix(".eml.part")
        partial.write_bytes(bytes(message))
        partial.replace(target)


def send_pending(
    sessions: sessionmaker[Session],
    mailer: Mailer,
    sender: str,
    now: datetime,
    *,
    only: int | None = None,
) -> int:
    """Send every queued notice with an e-mail address (or just notice ``only``); each is
    marked sent once."""
    sent = 0
    query = select(m.Notice.id).where(m.Notice.sent_at.is_(None), m.Notice.email.is_not(None))
    if only is not None:
        query = query.where(m.Notice.id == only)
    with sessions() as s:
        ids = list(s.scalars(query.order_by(m.Notice.id)))
    for notice_id in ids:
        with sessions.begin() as s:
            notice = s.get(m.Notice, notice_id, with_for_update=True)
            if notice is None or notice.sent_at is not None or not notice.email:
                continue
            message = EmailMessage()
            message["From"] = sender
            message["To"] = notice.email
            message["Subject"] = notice.subject
            message["Date"] = format_datetime(now)
            message["X-Kiosk-Notice"] = notice.kind
            message.set_content(notice.body)
            # After set_content, which drops every Content-* header set before it.
            message["Content-Language"] = notice.language.replace("_", "-")
            mailer.send(message, notice.id)
            notice.sent_at = now
            sent += 1
    return sent
