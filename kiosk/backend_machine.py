"""The session's backend on a real machine: writes through the outbox, reads from central.

Every checkout, renewal and return is a transaction committed to the machine's outbox before
the patron is told (:meth:`Forwarder.submit`): online, central's outcome is shown; when
central does not answer in time, the machine decides with the same policy code over its
cached snapshot (:class:`~kiosk.outbox.offline.OfflineDecider`). Reads (login, account, "is
this an item?") go to central through a :class:`CentralReads`; when central is unreachable
the cached snapshot answers what it can and the screen says what it cannot show.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import httpx

from kiosk.backend import (
    AccountInfo,
    CircReply,
    CircStatus,
    LoginReply,
    LoginStatus,
    PatronView,
    Problem,
    QueueInfo,
    ReasonView,
    Receipt,
    ReceiptChannel,
    mask_card,
)
from kiosk.domain import TxKind
from kiosk.outbox import Mode as LinkMode
from kiosk.outbox import Submitted
from kiosk.outbox.wiring import MachineQueue
from kiosk.receipt_mail import HttpReceiptMailer, ReceiptMailer, ReceiptPrinter, deliver

log = logging.getLogger("kiosk.backend")


class Unreachable(Exception):
    """Central did not answer a read."""


class CentralReads(Protocol):
    """Read-only questions to central; raise :class:`Unreachable` when it does not answer."""

    def login(self, card: str, pin: str | None) -> LoginReply: ...

    def account(self, card: str) -> AccountInfo | None: ...

    def item_exists(self, barcode: str) -> bool | None: ...

    def end_visit(self, card: str) -> None: ...


def _parse_date(value: Any) -> date | None:
    if not value:
        return None
    return date.fromisoformat(str(value)[:10])


def reply_from_submitted(kind: TxKind, item: str, submitted: Submitted) -> CircReply:
    """What the outbox answered (central's outcome or the machine's own decision)."""
    from kiosk.backend_central import circ_reply

    if submitted.delivery is not None:
        delivery = submitted.delivery
        return circ_reply(kind, item, delivery.outcome.value, delivery.reasons, delivery.result)
    decision = submitted.decision or {}
    reasons = tuple(ReasonView.from_wire(r) for r in decision.get("reasons") or ())
    if not decision.get("allowed"):
        key = reasons[0].message_key if reasons else "reason.unknown"
        return CircReply(CircStatus.REFUSED, item, key, reasons=reasons, offline=True)
    key = {TxKind.CHECKOUT: "checkout.ok", TxKind.RENEW: "renew.ok", TxKind.CHECKIN: "checkin.ok"}
    return CircReply(
        CircStatus.APPLIED, item, key[kind], None, _parse_date(decision.get("due")), offline=True
    )


class MachineBackend:
    """Implements :class:`kiosk.backend.Backend` and :class:`kiosk.backend.MachineControl`."""

    def __init__(
        self,
        reads: CentralReads,
        queue: MachineQueue,
        *,
        library_name: str,
        currency: str,
        receipts: ReceiptPrinter | None = None,
        mailer: ReceiptMailer | None = None,
        test_receipt: Callable[[], bool] | None = None,
        exceptions: Callable[[], list[Problem]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.reads = reads
        self.queue = queue
        self._library_name = library_name
        self._currency = currency
        self.receipts = receipts
        self.mailer = mailer
        """Central's e-mailed receipts; None (a SIP2 ILS): the machine offers print only."""
        self._test_receipt = test_receipt
        self._exceptions = exceptions
        self._now = clock
        self._visit_items: dict[str, int] = {}
        self._refused: deque[Problem] = deque(maxlen=100)
        self._offline_since: datetime | None = None
        self._lock = threading.Lock()
        queue.forwarder.on_mode_change(self._mode_changed)

    # --- facts ---------------------------------------------------------------------------

    @property
    def online(self) -> bool:
        return self.queue.forwarder.mode is LinkMode.ONLINE

    @property
    def library_name(self) -> str:
        return self._library_name

    @property
    def currency(self) -> str:
        return self._currency

    def _mode_changed(self, event: Any) -> None:
        self._offline_since = None if event.mode is LinkMode.ONLINE else self._now()

    # --- reads -----------------------------------------------------------------------------

    def login(self, card: str, pin: str | None) -> LoginReply:
        if self.online:
            try:
                reply = self.reads.login(card, pin)
            except Unreachable:
                log.info("central unreachable at login: deciding from the snapshot")
            else:
                if reply.status is LoginStatus.OK:
                    self._visit_items[card] = 0
                    if self.mailer is None and reply.patron is not None:
                        reply = replace(reply, patron=replace(reply.patron, has_email=False))
                return reply
        return self._offline_login(card)

    def _offline_login(self, card: str) -> LoginReply:
        """Offline a card is known from the snapshot; PINs are checked only by central."""
        found = self.queue.cache.get("snapshot")
        snapshot = found[0] if found else {}
        known = snapshot.get("patrons", {}).get(card)
        if known is None:
            return LoginReply(LoginStatus.UNKNOWN_CARD if found else LoginStatus.UNAVAILABLE)
        blocked = snapshot.get("blocked", {}).get(card) or []
        self._visit_items[card] = 0
        patron = PatronView(mask_card(card), mask_card(card), None, str(known.get("category", "")))
        return LoginReply(
            LoginStatus.OK,
            patron,
            notices=tuple(ReasonView(code) for code in blocked),
            offline=True,
        )

    def account(self, card: str) -> AccountInfo | None:
        if not self.online:
            return None
        try:
            return self.reads.account(card)
        except Unreachable:
            return None

    def item_exists(self, barcode: str) -> bool | None:
        if not self.online:
            return None
        try:
            return self.reads.item_exists(barcode)
        except Unreachable:
            return None

    # --- writes through the outbox ------------------------------------------------------------

    def _submit(
        self, kind: TxKind, payload: dict[str, Any], decide: Callable[[], dict[str, Any]]
    ) -> CircReply:
        submitted = self.queue.forwarder.submit(kind, payload, decide_offline=decide)
        reply = reply_from_submitted(kind, payload["item"], submitted)
        if not reply.applied:
            self._refused.append(Problem(self._now(), kind.value, payload["item"], reply.codes))
        return reply

    def checkout(self, card: str, item: str) -> CircReply:
        with self._lock:
            count = self._visit_items.get(card, 0)
        reply = self._submit(
            TxKind.CHECKOUT,
            {"patron": card, "item": item},
            lambda: self.queue.decider.checkout(card, item, items_this_visit=count),
        )
        if reply.applied:
            with self._lock:
                self._visit_items[card] = count + 1
        return reply

    def renew(self, card: str, item: str) -> CircReply:
        def refuse() -> dict[str, Any]:
            code = "not_renewable_offline"
            return {
                "allowed": False,
                "reasons": [{"code": code, "message_key": f"reason.{code}", "params": {}}],
            }

        return self._submit(TxKind.RENEW, {"patron": card, "item": item}, refuse)

    def checkin(self, item: str) -> CircReply:
        return self._submit(
            TxKind.CHECKIN, {"item": item}, lambda: self.queue.decider.checkin(item)
        )

    def deliver_receipt(self, card: str, receipt: Receipt, channel: ReceiptChannel) -> bool:
        return deliver(self.receipts, self.mailer, card, receipt, channel)

    def end_visit(self, card: str) -> None:
        with self._lock:
            self._visit_items.pop(card, None)
        with contextlib.suppress(Unreachable):
            self.reads.end_visit(card)

    # --- technician ------------------------------------------------------------------------

    def queue_info(self) -> QueueInfo:
        status = self.queue.outbox.status()
        return QueueInfo(
            depth=status.depth,
            oldest_age_s=status.oldest_age_s or 0.0,
            last_error=status.last_error or "",
            offline_since=self._offline_since,
        )

    def force_sync(self) -> int:
        before = self.queue.outbox.depth()
        self.queue.forwarder.wake()
        self.queue.forwarder.drain(timeout=5.0)
        return max(before - self.queue.outbox.depth(), 0)

    def test_receipt(self) -> bool:
        return bool(self._test_receipt and self._test_receipt())

    def problems(self) -> list[Problem]:
        found = list(self._refused)
        if self._exceptions is not None and self.online:
            try:
                found.extend(self._exceptions())
            except Exception:  # a technician view: never fatal
                log.warning("could not fetch central's exceptions", exc_info=True)
        return sorted(found, key=lambda p: p.at)


class ServiceReads:
    """Reads from a central running in this process (``kiosk demo``); ``reachable`` is the
    demo's network switch."""

    def __init__(self, backend: Any, reachable: Callable[[], bool] = lambda: True) -> None:
        self.backend = backend  # a kiosk.backend_central.CentralBackend
        self.reachable = reachable

    def _check(self) -> None:
        if not self.reachable():
            raise Unreachable("network cut")

    def login(self, card: str, pin: str | None) -> LoginReply:
        self._check()
        return self.backend.login(card, pin)

    def account(self, card: str) -> AccountInfo | None:
        self._check()
        return self.backend.account(card)

    def item_exists(self, barcode: str) -> bool | None:
        self._check()
        return self.backend.item_exists(barcode)

    def end_visit(self, card: str) -> None:
        self._check()
        self.backend.end_visit(card)


def machine_client(
    base_url: str,
    machine: str,
    secret: str,
    *,
    timeout: float | httpx.Timeout,
    verify: str | bool = True,
) -> httpx.Client:
    """An HTTP client for central's API, signed in as ``machine`` (docs/central-api.md)."""
    return httpx.Client(
        base_url=base_url.rstrip("/"),
        headers={"Authorization": f"Bearer {secret}", "X-Kiosk-Machine": machine},
        timeout=timeout,
        verify=verify,
    )


class HttpReads:
    """Reads over central's HTTP API (docs/central-api.md), for ``kiosk run``."""

    def __init__(
        self,
        base_url: str,
        machine: str,
        secret: str,
        *,
        timeout_s: float = 3.0,
        verify: str | bool = True,
    ) -> None:
        self.client = machine_client(base_url, machine, secret, timeout=timeout_s, verify=verify)
        self.machine = machine
        self._sessions: dict[str, str] = {}

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = self.client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise Unreachable(str(error)) from error
        if response.status_code >= 500:
            raise Unreachable(f"central answered {response.status_code}")
        return response

    def login(self, card: str, pin: str | None) -> LoginReply:
        from kiosk.backend_central import login_reply, login_reply_from_error

        response = self._request("POST", "/v1/patrons/login", json={"card": card, "pin": pin})
        if response.status_code != 200:
            error = response.json().get("error", {})
            code = str(error.get("code", "unknown"))
            return login_reply_from_error(code, dict(error.get("params") or {}))
        body = response.json()
        self._sessions[card] = body["session"]
        return login_reply(body)

    def account(self, card: str) -> AccountInfo | None:
        from kiosk.backend_central import account_info

        session = self._sessions.get(card, "")
        response = self._request(
            "GET", f"/v1/patrons/{card}/account", headers={"X-Patron-Session": session}
        )
        if response.status_code != 200:
            return None
        return account_info(response.json())

    def item_exists(self, barcode: str) -> bool | None:
        response = self._request("GET", f"/v1/items/{barcode}")
        return response.status_code == 200

    @property
    def mailer(self) -> HttpReceiptMailer:
        """E-mailed receipts over the same client (``POST /v1/receipts``)."""
        return HttpReceiptMailer(self.client)

    def end_visit(self, card: str) -> None:
        self._sessions.pop(card, None)

    def exceptions(self, days: int = 7) -> list[Problem]:
        """This machine's offline facts central flagged in the last ``days`` (for the
        technician screen); raises :class:`Unreachable` when central does not answer."""
        since = datetime.now(UTC) - timedelta(days=days)
        response = self._request("GET", "/v1/exceptions", params={"since": since.isoformat()})
        if response.status_code != 200:
            raise Unreachable(f"central answered {response.status_code}")
        return [
            Problem(
                datetime.fromisoformat(row["occurred_at"].replace("Z", "+00:00")),
                row["kind"],
                row.get("item") or "",
                tuple(r["code"] for r in row.get("reasons") or ()),
                "central",
            )
            for row in response.json().get("exceptions", [])
            if row.get("machine_id") == self.machine
        ]

    def close(self) -> None:
        self.client.close()
