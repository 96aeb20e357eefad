"""The session's backend over central's service layer, in the same process.

``kiosk demo`` runs central embedded on SQLite; this adapter turns the service's answers
(:class:`~kiosk.central.services.CirculationService`) into the session's replies. Online
checkouts, renewals and returns are transactions applied by central, which decides; the
machine's own offline decisions come from the outbox (see :mod:`kiosk.backend_machine`).
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from kiosk.backend import (
    AccountInfo,
    CircReply,
    CircStatus,
    FeeInfo,
    HoldInfo,
    LoanInfo,
    LoginReply,
    LoginStatus,
    PatronView,
    ReasonView,
    Receipt,
    ReceiptChannel,
)
from kiosk.central import Central
from kiosk.central.errors import CentralError
from kiosk.central.schemas import ReceiptIn
from kiosk.domain import Transaction, TxKind, TxMode, TxOutcome
from kiosk.domain.money import ZERO
from kiosk.receipt_mail import (
    MailOutcome,
    ReceiptMailer,
    ReceiptPrinter,
    deliver,
    receipt_to_wire,
)

if TYPE_CHECKING:
    from kiosk.central.services import CirculationService

log = logging.getLogger("kiosk.backend")


class ServiceReceiptMailer:
    """E-mailed receipts through an embedded central's service (``kiosk demo``, tests).

    ``reachable`` is the demo's network switch: with the network cut, nothing is sent.
    """

    def __init__(
        self,
        service: CirculationService,
        *,
        machine: str | None = None,
        reachable: Callable[[], bool] = lambda: True,
    ) -> None:
        self.service = service
        self.machine = machine
        self.reachable = reachable

    def email_receipt(
        self, card: str, receipt: Receipt, *, language: str, receipt_id: str | None = None
    ) -> MailOutcome:
        if not self.reachable():
            return MailOutcome.UNAVAILABLE
        try:
            body = ReceiptIn.model_validate(
                receipt_to_wire(card, receipt, language=language, receipt_id=receipt_id)
            )
            out = self.service.receipts.queue(body, machine=self.machine)
        except ValidationError as error:
            log.warning("receipt not e-mailed, it does not validate: %s", error)
            return MailOutcome.UNAVAILABLE
        except CentralError as error:
            if error.code in (MailOutcome.NO_EMAIL.value, MailOutcome.UNKNOWN_CARD.value):
                return MailOutcome(error.code)
            log.warning("receipt not e-mailed: %s", error.code)
            return MailOutcome.UNAVAILABLE
        if out.queued:
            self.service.receipts.send(body.receipt_id)
        return MailOutcome.SENT


def login_reply_from_error(code: str, params: dict[str, Any]) -> LoginReply:
    """Central's login refusals (error code and parameters) as the session's statuses."""
    match code:
        case "pin_required":
            return LoginReply(LoginStatus.PIN_REQUIRED)
        case "wrong_pin":
            return LoginReply(LoginStatus.WRONG_PIN, attempts_left=params.get("attempts_left"))
        case "card_locked":
            until = params.get("locked_until")
            return LoginReply(
                LoginStatus.CARD_LOCKED,
                locked_until=datetime.fromisoformat(until) if until else None,
            )
        case "unknown_card":
            return LoginReply(LoginStatus.UNKNOWN_CARD)
    reasons = tuple(ReasonView.from_wire(r) for r in params.get("reasons") or ())
    return LoginReply(LoginStatus.REFUSED, reasons=reasons or (ReasonView(code),))


def login_reply(out: Any) -> LoginReply:
    """Central's login answer (its LoginOut, or that as JSON) as the session's reply.

    Its ``notices`` (a staff block, an expired card) are told at once; the rules refuse a
    checkout for them later."""
    data = out.model_dump(mode="json") if hasattr(out, "model_dump") else dict(out)
    patron = data["patron"]
    view = PatronView(
        card_masked=patron["card_masked"],
        name=patron["name"],
        language=patron.get("language"),
        category=patron.get("category", ""),
        has_email=bool(patron.get("has_email")),
    )
    return LoginReply(
        LoginStatus.OK,
        view,
        notices=tuple(ReasonView.from_wire(r) for r in data.get("notices") or ()),
        pin_change_required=bool(data.get("pin_change_required")),
    )


def circ_reply(
    kind: TxKind,
    item: str,
    outcome: str,
    reasons: Any,
    result: dict[str, Any],
    *,
    offline: bool = False,
) -> CircReply:
    """One transaction outcome (central's or the machine's) as the session's reply."""
    views = tuple(ReasonView.from_wire(r) for r in reasons or ())
    title = result.get("title")
    due = result.get("due")
    if isinstance(due, str):
        due = date.fromisoformat(due[:10])
    fine = (
        Decimal(str(result.get("fine") or result.get("fee") or "0"))
        if kind is TxKind.CHECKIN
        else ZERO
    )
    if outcome == TxOutcome.REFUSED.value:
        key = views[0].message_key if views else "reason.unknown"
        return CircReply(CircStatus.REFUSED, item, key, title, None, views, offline=offline)
    key = {
        TxKind.CHECKOUT: "checkout.ok",
        TxKind.RENEW: "renew.ok",
        TxKind.CHECKIN: "checkin.fine" if fine > 0 else "checkin.ok",
    }[kind]
    notices = views if outcome == TxOutcome.EXCEPTION.value else ()
    return CircReply(CircStatus.APPLIED, item, key, title, due, notices, fine=fine, offline=offline)


def account_info(view: Any) -> AccountInfo:
    """Central's AccountView (pydantic or its JSON) as the session's account."""
    data = view.model_dump(mode="json") if hasattr(view, "model_dump") else dict(view)
    return AccountInfo(
        loans=tuple(
            LoanInfo(
                item=loan["item"],
                title=loan["title"],
                due=date.fromisoformat(loan["due"]),
                renewals=int(loan.get("renewals", 0)),
                overdue=bool(loan.get("overdue")),
            )
            for loan in data.get("loans", [])
        ),
        holds=tuple(
            HoldInfo(
                title=hold["title"],
                status=hold["status"],
                pickup_branch=hold["pickup_branch"],
                item=hold.get("item"),
                pickup_by=date.fromisoformat(hold["pickup_by"]) if hold.get("pickup_by") else None,
            )
            for hold in data.get("holds", [])
        ),
        fees=tuple(
            FeeInfo(
                kind=fee["kind"], outstanding=Decimal(fee["outstanding"]), title=fee.get("title")
            )
            for fee in data.get("fees", [])
        ),
        credit=Decimal(data.get("credit", "0")),
        balance=Decimal(data.get("balance", "0")),
        currency=data.get("currency", "EUR"),
    )


class CentralBackend:
    """Online only: every question goes to the embedded central's service."""

    def __init__(
        self,
        central: Central,
        *,
        machine_id: str = "kiosk-1",
        receipts: ReceiptPrinter | None = None,
        mailer: ReceiptMailer | None = None,
    ) -> None:
        self.central = central
        self.service = central.service
        self.machine_id = machine_id
        self.receipts = receipts
        self.mailer = mailer or ServiceReceiptMailer(self.service, machine=machine_id)
        self._seq = itertools.count(1)
        self._sessions: dict[str, str] = {}
        self._lock = threading.Lock()

    @property
    def online(self) -> bool:
        return True

    @property
    def library_name(self) -> str:
        return self.service.profile.library_name

    @property
    def currency(self) -> str:
        return self.service.currency

    def login(self, card: str, pin: str | None) -> LoginReply:
        try:
            out = self.service.login(card, pin, machine=self.machine_id)
        except CentralError as error:
            return login_reply_from_error(error.code, error.params)
        self._sessions[card] = out.session
        return login_reply(out)

    def _apply(self, kind: TxKind, payload: dict[str, Any]) -> CircReply:
        with self._lock:
            seq = next(self._seq)
        tx = Transaction(
            machine_id=self.machine_id,
            seq=seq,
            kind=kind,
            occurred_at=self.service.clock.now(),
            mode=TxMode.ONLINE,
            payload=payload,
        )
        result = self.service.apply(tx)
        wire = result.to_wire()
        return circ_reply(kind, payload["item"], wire["outcome"], wire["reasons"], wire["result"])

    def item_exists(self, barcode: str) -> bool | None:
        try:
            self.service.item_status(barcode)
        except CentralError:
            return False
        return True

    def checkout(self, card: str, item: str) -> CircReply:
        return self._apply(TxKind.CHECKOUT, {"patron": card, "item": item})

    def renew(self, card: str, item: str) -> CircReply:
        return self._apply(TxKind.RENEW, {"patron": card, "item": item})

    def checkin(self, item: str) -> CircReply:
        return self._apply(TxKind.CHECKIN, {"item": item})

    def account(self, card: str) -> AccountInfo | None:
        try:
            return account_info(self.service.account(card))
        except CentralError as error:
            log.warning("account not available: %s", error.code)
            return None

    def deliver_receipt(self, card: str, receipt: Receipt, channel: ReceiptChannel) -> bool:
        return deliver(self.receipts, self.mailer, card, receipt, channel)

    def end_visit(self, card: str) -> None:
        token = self._sessions.pop(card, None)
        if token:
            self.service.logout(token)
