"""E-mailed receipts: the machine asks central to mail a receipt to the address on file.

A machine never learns a patron's e-mail address (central's API does not give it out). It
sends the receipt's lines, the card and the language the patron used at the machine;
central renders the e-mail in that language, queues it as a notice for the card's address
and sends it (docs/central-api.md, ``POST /v1/receipts``). A receipt id makes the request
idempotent: a retry after a lost answer never sends a second e-mail.

Used by the self-checkout's finish screen and by the return machine's "e-mail if you
identify" choice. With a SIP2 central there is no such message, so no mailer and no button.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from enum import StrEnum
from typing import Any, Protocol

import httpx

from kiosk.backend import Receipt, ReceiptChannel

log = logging.getLogger("kiosk.receipts")

ReceiptPrinter = Callable[[Receipt], bool]
"""Prints a receipt on the machine's printer; False when it could not."""


class MailOutcome(StrEnum):
    SENT = "sent"
    """Central queued the e-mail for the address on file (and sent it if it could)."""
    NO_EMAIL = "no_email"
    """The card has no e-mail address on file: offer print or no receipt."""
    UNKNOWN_CARD = "unknown_card"
    UNAVAILABLE = "unavailable"
    """Central did not answer (or refused the request): nothing was sent."""

    @property
    def sent(self) -> bool:
        return self is MailOutcome.SENT


class ReceiptMailer(Protocol):
    def email_receipt(
        self, card: str, receipt: Receipt, *, language: str, receipt_id: str | None = None
    ) -> MailOutcome:
        """Ask central to e-mail ``receipt`` to ``card``'s address on file."""
        ...


def receipt_to_wire(
    card: str, receipt: Receipt, *, language: str, receipt_id: str | None = None
) -> dict[str, Any]:
    """The JSON body of ``POST /v1/receipts``."""
    return {
        "receipt_id": receipt_id or str(uuid.uuid4()),
        "card": card,
        "language": language,
        "at": receipt.at.isoformat(),
        "offline": receipt.offline,
        "lines": [
            {
                "kind": line.kind,
                "title": line.title,
                "item": line.item,
                "due": line.due.isoformat() if line.due else None,
                "fine": str(line.fine) if line.fine else None,
            }
            for line in receipt.lines
        ],
    }


_ERRORS = {"no_email": MailOutcome.NO_EMAIL, "unknown_card": MailOutcome.UNKNOWN_CARD}


class HttpReceiptMailer:
    """``POST /v1/receipts`` on central's HTTP API, with the machine's own client."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def email_receipt(
        self, card: str, receipt: Receipt, *, language: str, receipt_id: str | None = None
    ) -> MailOutcome:
        body = receipt_to_wire(card, receipt, language=language, receipt_id=receipt_id)
        try:
            response = self.client.post("/v1/receipts", json=body)
        except httpx.HTTPError as error:
            log.info("e-mail receipt not sent, central unreachable: %s", error)
            return MailOutcome.UNAVAILABLE
        if response.status_code in (200, 201, 202):
            return MailOutcome.SENT
        try:
            code = str(response.json().get("error", {}).get("code", ""))
        except ValueError:
            code = ""
        outcome = _ERRORS.get(code, MailOutcome.UNAVAILABLE)
        if outcome is MailOutcome.UNAVAILABLE:
            log.warning("central refused an e-mail receipt: %s %s", response.status_code, code)
        return outcome


def deliver(
    printer: ReceiptPrinter | None,
    mailer: ReceiptMailer | None,
    card: str,
    receipt: Receipt,
    channel: ReceiptChannel,
) -> bool:
    """Print on the machine, or have central e-mail it to the address on file."""
    if channel is ReceiptChannel.PRINT:
        return printer is not None and printer(receipt)
    if channel is ReceiptChannel.EMAIL:
        if mailer is None or not card:
            return False
        outcome = mailer.email_receipt(
            card, receipt, language=receipt.language, receipt_id=receipt.receipt_id or None
        )
        return outcome.sent
    return True
