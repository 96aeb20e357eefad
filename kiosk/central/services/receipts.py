"""E-mailed receipts: queue a machine's receipt as a notice to the card's address on file.

The machine never sees the address. The receipt becomes a row of the notice table (kind
``receipt``), keyed by the machine's receipt id so a resend is a no-op, and is sent at once
by :meth:`ReceiptMail.send`; one that cannot be sent now stays queued and goes out with the
next ``kiosk central tick`` (``send_pending``).
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.central import models as m
from kiosk.central.errors import CentralError
from kiosk.central.notices.mail import EmlFolderMailer, Mailer, send_pending
from kiosk.central.notices.receipts import render_receipt
from kiosk.central.schemas import ReceiptIn, ReceiptOut
from kiosk.central.security import mask_card
from kiosk.central.settings import CentralSettings
from kiosk.clock import Clock, local_date
from kiosk.policy import Profile

log = logging.getLogger("kiosk.central.receipts")


class ReceiptMail:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        profile: Profile,
        clock: Clock,
        settings: CentralSettings,
        mailer: Mailer | None = None,
    ) -> None:
        self.sessions = sessions
        self.profile = profile
        self.clock = clock
        self.settings = settings
        self.mailer: Mailer = mailer or EmlFolderMailer(settings.mail_dir)

    @staticmethod
    def dedupe_key(receipt_id: str) -> str:
        return f"receipt:{receipt_id}"

    def queue(self, receipt: ReceiptIn, *, machine: str | None = None) -> ReceiptOut:
        """Queue the e-mail; ``unknown_card`` (404) or ``no_email`` (409) when it cannot be."""
        try:
            return self._queue(receipt, machine)
        except IntegrityError:
            # The same receipt id queued at this very moment (a resend racing the first
            # try): the unique key kept it to one notice; answer as for a resend.
            return self._queue(receipt, machine)

    def _queue(self, receipt: ReceiptIn, machine: str | None) -> ReceiptOut:
        key = self.dedupe_key(receipt.receipt_id)
        with self.sessions.begin() as s:
            patron = s.scalar(select(m.Patron).where(m.Patron.barcode == receipt.card))
            if patron is None:
                raise CentralError("unknown_card", "no patron has this card")
            if not patron.email:
                raise CentralError(
                    "no_email", "no e-mail address is on file for this card", status=409
                )
            known = s.scalar(select(m.Notice.patron_id).where(m.Notice.dedupe_key == key))
            if known is not None:
                if known != patron.id:  # a receipt id reused for another card: refuse it
                    raise CentralError(
                        "invalid_request", "this receipt id was used for another card"
                    )
                return ReceiptOut(receipt_id=receipt.receipt_id, queued=False)
            language, subject, body = render_receipt(
                receipt,
                library=self.profile.library_name,
                name=patron.name,
                zone=self.profile.zone,
                currency=self.profile.currency,
            )
            s.add(
                m.Notice(
                    dedupe_key=key,
                    patron_id=patron.id,
                    kind="receipt",
                    for_date=local_date(receipt.at, self.profile.timezone),
                    language=language,
                    email=patron.email,
                    subject=subject,
                    body=body,
                )
            )
        log.info(
            "receipt %s queued for %s (machine %s)",
            receipt.receipt_id,
            mask_card(receipt.card),
            machine,
        )
        return ReceiptOut(receipt_id=receipt.receipt_id, queued=True)

    def send(self, receipt_id: str) -> bool:
        """Send the queued receipt now; False when it stays queued for the next tick."""
        with self.sessions() as s:
            notice_id = s.scalar(
                select(m.Notice.id).where(m.Notice.dedupe_key == self.dedupe_key(receipt_id))
            )
        if notice_id is None:
            return False
        try:
            sent = send_pending(
                self.sessions,
                self.mailer,
                self.settings.mail_from,
                self.clock.now(),
                only=notice_id,
            )
        except OSError as error:  # a full disk or a mail server down: tick sends it later
            log.warning("receipt %s stays queued: %s", receipt_id, error)
            return False
        return sent == 1
