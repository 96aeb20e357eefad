"""The ACS side of SIP2 in front of the central circulation service.

Every circulation change goes through ``CirculationService.apply`` as a
:class:`~kiosk.domain.Transaction` (the same path as the HTTP API), and every rule comes
from :mod:`kiosk.policy`; this module only translates between SIP2 fields and those calls.

Exactly once. SIP2 requests carry no transaction id, so the transaction UUID is derived
from the request itself (see :func:`transaction_uuid`): a self-check that resends a
checkout, renewal or payment after a lost reply produces the same UUID, and central answers
with the first outcome instead of applying it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from kiosk.domain import Item, Loan, PatronAccount, Transaction, TxKind, TxMode, TxOutcome
from kiosk.domain.models import FeeKind, ItemStatus
from kiosk.errors import KioskError
from kiosk.policy import check_checkout, check_place_hold, check_renew
from kiosk.sip2 import screen
from kiosk.sip2.codec import Message, count, format_date, make, parse_date, yn
from kiosk.sip2.errors import Sip2DecodeError
from kiosk.sip2.server import Connection
from kiosk.sip2.spec import SUMMARY_POSITIONS, SUPPORTED_MESSAGES

log = logging.getLogger("kiosk.sip2.acs")

#: Namespace of the transaction UUIDs derived from SIP2 requests.
SIP2_NAMESPACE = uuid.UUID("6f1c3a52-3d4e-5b8a-9c1e-2f7a0b9d4e61")

#: Reasons that belong to one item, not to the patron: they never set a patron status flag.
ITEM_REASONS = frozenset(
    {
        "format_unknown",
        "format_not_allowed_for_card",
        "not_self_service",
        "item_not_loanable",
        "reserved_for_other",
        "offline_limit",
        "not_issuable_offline",
        "renewal_limit",
        "item_overdue",
        "auto_renew_not_allowed",
        "hold_not_allowed_for_format",
        "pickup_branch_excluded",
    }
)

CIRCULATION_STATUS = {
    ItemStatus.AVAILABLE: "03",
    ItemStatus.ON_LOAN: "04",
    ItemStatus.ON_HOLD_SHELF: "08",
    ItemStatus.IN_TRANSIT: "10",
    ItemStatus.LOST: "12",
    ItemStatus.MISSING: "13",
    ItemStatus.DAMAGED: "01",
}

#: SIP2 media types (CK) by the product's formats; anything else is "000 other".
MEDIA_TYPE = {
    "book": "001",
    "magazine": "002",
    "periodical": "002",
    "audiobook": "004",
    "video": "005",
    "dvd": "005",
    "bluray": "005",
    "cd": "006",
    "music_cd": "006",
    "cdrom": "006",
    "book_cd": "009",
}

#: 3M alert types (CV) for a checkin's destination.
ALERT_TYPE = {"hold_shelf": "01", "transit": "04", "staff": "99"}


@dataclass(frozen=True)
class AcsSettings:
    """How this ACS presents itself; the defaults come from the loaded profile."""

    institution: str = ""
    """AO sent back in every response ('' = the profile's name)."""
    library_name: str = ""
    branch: str | None = None
    """The branch checkins happen at when the self-check sends no AP."""
    sort_bins: dict[str, str] = field(
        default_factory=lambda: {"reshelve": "1", "hold_shelf": "2", "transit": "3", "staff": "4"}
    )
    """Sort bin (CL) by checkin destination."""
    timeout_period: int = 30
    retries_allowed: int = 3
    show_email: bool = False
    """Send the patron's e-mail (BE) in 64; off: privacy by default."""
    language: str | None = None
    """Language of screen messages that concern no patron (checkin); None: English."""
    resend_window_s: int = 600
    """How long an identical *undated* request counts as a resend of the first (see
    :func:`transaction_uuid`)."""
    workers: int | None = None
    """Threads that call the service. None: 1 on SQLite (one writer at a time, no lock
    contention), 8 on a server database."""


def transaction_uuid(machine: str, message: Message) -> str:
    """The UUID of the circulation transaction a SIP2 request asks for.

    Built from the machine account and every field of the request except the error
    detection trailer and the passwords (a resend is byte-identical apart from those). The
    18-character transaction date makes two real requests differ even for the same patron
    and item. For a self-check that sends a blank date the result is only a key: the ACS
    maps it to a fresh UUID, kept for a resend window (:class:`RecentRequests`); its AY
    sequence number is mixed in, which tells a resend (same AY) from the next request.
    """
    parts = [machine, message.command]
    parts += [f"{name}={value}" for name, value in message.fixed.items()]
    parts += [f"{code}={value}" for code, value in message.fields if code not in ("AC", "AD")]
    if not message.fixed.get("transaction_date", "").strip():
        parts.append(f"AY={message.sequence}")
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
    return str(uuid.uuid5(SIP2_NAMESPACE, digest))


class RecentRequests:
    """UUIDs of recent undated requests: a repeat within the window is the same transaction.

    Without a transaction date, identical content is all a resend has in common with the
    first request; outside the window the same content is a new transaction (the same patron
    renewing the same item next week).
    """

    def __init__(self, window: timedelta, limit: int = 10_000) -> None:
        self.window = window
        self.limit = limit
        self._seen: dict[str, tuple[str, datetime]] = {}
        self._lock = threading.Lock()

    def uuid_for(self, key: str, now: datetime) -> str:
        with self._lock:
            known = self._seen.get(key)
            if known is not None and now - known[1] <= self.window:
                return known[0]
            if len(self._seen) >= self.limit:
                cutoff = now - self.window
                self._seen = {k: v for k, v in self._seen.items() if v[1] >= cutoff}
                while len(self._seen) >= self.limit:
                    self._seen.pop(next(iter(self._seen)))
            fresh = str(uuid.uuid4())
            self._seen[key] = (fresh, now)
            return fresh


class CentralAcs:
    """Answers SIP2 requests with the central circulation service.

    ``service`` is a ``kiosk.central.services.CirculationService`` (duck-typed: this module
    does not import central). Its calls block, so each request runs in a worker thread.
    """

    def __init__(self, service: Any, settings: AcsSettings | None = None) -> None:
        self.service = service
        profile = service.profile
        base = settings or AcsSettings()
        self.settings = AcsSettings(
            institution=base.institution or profile.name,
            library_name=base.library_name or profile.library_name,
            branch=base.branch,
            sort_bins=base.sort_bins,
            timeout_period=base.timeout_period,
            retries_allowed=base.retries_allowed,
            show_email=base.show_email,
            language=base.language,
            workers=base.workers,
            resend_window_s=base.resend_window_s,
        )
        workers = base.workers or (1 if _dialect(service) == "sqlite" else 8)
        self._recent = RecentRequests(timedelta(seconds=base.resend_window_s))
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sip2-acs")
        self.zone = ZoneInfo(profile.timezone)
        self._handlers: dict[str, Callable[[Connection, Message], Message]] = {
            "99": self.sc_status,
            "23": self.patron_status,
            "63": self.patron_information,
            "11": self.checkout,
            "09": self.checkin,
            "29": self.renew,
            "65": self.renew_all,
            "15": self.hold,
            "17": self.item_information,
            "19": self.item_status_update,
            "35": self.end_session,
            "37": self.fee_paid,
            "25": self.patron_enable,
            "01": self.block_patron,
        }

    # ------------------------------------------------------------------ server hooks

    async def login(self, conn: Connection, user: str, password: str) -> bool:
        try:
            conn.machine = await self._call(self.service.authenticate_machine, user, password)
        except KioskError as error:
            log.warning("SIP2 login refused for %r: %s", user, error)
            return False
        return True

    async def handle(self, conn: Connection, message: Message) -> Message | None:
        handler = self._handlers.get(message.command)
        if handler is None:  # a response sent to us: not a request an ACS answers
            log.info("SIP2 connection %d sent %s, which is not a request", conn.id, message.command)
            return None
        return await self._call(handler, conn, message)

    async def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._executor, function, *args)

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ helpers

    def now(self) -> datetime:
        return self.service.clock.now()

    def _date(self, when: datetime | None = None) -> str:
        return format_date((when or self.now()).astimezone(self.zone))

    def _due(self, due: Any) -> str:
        """AH: the due date as an 18-character SIP2 date at the end of that day."""
        if due is None or due == "":
            return ""
        if isinstance(due, str):
            due = date.fromisoformat(due[:10])
        if isinstance(due, datetime):
            return format_date(due.astimezone(self.zone))
        return format_date(datetime.combine(due, time(23, 59, 59)))

    def _when(self, text: str) -> datetime | None:
        try:
            return parse_date(text, self.zone)  # type: ignore[arg-type]
        except Sip2DecodeError:
            return None

    def _language(self, message: Message, patron_language: str | None = None) -> str | None:
        code = message.fixed.get("language", "000")
        return screen.LANGUAGE_OF_SIP.get(code) or patron_language

    def _af(self, keys: Iterable[Any], language: str | None) -> list[tuple[str, str]]:
        out = []
        for item in keys:
            if isinstance(item, tuple):
                key, params = item
            elif hasattr(item, "code"):
                key, params = item.code, dict(item.params)
            else:
                key, params = str(item), {}
            out.append(("AF", screen.text(key, language, params, currency=self.service.currency)))
        return out

    def _patron_language(self, card: str) -> str | None:
        try:
            return self.service.patron(card).language
        except KioskError:
            return None

    def _verify_pin(self, conn: Connection, card: str, pin: str | None) -> tuple[bool, str | None]:
        """(PIN accepted, error code). Verified pairs are remembered for the connection."""
        if pin is None:
            return True, None
        key = hashlib.sha256(f"{card}\x1f{pin}".encode()).hexdigest()
        verified = conn.data.setdefault("verified", set())
        assert isinstance(verified, set)
        if key in verified:
            return True, None
        try:
            self.service.login(card, pin, machine=conn.machine, create_session=False)
        except KioskError as error:
            return False, getattr(error, "code", error.message_key)
        verified.add(key)
        return True, None

    def _apply(self, tx: Transaction) -> Any:
        return self.service.apply(tx)

    def _tx(
        self,
        conn: Connection,
        message: Message,
        kind: TxKind,
        payload: dict[str, Any],
        *,
        offline: bool = False,
        occurred_at: datetime | None = None,
        salt: str = "",
    ) -> Transaction:
        machine = conn.machine or "sip2"
        if message.fixed.get("transaction_date", "").strip():
            tx_id = transaction_uuid(machine, message)
        elif kind is TxKind.CHECKIN:
            tx_id = str(uuid.uuid4())  # undated: a return resent twice is harmless anyway
        else:
            tx_id = self._recent.uuid_for(transaction_uuid(machine, message), self.now())
        if salt:
            tx_id = str(uuid.uuid5(SIP2_NAMESPACE, tx_id + salt))
        return Transaction(
            machine_id=machine,
            seq=0,
            kind=kind,
            occurred_at=occurred_at or self.now(),
            mode=TxMode.OFFLINE if offline else TxMode.ONLINE,
            payload=payload,
            uuid=tx_id,
        )

    # ------------------------------------------------------------------ patron status

    def _probe_item(self, account: PatronAccount) -> Item:
        rules = self.service.profile.rule_set(self.now().astimezone(self.zone).date())
        formats = [name for name, rule in rules.formats.items() if rule.self_service]
        fmt = "book" if "book" in formats else (formats or list(rules.formats) or ["book"])[0]
        return Item(barcode="\x00sip2-probe", title="", format=fmt)

    def status_flags(self, account: PatronAccount) -> tuple[str, list[Any]]:
        """The 14 patron status flags from the real blocks, and the blocking reasons.

        The policy is asked the patron-level questions with a probe item: what would refuse
        a checkout, a renewal, a hold for this patron today. Item-specific reasons are
        ignored; what is left are the patron's blocks.
        """
        profile, now = self.service.profile, self.now()
        item = self._probe_item(account)
        checkout = [
            r
            for r in check_checkout(profile, account, item, now).reasons
            if r.code not in ITEM_REASONS
        ]
        loan = Loan(
            patron=account.patron.barcode,
            item=item.barcode,
            checked_out=now,
            due=now.astimezone(self.zone).date() + timedelta(days=30),
        )
        renew = [
            r
            for r in check_renew(profile, account, loan, item, now).reasons
            if r.code not in ITEM_REASONS
        ]
        hold = [
            r
            for r in check_place_hold(profile, account, item.format, now).reasons
            if r.code not in ITEM_REASONS
        ]
        codes = {r.code for r in checkout + renew + hold}
        fees_owed = "fees_owed" in codes
        outstanding = [f for f in account.fees if f.outstanding > 0]
        fines = any(f.kind == FeeKind.OVERDUE for f in outstanding)
        other_fees = any(f.kind not in (FeeKind.OVERDUE, FeeKind.BILLED) for f in outstanding)
        billed = any(f.kind == FeeKind.BILLED for f in outstanding)
        lost_card = "lost" in (account.patron.blocked or "").lower()
        flags = [
            bool(checkout),  # charge privileges denied
            bool(renew),  # renewal privileges denied
            False,  # recall privileges denied: no recalls here
            bool(hold),  # hold privileges denied
            lost_card,  # card reported lost
            "max_loans" in codes,  # too many items charged
            "overdue_items" in codes,  # too many items overdue
            False,  # too many renewals: a per-item limit, reported per item
            False,  # too many claims of items returned
            False,  # too many items lost
            fees_owed and (fines or not other_fees),  # excessive outstanding fines
            fees_owed and other_fees,  # excessive outstanding fees
            False,  # recall overdue
            fees_owed and billed,  # too many items billed
        ]
        blocks = _unique(checkout + renew + hold)
        return "".join("Y" if f else " " for f in flags), blocks

    def _unknown_patron(self, command: str, message: Message, language: str | None) -> Message:
        card = message.get("AA") or ""
        fixed = {"patron_status": "Y" * 4 + " " * 10, "language": "000"}
        fields: list[tuple[str, Any]] = [
            ("AO", self.settings.institution),
            ("AA", card),
            ("AE", ""),
            ("BL", "N"),
        ]
        if message.get("AD") is not None:
            fields.append(("CQ", "N"))
        fields += self._af(["unknown_card"], language)
        if command == "64":
            fixed.update({name: "0000" for name in _COUNT_FIELDS})
        return make(command, fields, transaction_date=self._date(), **fixed)

    def _patron_common(
        self, conn: Connection, message: Message, command: str
    ) -> tuple[Message, PatronAccount | None]:
        card = message.get("AA") or ""
        language = self._language(message)
        try:
            account = self.service.patron_account(card)
        except KioskError:
            return self._unknown_patron(command, message, language), None
        patron = account.patron
        language = self._language(message, patron.language)
        flags, blocks = self.status_flags(account)
        pin_ok, pin_error = self._verify_pin(conn, card, message.get("AD"))
        fields: list[tuple[str, Any]] = [
            ("AO", self.settings.institution),
            ("AA", card),
            ("AE", patron.name),
        ]
        if command == "64":
            fields += self._limits(account)
        fields.append(("BL", "Y"))
        if message.get("AD") is not None:
            fields.append(("CQ", yn(pin_ok)))
        if command in ("24", "64"):
            fields += [("BH", self.service.currency), ("BV", _money(account.balance_owed))]
        if command == "64":
            limit = self.service.profile.rule_set(self.now().astimezone(self.zone).date())
            owed_limit = limit.loans.block_at_owed
            if owed_limit is not None:
                fields.append(("CC", _money(owed_limit)))
        fixed = {
            "patron_status": flags,
            "language": screen.sip_language(language),
            "transaction_date": self._date(),
        }
        notes: list[Any] = [pin_error] if pin_error else []
        notes += blocks
        response = Message(command, fixed, [(c, str(v)) for c, v in fields])
        response.fields += self._af(notes, language)
        return response, account

    def _limits(self, account: PatronAccount) -> list[tuple[str, Any]]:
        rules = self.service.profile.rule_set(self.now().astimezone(self.zone).date())
        out: list[tuple[str, Any]] = []
        if rules.holds.max_active is not None:
            out.append(("BZ", count(rules.holds.max_active)))
        if rules.loans.max_items is not None:
            out.append(("CB", count(rules.loans.max_items)))
        return out

    def patron_status(self, conn: Connection, message: Message) -> Message:
        return self._patron_common(conn, message, "24")[0]

    def patron_enable(self, conn: Connection, message: Message) -> Message:
        """Blocks are lifted by staff, not by a self-check: report the status unchanged."""
        response, _ = self._patron_common(conn, message, "26")
        return response

    def block_patron(self, conn: Connection, message: Message) -> Message:
        """A self-check may not block cards here; log the request and report the status."""
        log.warning(
            "SIP2 %s asked to block card %s (%s); not done: blocks are for staff",
            conn.machine,
            _mask(message.get("AA") or ""),
            message.get("AL"),
        )
        return self._patron_common(conn, message, "24")[0]

    def patron_information(self, conn: Connection, message: Message) -> Message:
        response, account = self._patron_common(conn, message, "64")
        if account is None:
            return response
        today = self.now().astimezone(self.zone).date()
        overdue = [loan for loan in account.loans if loan.due < today]
        holds_ready = [h for h in account.holds if h.status == "ready"]
        holds_waiting = [h for h in account.holds if h.status == "waiting"]
        fines = [f for f in account.fees if f.outstanding > 0]
        lists = {
            "AS": [h.item or h.title or "" for h in holds_ready],
            "AT": [loan.item for loan in overdue],
            "AU": [loan.item for loan in account.loans],
            "AV": [f"{_money(f.outstanding)} {f.kind.value} {f.item or ''}".strip() for f in fines],
            "BU": [],
            "CD": [h.item or h.title or "" for h in holds_waiting],
        }
        response.fixed.update(
            {
                "hold_items_count": count(len(holds_ready)),
                "overdue_items_count": count(len(overdue)),
                "charged_items_count": count(len(account.loans)),
                "fine_items_count": count(len(fines)),
                "recall_items_count": count(0),
                "unavailable_holds_count": count(len(holds_waiting)),
            }
        )
        summary = message.fixed.get("summary", "")
        start, end = _range(message.get("BP"), message.get("BQ"))
        insert_at = next(
            (i for i, (code, _) in enumerate(response.fields) if code == "AF"), len(response.fields)
        )
        extra: list[tuple[str, str]] = []
        for position, (_, code) in enumerate(SUMMARY_POSITIONS):
            if position < len(summary) and summary[position] == "Y":
                extra += [(code, value) for value in lists[code][start - 1 : end]]
        if self.settings.show_email and account.patron.email:
            extra.append(("BE", account.patron.email))
        response.fields[insert_at:insert_at] = extra
        return response

    # ------------------------------------------------------------------ circulation

    def _pin_refusal(
        self, conn: Connection, message: Message, card: str
    ) -> tuple[str, str | None] | None:
        ok, error = self._verify_pin(conn, card, message.get("AD"))
        if ok:
            return None
        return error or "wrong_pin", None

    def checkout(self, conn: Connection, message: Message) -> Message:
        card, barcode = message.get("AA") or "", message.get("AB") or ""
        offline = message.fixed.get("no_block") == "Y"
        language = self._language(message, self._patron_language(card))
        refusal = None if offline else self._pin_refusal(conn, message, card)
        result = None
        if refusal is None:
            payload: dict[str, Any] = {"patron": card, "item": barcode}
            when = None
            if offline:
                when = self._when(message.fixed.get("transaction_date", ""))
                due = self._when(message.fixed.get("nb_due_date", ""))
                if due is not None:
                    payload["due"] = due.date().isoformat()
            result = self._apply(
                self._tx(conn, message, TxKind.CHECKOUT, payload, offline=offline, occurred_at=when)
            )
            renewing = (
                message.fixed.get("sc_renewal_policy") == "Y"
                and result.outcome is TxOutcome.REFUSED
                and "already_on_loan" in {r.code for r in result.reasons}
            )
            if renewing:
                # SC renewal policy Y: checking out an item the patron already has renews it
                # (the 12 says so with renewal ok = Y).
                renewal = self._apply(
                    self._tx(
                        conn, message, TxKind.RENEW, {"patron": card, "item": barcode}, salt="renew"
                    )
                )
                return self._circulation_response(
                    "12", message, renewal, None, language, renewal=True
                )
        return self._circulation_response("12", message, result, refusal, language)

    def renew(self, conn: Connection, message: Message) -> Message:
        card, barcode = message.get("AA") or "", message.get("AB") or ""
        offline = message.fixed.get("no_block") == "Y"
        language = self._language(message, self._patron_language(card))
        refusal = self._pin_refusal(conn, message, card)
        result = None
        if refusal is None:
            when = self._when(message.fixed.get("transaction_date", "")) if offline else None
            result = self._apply(
                self._tx(
                    conn,
                    message,
                    TxKind.RENEW,
                    {"patron": card, "item": barcode},
                    offline=offline,
                    occurred_at=when,
                )
            )
        return self._circulation_response("30", message, result, refusal, language)

    def _circulation_response(
        self,
        command: str,
        message: Message,
        result: Any,
        refusal: tuple[str, str | None] | None,
        language: str | None,
        *,
        renewal: bool = False,
    ) -> Message:
        card, barcode = message.get("AA") or "", message.get("AB") or ""
        ok = result is not None and result.outcome is not TxOutcome.REFUSED
        data = result.result if result is not None else {}
        fields: list[tuple[str, Any]] = [
            ("AO", self.settings.institution),
            ("AA", card),
            ("AB", barcode),
            ("AJ", data.get("title", "")),
            ("AH", self._due(data.get("due")) if ok else ""),
        ]
        fee = _decimal(data.get("fee"))
        if ok and fee > 0:
            fields += [("BT", "01"), ("BH", self.service.currency), ("BV", _money(fee))]
        if result is not None:
            fields.append(("BK", result.uuid))
        if refusal is not None:
            notes: list[Any] = [refusal[0]]
        elif ok:
            due = data.get("due")
            if isinstance(due, str):
                due = date.fromisoformat(due[:10])
            renewed = command == "30" or renewal
            notes = [("renew.ok" if renewed else "checkout.ok", {"due": due or ""})]
        else:
            notes = list(result.reasons) or [result.message_key]
        fields += self._af(notes, language)
        return make(
            command,
            fields,
            ok="1" if ok else "0",
            renewal_ok=yn((command == "30" or renewal) and ok),
            magnetic_media="U",
            desensitize=yn(ok),
            transaction_date=self._date(),
        )

    def checkin(self, conn: Connection, message: Message) -> Message:
        barcode = message.get("AB") or ""
        offline = message.fixed.get("no_block") == "Y"
        payload: dict[str, Any] = {"item": barcode}
        branch = message.get("AP") or self.settings.branch or conn.location
        if branch:
            payload["branch"] = branch
        when = None
        if offline:
            when = self._when(message.fixed.get("return_date", "")) or self._when(
                message.fixed.get("transaction_date", "")
            )
        result = self._apply(
            self._tx(conn, message, TxKind.CHECKIN, payload, offline=offline, occurred_at=when)
        )
        data = result.result
        ok = result.outcome is not TxOutcome.REFUSED and "unknown_item" not in {
            r.code for r in result.reasons
        }
        destination = str(data.get("destination") or ("reshelve" if ok else "staff"))
        item = None
        try:
            item = self.service.item(barcode)
        except KioskError:
            item = None
        alert = destination != "reshelve"
        fields: list[tuple[str, Any]] = [
            ("AO", self.settings.institution),
            ("AB", barcode),
            ("AQ", item.owning_branch if item is not None else ""),
            ("AJ", data.get("title", "")),
            ("CL", self.settings.sort_bins.get(destination, "")),
        ]
        if item is not None:
            fields.append(("CK", MEDIA_TYPE.get(item.format, "000")))
        if alert:
            fields.append(("CV", ALERT_TYPE.get(destination, "99")))
        if data.get("pickup_branch"):
            fields.append(("CT", data["pickup_branch"]))
        if item is not None and item.call_number:
            fields.append(("CS", item.call_number))
        if item is not None and item.collection:
            fields.append(("CR", item.collection))
        if data.get("hold_patron_alias"):
            # The hold slip shows an alias, never the patron's card or name (privacy).
            fields += [("CY", data["hold_patron_alias"]), ("DA", data["hold_patron_alias"])]
        fine = _decimal(data.get("fine"))
        if fine > 0:
            fields += [("BT", "01"), ("BH", self.service.currency), ("BV", _money(fine))]
        fields.append(("BK", result.uuid))
        language = self.settings.language
        notes: list[Any] = []
        if not ok:
            notes = list(result.reasons) or ["unknown_item"]
        else:
            notes = ["checkin.ok"]
            if fine > 0:
                notes.append(
                    ("fine_charged", {"amount": f"{_money(fine)} {self.service.currency}"})
                )
            if destination in ("hold_shelf",):
                notes.append("hold_trapped")
            elif destination in ("transit", "staff"):
                notes.append(destination)
        fields += self._af(notes, language)
        return make(
            "10",
            fields,
            ok="1" if ok else "0",
            resensitize=yn(ok and destination == "reshelve"),
            magnetic_media="U",
            alert=yn(alert),
            transaction_date=self._date(),
        )

    def renew_all(self, conn: Connection, message: Message) -> Message:
        card = message.get("AA") or ""
        language = self._language(message, self._patron_language(card))
        renewed: list[str] = []
        unrenewed: list[str] = []
        notes: list[Any] = []
        refusal = self._pin_refusal(conn, message, card)
        account = None
        if refusal is None:
            try:
                account = self.service.patron_account(card)
            except KioskError:
                notes.append("unknown_card")
        else:
            notes.append(refusal[0])
        if account is not None:
            for loan in account.loans:
                tx = self._tx(
                    conn,
                    message,
                    TxKind.RENEW,
                    {"patron": card, "item": loan.item},
                    salt=loan.item,
                )
                result = self._apply(tx)
                if result.outcome is TxOutcome.REFUSED:
                    unrenewed.append(loan.item)
                else:
                    renewed.append(loan.item)
        ok = account is not None
        fields: list[tuple[str, Any]] = [("AO", self.settings.institution)]
        fields += [("BM", item) for item in renewed] + [("BN", item) for item in unrenewed]
        fields += self._af(notes or (["renew.ok"] if renewed else []), language)
        return make(
            "66",
            fields,
            ok="1" if ok else "0",
            renewed_count=count(len(renewed)),
            unrenewed_count=count(len(unrenewed)),
            transaction_date=self._date(),
        )

    def hold(self, conn: Connection, message: Message) -> Message:
        card = message.get("AA") or ""
        barcode, title = message.get("AB"), message.get("AJ")
        mode = message.fixed.get("hold_mode", "+")
        language = self._language(message, self._patron_language(card))
        refusal = self._pin_refusal(conn, message, card)
        pickup = message.get("BS") or self.settings.branch or conn.location
        ok = False
        notes: list[Any] = []
        result = None
        if refusal is not None:
            notes.append(refusal[0])
        elif mode == "+":
            payload: dict[str, Any] = {"patron": card}
            if barcode:
                payload["item"] = barcode
            elif title:
                payload["title"] = title
            if pickup:
                payload["pickup_branch"] = pickup
            result = self._apply(self._tx(conn, message, TxKind.PLACE_HOLD, payload))
            ok = result.outcome is not TxOutcome.REFUSED
            notes += ["hold.ok"] if ok else (list(result.reasons) or [result.message_key])
        elif mode == "-":
            hold_id = self._find_hold(card, barcode, title)
            if hold_id is None:
                notes.append("unknown_hold")
            else:
                payload = {"patron": card, "hold_id": hold_id}
                result = self._apply(self._tx(conn, message, TxKind.CANCEL_HOLD, payload))
                ok = result.outcome is not TxOutcome.REFUSED
                notes += ["hold.cancelled"] if ok else list(result.reasons)
        else:
            notes.append("not_supported")
        available = False
        if barcode:
            try:
                available = self.service.item(barcode).status is ItemStatus.AVAILABLE
            except KioskError:
                available = False
        data = result.result if result is not None else {}
        fields: list[tuple[str, Any]] = []
        if data.get("pickup_by"):
            fields.append(("BW", self._due(data["pickup_by"])))
        if data.get("queue_position"):
            fields.append(("BR", data["queue_position"]))
        if pickup:
            fields.append(("BS", pickup))
        fields += [("AO", self.settings.institution), ("AA", card)]
        if barcode:
            fields.append(("AB", barcode))
        if title or data.get("title"):
            fields.append(("AJ", title or data.get("title")))
        fee = _decimal(data.get("fee"))
        if ok and fee > 0:
            notes.append(("hold_fee", {"amount": f"{_money(fee)} {self.service.currency}"}))
        fields += self._af(notes, language)
        return make(
            "16",
            fields,
            ok="1" if ok else "0",
            available=yn(available),
            transaction_date=self._date(),
        )

    def _find_hold(self, card: str, barcode: str | None, title: str | None) -> int | None:
        try:
            view = self.service.account(card)
        except KioskError:
            return None
        for hold in view.holds:
            if hold.status in ("waiting", "ready") and (
                (barcode and hold.item == barcode) or (title and hold.title == title)
            ):
                return int(hold.id)
        return None

    def item_information(self, conn: Connection, message: Message) -> Message:
        barcode = message.get("AB") or ""
        try:
            item = self.service.item(barcode)
            view = self.service.item_status(barcode)
        except KioskError:
            return make(
                "18",
                [("AB", barcode), ("AJ", ""), *self._af(["unknown_item"], None)],
                circulation_status="01",
                security_marker="00",
                fee_type="01",
                transaction_date=self._date(),
            )
        fields: list[tuple[str, Any]] = [
            ("CF", count(view.holds)),
            ("AH", self._due(view.due) if view.due else None),
            ("AB", barcode),
            ("AJ", item.title),
            ("CK", MEDIA_TYPE.get(item.format, "000")),
            ("AQ", item.owning_branch),
            ("AP", item.current_branch or item.owning_branch),
            ("CS", item.call_number),
            ("CR", item.collection),
        ]
        return make(
            "18",
            fields,
            circulation_status=CIRCULATION_STATUS.get(item.status, "01"),
            security_marker="00",
            fee_type="01",
            transaction_date=self._date(),
        )

    def item_status_update(self, conn: Connection, message: Message) -> Message:
        """Item properties live in the catalogue, not at a self-check: refused."""
        return make(
            "20",
            [("AB", message.get("AB") or ""), *self._af(["not_supported"], None)],
            item_properties_ok="0",
            transaction_date=self._date(),
        )

    def end_session(self, conn: Connection, message: Message) -> Message:
        conn.data.pop("verified", None)
        return make(
            "36",
            [("AO", self.settings.institution), ("AA", message.get("AA") or "")],
            end_session="Y",
            transaction_date=self._date(),
        )

    def fee_paid(self, conn: Connection, message: Message) -> Message:
        card = message.get("AA") or ""
        language = self._language(message, self._patron_language(card))
        amount = _decimal(message.get("BV"), default=None)
        refusal = self._pin_refusal(conn, message, card)
        result = None
        notes: list[Any] = []
        if refusal is not None:
            notes.append(refusal[0])
        elif amount is None or amount <= 0:
            notes.append("invalid_amount")
        else:
            payload: dict[str, Any] = {"patron": card, "amount": str(amount)}
            if message.get("CG"):
                payload["fee_id"] = message.get("CG")
            result = self._apply(self._tx(conn, message, TxKind.PAY_FEE, payload))
        accepted = result is not None and result.outcome is not TxOutcome.REFUSED
        if result is not None:
            notes += ["fee.ok"] if accepted else (list(result.reasons) or [result.message_key])
        fields: list[tuple[str, Any]] = [("AO", self.settings.institution), ("AA", card)]
        fields.append(("BK", message.get("BK") or (result.uuid if result is not None else None)))
        fields += self._af(notes, language)
        return make("38", fields, payment_accepted=yn(accepted), transaction_date=self._date())

    def sc_status(self, conn: Connection, message: Message) -> Message:
        # 19 item status update and 25 patron enable are answered, but change nothing.
        supported = "".join(
            "N" if code in ("19", "25", "01") else "Y" for code in SUPPORTED_MESSAGES
        )
        fields: list[tuple[str, Any]] = [
            ("AO", self.settings.institution),
            ("AM", self.settings.library_name),
            ("BX", supported),
        ]
        if conn.machine:
            fields.append(("AN", conn.machine))
        return make(
            "98",
            fields,
            online_status="Y",
            checkin_ok="Y",
            checkout_ok="Y",
            acs_renewal_policy="Y",
            status_update_ok="N",
            offline_ok="Y",
            timeout_period=count(self.settings.timeout_period, 3),
            retries_allowed=count(self.settings.retries_allowed, 3),
            date_time_sync=self._date(),
            protocol_version="2.00",
        )


_COUNT_FIELDS = (
    "hold_items_count",
    "overdue_items_count",
    "charged_items_count",
    "fine_items_count",
    "recall_items_count",
    "unavailable_holds_count",
)


def _dialect(service: Any) -> str:
    """The database dialect behind a CirculationService ('' when it cannot be told)."""
    try:
        return str(service.sessions.kw["bind"].dialect.name)
    except (AttributeError, KeyError, TypeError):
        return ""


def _unique(reasons: Iterable[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for r in reasons:
        if r.code not in seen:
            seen.add(r.code)
            out.append(r)
    return out


def _decimal(value: Any, default: Decimal | None = Decimal("0")) -> Decimal:
    if value is None or value == "":
        return default  # type: ignore[return-value]
    try:
        return Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return default  # type: ignore[return-value]


def _money(value: Decimal) -> str:
    return str(Decimal(value).quantize(Decimal("0.01")))


def _range(start: str | None, end: str | None) -> tuple[int, int]:
    """BP/BQ: 1-based, inclusive; default the first 50 entries."""

    def number(text: str | None, default: int) -> int:
        try:
            return max(1, int((text or "").strip()))
        except ValueError:
            return default

    first = number(start, 1)
    last = number(end, first + 49)
    return first, max(first, min(last, first + 999))


def _mask(card: str) -> str:
    return "…" + card[-4:] if len(card) > 4 else card
