"""A SIP2 target for the outbox forwarder: our machines in front of an existing ILS.

With ``central.kind = "sip2"`` the forwarder delivers each queued transaction as a SIP2
request to the library's own system (Koha, Evergreen, FOLIO …) instead of central's HTTP API.

- One connection, logged in with message 93; a 99 status after login tells whether the ACS
  is online and whether it accepts offline transactions (``offline ok``).
- Sequence numbers and checksums (AY/AZ); a 96 makes the client resend, a garbled reply a 97.
- Offline transactions are replayed with ``no block = Y`` and their original dates, but only
  when the ACS says ``offline ok = Y``; otherwise they go as ordinary requests (still with
  their original dates) and a refusal becomes an exception for staff.
- Every request and response is written to a reconciliation record (SQLite), which also
  makes the target safe to retry: a transaction already answered is never sent again, and a
  non-idempotent one (checkout, renewal, payment) whose reply was lost is not resent blindly
  but reported for staff to check at the ILS.

The forwarder is synchronous (one thread); the target talks through a
:class:`~kiosk.sip2.link.Sip2Link`, which runs the asyncio client on a private event loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from kiosk.domain import Transaction, TxKind, TxMode, TxOutcome
from kiosk.outbox.store import Delivery
from kiosk.outbox.target import TargetUnavailable
from kiosk.sip2.codec import BLANK_DATE, Codec, Message, format_date, make, parse_date
from kiosk.sip2.errors import Sip2Error
from kiosk.sip2.link import AcsState, Sip2Link, Sip2LinkSettings

log = logging.getLogger("kiosk.sip2.target")

#: Kinds a resend could apply twice at an ILS that is not idempotent.
NOT_IDEMPOTENT = frozenset({TxKind.CHECKOUT, TxKind.RENEW, TxKind.PAY_FEE, TxKind.PLACE_HOLD})


Sip2TargetSettings = Sip2LinkSettings
"""The target's settings are the link's (host, login, institution, time zone …)."""


@dataclass(frozen=True)
class Reconciliation:
    """One exchange as the technician screen lists it."""

    uuid: str
    kind: str
    mode: str
    state: str
    """``sent`` (no reply yet), ``answered``, ``uncertain`` (reply lost), ``not_sent``."""
    outcome: str | None
    request: str
    response: str | None
    screen_message: str
    at: str
    details: dict[str, Any] = field(default_factory=dict)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS sip2_exchange (
    uuid TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    mode TEXT NOT NULL,
    state TEXT NOT NULL,
    outcome TEXT,
    request TEXT NOT NULL,
    response TEXT,
    delivery TEXT,
    screen_message TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
)
"""


class ReconciliationLog:
    """Every SIP2 exchange of the target, keyed by transaction UUID (SQLite, WAL)."""

    def __init__(self, path: Path | None) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path) if path else ":memory:", check_same_thread=False)
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute(_SCHEMA)
        self._db.commit()

    def get(self, uuid: str) -> tuple[str, Delivery | None] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT state, delivery FROM sip2_exchange WHERE uuid = ?", (uuid,)
            ).fetchone()
        if row is None:
            return None
        state, delivery = row
        return state, Delivery.from_wire(json.loads(delivery)) if delivery else None

    def sent(self, tx: Transaction, request: bytes, codec: Codec) -> None:
        self._write(
            "INSERT OR REPLACE INTO sip2_exchange (uuid, kind, mode, state, request, at) "
            "VALUES (?, ?, ?, 'sent', ?, ?)",
            (tx.uuid, tx.kind.value, tx.mode.value, _text(request, codec), _now()),
        )

    def answered(
        self,
        tx: Transaction,
        state: str,
        delivery: Delivery,
        response: bytes | None,
        codec: Codec,
        screen: str = "",
        request: bytes | None = None,
    ) -> None:
        self._write(
            "INSERT INTO sip2_exchange (uuid, kind, mode, state, outcome, request, response, "
            "delivery, screen_message, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(uuid) DO UPDATE SET state = excluded.state, outcome = excluded.outcome, "
            "response = excluded.response, delivery = excluded.delivery, "
            "screen_message = excluded.screen_message, at = excluded.at",
            (
                tx.uuid,
                tx.kind.value,
                tx.mode.value,
                state,
                delivery.outcome.value,
                _text(request, codec) if request else "",
                _text(response, codec) if response else None,
                json.dumps(delivery.to_wire(), default=str),
                screen,
                _now(),
            ),
        )

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._lock:
            self._db.execute(sql, params)
            self._db.commit()

    def rows(self, limit: int = 200) -> list[Reconciliation]:
        with self._lock:
            rows = self._db.execute(
                "SELECT uuid, kind, mode, state, outcome, request, response, screen_message, at, "
                "delivery FROM sip2_exchange ORDER BY at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            Reconciliation(*row[:9], details=json.loads(row[9]) if row[9] else {}) for row in rows
        ]

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _now() -> str:
    return datetime.now(UTC).isoformat()


def _text(frame: bytes | None, codec: Codec) -> str:
    if frame is None:
        return ""
    return frame.decode(codec.encoding, "replace").rstrip("\r")


class Sip2Target:
    """The forwarder's :class:`~kiosk.outbox.target.Target` for a SIP2 ACS."""

    name = "sip2"
    SUPPORTS_SNAPSHOT: ClassVar[bool] = False

    def __init__(self, settings: Sip2LinkSettings, link: Sip2Link | None = None) -> None:
        self.settings = settings
        self.link = link or Sip2Link(settings)
        self.codec = self.link.codec
        self.zone = ZoneInfo(settings.timezone)
        self.log = ReconciliationLog(settings.reconciliation)

    @property
    def state(self) -> AcsState:
        return self.link.state

    # ------------------------------------------------------------------ Target

    def send(self, transactions: Sequence[Transaction]) -> list[Delivery]:
        deliveries: list[Delivery] = []
        for tx in transactions:
            known = self.log.get(tx.uuid)
            if known is not None and known[1] is not None:
                first = known[1]
                deliveries.append(
                    Delivery(
                        uuid=first.uuid,
                        outcome=first.outcome,
                        duplicate=True,
                        reasons=first.reasons,
                        message_key=first.message_key,
                        result=first.result,
                    )
                )
                continue
            if known is not None and known[0] == "sent" and tx.kind in NOT_IDEMPOTENT:
                deliveries.append(self._uncertain(tx))
                continue
            deliveries.append(self._send_one(tx))
        return deliveries

    def fetch_policy(self) -> dict[str, Any]:
        raise TargetUnavailable("a SIP2 library system has no policy document to cache")

    def fetch_snapshot(self) -> dict[str, Any]:
        raise TargetUnavailable("a SIP2 library system has no offline snapshot")

    def heartbeat(self, *, queue_depth: int, oldest_age_s: float, mode: str) -> None:
        """A 99 SC status (status 0 = OK) keeps the connection alive and the ACS state fresh."""
        try:
            self.link.status()
        except Sip2Error as error:
            raise TargetUnavailable(str(error)) from error

    def close(self) -> None:
        self.link.close()
        self.log.close()

    def reconciliation(self, limit: int = 200) -> list[Reconciliation]:
        return self.log.rows(limit)

    # ------------------------------------------------------------------ one transaction

    def _send_one(self, tx: Transaction) -> Delivery:
        if not self.link.connected:
            try:
                self.link.status()  # log in and learn whether offline transactions are welcome
            except Sip2Error as error:
                raise TargetUnavailable(str(error)) from error
        request = self._request(tx)
        if request is None:
            delivery = Delivery(
                uuid=tx.uuid,
                outcome=TxOutcome.REFUSED if tx.mode is TxMode.ONLINE else TxOutcome.EXCEPTION,
                reasons=(
                    {
                        "code": "not_supported_by_sip2",
                        "message_key": "reason.unavailable",
                        "params": {"kind": tx.kind.value},
                    },
                ),
                message_key="reason.unavailable",
            )
            self.log.answered(tx, "not_sent", delivery, None, self.codec)
            return delivery
        self.log.sent(tx, self.codec.encode(request), self.codec)
        exchanged: dict[str, bytes] = {}
        try:
            response = self.link.request(
                request, lambda req, resp: exchanged.update(request=req, response=resp)
            )
        except Sip2Error as error:
            raise TargetUnavailable(f"SIP2 exchange failed: {error}") from error
        delivery, screen = self._delivery(tx, response)
        self.log.answered(
            tx,
            "answered",
            delivery,
            exchanged.get("response"),
            self.codec,
            screen,
            request=exchanged.get("request"),
        )
        return delivery

    def _uncertain(self, tx: Transaction) -> Delivery:
        delivery = Delivery(
            uuid=tx.uuid,
            outcome=TxOutcome.EXCEPTION,
            reasons=(
                {
                    "code": "sip2_outcome_unknown",
                    "message_key": "reason.unavailable",
                    "params": {"kind": tx.kind.value},
                },
            ),
            message_key="tx.exception",
        )
        self.log.answered(tx, "uncertain", delivery, None, self.codec)
        log.warning(
            "SIP2 %s %s was sent but its reply was lost: not resent (the ILS may have applied it)",
            tx.kind.value,
            tx.uuid,
        )
        return delivery

    def _date(self, when: datetime) -> str:
        return format_date(when.astimezone(self.zone))

    def _request(self, tx: Transaction) -> Message | None:
        s, p = self.settings, tx.payload
        offline = tx.mode is TxMode.OFFLINE
        no_block = "Y" if offline and self.state.offline_ok else "N"
        when = self._date(tx.occurred_at)
        common = [("AO", s.institution)]
        if tx.kind is TxKind.CHECKOUT:
            due = BLANK_DATE
            if offline and p.get("due"):
                due = format_date(datetime.fromisoformat(f"{str(p['due'])[:10]}T23:59:59"))
            return make(
                "11",
                [
                    *common,
                    ("AA", p.get("patron", "")),
                    ("AB", p.get("item", "")),
                    ("AC", s.terminal_password),
                    ("BO", "Y"),
                    ("BI", "N"),
                ],
                sc_renewal_policy="N",
                no_block=no_block,
                transaction_date=when,
                nb_due_date=due,
            )
        if tx.kind is TxKind.CHECKIN:
            return make(
                "09",
                [
                    ("AP", p.get("branch") or s.location),
                    *common,
                    ("AB", p.get("item", "")),
                    ("AC", s.terminal_password),
                    ("BI", "N"),
                ],
                no_block=no_block,
                transaction_date=when,
                return_date=when,
            )
        if tx.kind is TxKind.RENEW:
            return make(
                "29",
                [
                    *common,
                    ("AA", p.get("patron", "")),
                    ("AB", p.get("item", "")),
                    ("AC", s.terminal_password),
                    ("BO", "Y"),
                ],
                third_party_allowed="N",
                no_block=no_block,
                transaction_date=when,
                nb_due_date=BLANK_DATE,
            )
        if tx.kind is TxKind.PLACE_HOLD:
            return make(
                "15",
                [
                    ("BS", p.get("pickup_branch")),
                    *common,
                    ("AA", p.get("patron", "")),
                    ("AB", p.get("item")),
                    ("AJ", p.get("title")),
                    ("AC", s.terminal_password),
                    ("BO", "Y"),
                ],
                hold_mode="+",
                transaction_date=when,
            )
        if tx.kind is TxKind.PAY_FEE:
            return make(
                "37",
                [
                    ("BV", p.get("amount", "")),
                    *common,
                    ("AA", p.get("patron", "")),
                    ("AC", s.terminal_password),
                    ("CG", p.get("fee_id")),
                    ("BK", tx.uuid),
                ],
                transaction_date=when,
                fee_type="01",
                payment_type="00",
                currency_type=str(p.get("currency") or s.currency)[:3].ljust(3),
            )
        return None  # cancel_hold (needs the ILS's hold id), credit, PIN: not in SIP2

    def _delivery(self, tx: Transaction, response: Message) -> tuple[Delivery, str]:
        ok_field = {"37": "payment_accepted"}.get(_REQUEST_OF[tx.kind], "ok")
        ok = response.fixed.get(ok_field) in ("1", "Y")
        screen = " / ".join(response.get_all("AF"))
        result: dict[str, Any] = {}
        if response.get("AJ"):
            result["title"] = response.get("AJ")
        if response.get("AH"):
            result["due"] = self._due(response.get("AH") or "")
        if response.get("BV"):
            with contextlib.suppress(InvalidOperation):
                result["fee"] = str(Decimal(response.get("BV") or "0"))
        if tx.kind is TxKind.CHECKIN:
            result["destination"] = _destination(response)
            if response.get("CL"):
                result["sort_bin"] = response.get("CL")
            if response.get("CT"):
                result["pickup_branch"] = response.get("CT")
            if response.get("CY") or response.get("DA"):
                result["hold_patron_alias"] = response.get("DA") or response.get("CY")
        if response.get("BK"):
            result["ils_transaction_id"] = response.get("BK")
        if screen:
            result["screen_message"] = screen
        if ok:
            outcome = TxOutcome.APPLIED
            reasons: tuple[dict[str, Any], ...] = ()
        else:
            outcome = TxOutcome.REFUSED if tx.mode is TxMode.ONLINE else TxOutcome.EXCEPTION
            reasons = (
                {
                    "code": "sip2_refused",
                    "message_key": "reason.unavailable",
                    "params": {"screen_message": screen},
                },
            )
        key = f"{tx.kind.value}.ok" if ok else "tx.refused"
        delivery = Delivery(
            uuid=tx.uuid, outcome=outcome, reasons=reasons, message_key=key, result=result
        )
        return delivery, screen

    def _due(self, text: str) -> str:
        """AH as an ISO date: SIP2 18-character dates, or the ISO dates many ILSs send."""
        text = text.strip()
        try:
            parsed = parse_date(text.ljust(18)[:18]) if len(text) == 18 else None
        except Sip2Error:
            parsed = None
        if parsed is not None:
            return parsed.date().isoformat()
        try:
            return datetime.fromisoformat(text[:10]).date().isoformat()
        except ValueError:
            return text


_REQUEST_OF = {
    TxKind.CHECKOUT: "11",
    TxKind.CHECKIN: "09",
    TxKind.RENEW: "29",
    TxKind.PLACE_HOLD: "15",
    TxKind.PAY_FEE: "37",
    TxKind.CANCEL_HOLD: "15",
    TxKind.DEPOSIT_CREDIT: "37",
    TxKind.CHANGE_PIN: "",
}


def _destination(response: Message) -> str:
    """The return machine's destination from a 10: alert type first, then the alert flag."""
    alert_type = response.get("CV")
    if response.fixed.get("ok") != "1":
        return "staff"
    if alert_type == "01":
        return "hold_shelf"
    if alert_type in ("02", "03", "04"):
        return "transit"
    if response.fixed.get("alert") == "Y":
        return "staff"
    return "reshelve"
