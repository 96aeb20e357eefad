"""The circulation service: the one place that opens database transactions.

HTTP routes, the SIP2 server and the CLI call these methods; none of them touches a session.
See docs/central-api.md, "Service layer".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.central import models as m
from kiosk.central.errors import CentralError
from kiosk.central.schemas import (
    AccountView,
    ExceptionView,
    FeeView,
    HoldView,
    ItemView,
    LoanView,
    LoginOut,
    MachineView,
    PatronSummary,
    ReasonOut,
)
from kiosk.central.security import PinHasher, mask_card, new_secret, same_hash, token_hash
from kiosk.central.services import mapping
from kiosk.central.services.receipts import ReceiptMail
from kiosk.central.services.results import TxResult, jsonable, reason_wire, safe_key
from kiosk.central.services.transactions import TransactionApplier
from kiosk.central.settings import CentralSettings
from kiosk.clock import Clock, local_date
from kiosk.domain import ZERO, Item, Patron, PatronAccount, Transaction, TxOutcome
from kiosk.policy import Profile, check_login, pickup_deadline

log = logging.getLogger("kiosk.central")

LoginResult = LoginOut


class CirculationService:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        profile: Profile,
        clock: Clock,
        settings: CentralSettings | None = None,
    ) -> None:
        self.sessions = sessions
        self.profile = profile
        self.clock = clock
        self.settings = settings or CentralSettings()
        self.hasher = PinHasher(self.settings)
        self.max_pin_attempts = self.settings.pin_max_attempts or profile.pin.max_attempts
        self.lock_minutes = self.settings.pin_lock_minutes or profile.pin.lockout_minutes
        self.applier = TransactionApplier(profile, self.hasher, self.max_pin_attempts)
        self._snapshot_cache: tuple[float, dict[str, Any]] | None = None
        self.receipts = ReceiptMail(sessions, profile, clock, self.settings)
        """E-mailed receipts (``receipts.queue`` then ``receipts.send``)."""

    @property
    def currency(self) -> str:
        return self.profile.currency

    def today(self) -> Any:
        return local_date(self.clock.now(), self.profile.timezone)

    # transactions --------------------------------------------------------------------
    def apply(self, tx: Transaction) -> TxResult:
        return self.apply_batch([tx])[0]

    def apply_batch(
        self, txs: Sequence[Transaction], *, machine: str | None = None
    ) -> list[TxResult]:
        """Apply a batch in one database transaction, each machine's in ``seq`` order.

        Committing once per batch is what makes ingest fast; it is also safe: a batch cut
        off before the commit changes nothing, and after the commit every transaction in it
        is known by UUID, so a resend only returns the first outcomes.
        """
        if machine is not None:
            for tx in txs:
                if tx.machine_id != machine:
                    raise CentralError(
                        "machine_mismatch",
                        f"transaction {tx.uuid} belongs to machine {tx.machine_id!r}",
                    )
        order = sorted(range(len(txs)), key=lambda i: (txs[i].machine_id, txs[i].seq, i))
        results: dict[int, TxResult] = {}
        try:
            with self.sessions.begin() as s:
                last_seq: dict[str, int] = {}
                for name in sorted({tx.machine_id for tx in txs}):
                    # Locking the machine row serialises batches of one machine.
                    row = s.scalar(
                        select(m.Machine).where(m.Machine.name == name).with_for_update()
                    )
                    if row is not None:
                        last_seq[name] = row.last_seq
                seen: dict[str, TxResult] = {}
                records: list[dict[str, Any]] = []
                uuids = [tx.uuid for tx in txs]
                for chunk in range(0, len(uuids), 500):  # one query finds the repeats
                    for uuid, reply in s.execute(
                        select(m.AppliedTransaction.uuid, m.AppliedTransaction.reply).where(
                            m.AppliedTransaction.uuid.in_(uuids[chunk : chunk + 500])
                        )
                    ):
                        seen[uuid] = TxResult.from_wire(reply, duplicate=True)
                for index in order:
                    tx = txs[index]
                    if tx.uuid in seen:
                        first = seen[tx.uuid]
                        results[index] = TxResult.from_wire(first.to_wire(), duplicate=True)
                        continue
                    results[index] = seen[tx.uuid] = self._apply_new(s, tx, records)
                    # Keep the unit of work small: a batch must cost linear time.
                    s.expunge_all()
                    if tx.machine_id in last_seq and tx.seq > last_seq[tx.machine_id]:
                        last_seq[tx.machine_id] = tx.seq
                if records:
                    s.connection().execute(insert(m.AppliedTransaction.__table__), records)
                for name, seq in last_seq.items():
                    s.execute(update(m.Machine).where(m.Machine.name == name).values(last_seq=seq))
        except IntegrityError as exc:
            # Only a concurrent request with the same UUIDs gets here: answer from the store.
            log.info("batch raced another request: %s", type(exc).__name__)
            with self.sessions() as s:
                for index, tx in enumerate(txs):
                    stored = s.get(m.AppliedTransaction, tx.uuid)
                    if stored is None:
                        raise CentralError("conflict", "retry the batch", status=409) from exc
                    results[index] = TxResult.from_wire(stored.reply, duplicate=True)
        return [results[i] for i in range(len(txs))]

    def _apply_new(self, s: Session, tx: Transaction, records: list[dict[str, Any]]) -> TxResult:
        """Apply a transaction whose UUID is not stored yet (the caller checked).

        Its idempotency record is appended to ``records``; the batch inserts them all at
        once, in the same database transaction.
        """
        applied = self.applier.apply(s, tx)
        result = TxResult(
            uuid=tx.uuid,
            outcome=applied.outcome,
            duplicate=False,
            reasons=applied.reasons,
            message_key=applied.message_key,
            result=applied.result,
        )
        now = self.clock.now()
        records.append(
            {
                "uuid": tx.uuid,
                "machine_id": tx.machine_id,
                "seq": tx.seq,
                "kind": tx.kind.value,
                "mode": tx.mode.value,
                "occurred_at": tx.occurred_at,
                "applied_at": now,
                "outcome": applied.outcome.value,
                "reply": result.to_wire(),
            }
        )
        if applied.outcome is TxOutcome.EXCEPTION:
            s.add(
                m.TxException(
                    tx_uuid=tx.uuid,
                    machine_id=tx.machine_id,
                    kind=tx.kind.value,
                    occurred_at=tx.occurred_at,
                    recorded_at=now,
                    patron=applied.patron,
                    item=applied.item,
                    reasons=[reason_wire(r) for r in applied.reasons],
                    repairs=jsonable(applied.repairs),
                )
            )
            log.warning(
                "offline %s %s recorded with exception: %s",
                tx.kind.value,
                tx.uuid,
                ",".join(r.code for r in applied.reasons),
            )
        s.flush()
        return result

    # patrons -------------------------------------------------------------------------
    def _patron_row(self, s: Session, card: str, *, lock: bool = False) -> m.Patron:
        if safe_key(card) is None:
            raise CentralError("unknown_card", "no patron with that card")
        query = select(m.Patron).where(m.Patron.barcode == card)
        if lock:
            query = query.with_for_update()
        row = s.scalar(query)
        if row is None:
            raise CentralError("unknown_card", "no patron with that card")
        return row

    def login(
        self,
        card: str,
        pin: str | None,
        *,
        machine: str | None = None,
        create_session: bool = True,
    ) -> LoginOut:
        """Check the card (policy) and the PIN (argon2id, lockout); open a session."""
        now = self.clock.now()
        with self.sessions.begin() as s:
            patron = self._patron_row(s, card, lock=True)
            if patron.locked_until is not None and patron.locked_until > now:
                raise CentralError(
                    "card_locked",
                    "too many wrong PINs; the card is locked for a while",
                    locked_until=patron.locked_until.isoformat(),
                )
            decision = check_login(self.profile, mapping.patron_of(patron), now)
            if not decision.allowed:
                first = decision.reasons[0] if decision.reasons else None
                raise CentralError(
                    first.code if first else "login_refused",
                    "the card may not be used here",
                    status=403,
                    reasons=[reason_wire(r) for r in decision.reasons],
                )
            error = self._verify_pin(patron, pin, now, required=decision.pin_required)
            if error is None:
                patron.failed_pins = 0
                patron.locked_until = None
            token = new_secret()
            expires = now + timedelta(minutes=self.settings.session_minutes)
            if create_session and error is None:
                s.add(
                    m.PatronSession(
                        token_hash=token_hash(token),
                        patron_id=patron.id,
                        machine=machine,
                        expires_at=expires,
                    )
                )
            summary = LoginOut(
                session=token if create_session else "",
                expires_at=expires,
                patron=PatronSummary(
                    card_masked=mask_card(patron.barcode),
                    name=patron.name,
                    language=patron.language,
                    category=patron.category,
                    has_email=bool(patron.email),
                ),
                pin_change_required=bool(patron.pin_is_default or decision.pin_change_required),
                notices=[ReasonOut(**reason_wire(r)) for r in decision.notices],
            )
        if error is not None:
            raise error  # raised after the commit: the failed attempt counts
        return summary

    def _verify_pin(
        self, patron: m.Patron, pin: str | None, now: datetime, *, required: bool
    ) -> CentralError | None:
        if not (required or patron.pin_hash):
            return None
        if not pin:
            return CentralError("pin_required", "this card needs its PIN")
        if self.hasher.verify(patron.pin_hash, pin):
            if self.hasher.needs_rehash(patron.pin_hash or ""):
                patron.pin_hash = self.hasher.hash(pin)
            return None
        patron.failed_pins += 1
        left = self.max_pin_attempts - patron.failed_pins
        if left > 0:
            return CentralError("wrong_pin", "wrong PIN", attempts_left=left)
        patron.locked_until = now + timedelta(minutes=self.lock_minutes)
        patron.failed_pins = 0
        log.warning("card %s locked after wrong PINs", mask_card(patron.barcode))
        return CentralError(
            "card_locked",
            "too many wrong PINs; the card is locked for a while",
            locked_until=patron.locked_until.isoformat(),
        )

    def check_session(self, card: str, session: str | None) -> None:
        if not session or safe_key(card) is None or len(session) > 200:
            raise CentralError("session_invalid", "log in first")
        with self.sessions() as s:
            row = s.get(m.PatronSession, token_hash(session))
            patron_id = s.scalar(select(m.Patron.id).where(m.Patron.barcode == card))
            if (
                row is None
                or patron_id is None
                or row.patron_id != patron_id
                or row.expires_at <= self.clock.now()
            ):
                raise CentralError("session_invalid", "the session is unknown or has expired")

    def logout(self, session: str) -> None:
        with self.sessions.begin() as s:
            row = s.get(m.PatronSession, token_hash(session))
            if row is not None:
                s.delete(row)

    def patron(self, card: str) -> Patron:
        with self.sessions() as s:
            return mapping.patron_of(self._patron_row(s, card))

    def patron_account(self, card: str) -> PatronAccount:
        with self.sessions() as s:
            return mapping.account_of(s, self._patron_row(s, card))

    def account(self, card: str) -> AccountView:
        today = self.today()
        with self.sessions() as s:
            patron = self._patron_row(s, card)
            loans = [
                LoanView(
                    item=item.barcode,
                    title=item.title,
                    format=item.format,
                    checked_out=loan.checked_out,
                    due=loan.due,
                    renewals=loan.renewals,
                    overdue=loan.due < today,
                )
                for loan, item in s.execute(
                    select(m.Loan, m.Item)
                    .join(m.Item, m.Loan.item_id == m.Item.id)
                    .where(m.Loan.patron_id == patron.id)
                    .order_by(m.Loan.due, m.Item.barcode)
                )
            ]
            holds = []
            for hold in s.scalars(
                select(m.Hold)
                .where(m.Hold.patron_id == patron.id, m.Hold.status.in_(mapping.ACTIVE_HOLDS))
                .order_by(m.Hold.placed, m.Hold.id)
            ):
                item_id = hold.ready_item_id or hold.item_id
                item = s.get(m.Item, item_id) if item_id else None
                holds.append(
                    HoldView(
                        id=hold.id,
                        title=hold.title or (item.title if item else ""),
                        item=item.barcode if item else None,
                        status=hold.status,
                        pickup_branch=hold.pickup_branch,
                        placed=hold.placed,
                        ready_since=hold.ready_since,
                        pickup_by=pickup_deadline(self.profile, hold.ready_since)
                        if hold.ready_since
                        else None,
                    )
                )
            fees = []
            for fee, item in s.execute(
                select(m.Fee, m.Item)
                .outerjoin(m.Item, m.Fee.item_id == m.Item.id)
                .where(m.Fee.patron_id == patron.id, m.Fee.cancelled.is_(False))
                .where(m.Fee.paid < m.Fee.amount)
                .order_by(m.Fee.created, m.Fee.id)
            ):
                fees.append(
                    FeeView(
                        id=fee.id,
                        kind=fee.kind,
                        amount=str(fee.amount),
                        paid=str(fee.paid),
                        outstanding=str(fee.amount - fee.paid),
                        item=item.barcode if item else None,
                        title=item.title if item else None,
                        created=fee.created,
                    )
                )
            balance = sum((Decimal(f.outstanding) for f in fees), ZERO)
            return AccountView(
                card_masked=mask_card(patron.barcode),
                name=patron.name,
                category=patron.category,
                currency=self.currency,
                loans=loans,
                holds=holds,
                fees=fees,
                credit=str(mapping.credit_of(s, patron.id)),
                balance=str(balance),
            )

    # items ---------------------------------------------------------------------------
    def _item_row(self, s: Session, barcode: str) -> m.Item:
        if safe_key(barcode) is None:
            raise CentralError("unknown_item", "no item with that barcode")
        row = s.scalar(select(m.Item).where(m.Item.barcode == barcode))
        if row is None:
            raise CentralError("unknown_item", "no item with that barcode")
        return row

    def item(self, barcode: str) -> Item:
        with self.sessions() as s:
            return mapping.item_of(self._item_row(s, barcode))

    def item_status(self, barcode: str) -> ItemView:
        with self.sessions() as s:
            item = self._item_row(s, barcode)
            due = s.scalar(select(m.Loan.due).where(m.Loan.item_id == item.id))
            holds = len(mapping.holds_on(s, item))
            return ItemView(
                barcode=item.barcode,
                title=item.title,
                author=item.author,
                format=item.format,
                audience=item.audience,
                status=item.status,
                owning_branch=item.owning_branch,
                due=due,
                holds=holds,
            )

    # offline cache -------------------------------------------------------------------
    def policy_document(self) -> dict[str, Any]:
        return {
            "name": self.profile.name,
            "version": self.profile.version,
            "profile": self.profile.model_dump(mode="json"),
        }

    def snapshot(self) -> dict[str, Any]:
        """What a machine caches to decide offline: blocks, holds, per-patron counts.

        Built at most once per ``snapshot_ttl_s`` per process: every machine polls it, and
        for 100,000 patrons it takes seconds to build.
        """
        ttl = self.settings.snapshot_ttl_s
        cached = self._snapshot_cache
        started = time.monotonic()
        if ttl and cached is not None and started - cached[0] < ttl:
            return cached[1]
        body = self._build_snapshot()
        self._snapshot_cache = (started, body)
        return body

    def _build_snapshot(self) -> dict[str, Any]:
        now = self.clock.now()
        today = local_date(now, self.profile.timezone)
        with self.sessions() as s:
            loans = dict(
                s.execute(select(m.Loan.patron_id, func.count()).group_by(m.Loan.patron_id)).all()
            )
            overdue = dict(
                s.execute(
                    select(m.Loan.patron_id, func.count())
                    .where(m.Loan.due < today)
                    .group_by(m.Loan.patron_id)
                ).all()
            )
            owed = dict(
                s.execute(
                    select(m.Fee.patron_id, func.sum(m.Fee.amount - m.Fee.paid))
                    .where(m.Fee.cancelled.is_(False), m.Fee.paid < m.Fee.amount)
                    .group_by(m.Fee.patron_id)
                ).all()
            )
            patrons: dict[str, dict[str, Any]] = {}
            blocked: dict[str, list[str]] = {}
            columns = (
                m.Patron.id,
                m.Patron.barcode,
                m.Patron.name,
                m.Patron.category,
                m.Patron.expires,
                m.Patron.blocked,
            )
            for row in s.connection().execute(select(*columns)):
                balance = Decimal(owed.get(row.id, 0) or 0).quantize(Decimal("0.01"))
                patrons[row.barcode] = {
                    "category": row.category,
                    "expires": row.expires.isoformat() if row.expires else None,
                    "loans": loans.get(row.id, 0),
                    "overdue": overdue.get(row.id, 0),
                    "balance": str(balance),
                }
                patron = Patron(
                    barcode=row.barcode,
                    name=row.name,
                    category=row.category,
                    expires=row.expires,
                    blocked=row.blocked or "",
                )
                decision = check_login(self.profile, patron, now)
                codes = [] if decision.allowed else [r.code for r in decision.reasons]
                if row.blocked and "staff_block" not in codes:
                    codes.append("staff_block")
                if codes:
                    blocked[row.barcode] = codes
            holds: dict[str, dict[str, Any]] = {}
            hold_table, patron_table = m.Hold.__table__, m.Patron.__table__
            copy = m.Item.__table__.alias("copy")
            shelf = m.Item.__table__.alias("shelf")
            rows = s.connection().execute(
                select(
                    hold_table.c.pickup_branch,
                    hold_table.c.status,
                    patron_table.c.barcode.label("card"),
                    patron_table.c.name,
                    copy.c.barcode.label("copy_barcode"),
                    shelf.c.barcode.label("shelf_barcode"),
                )
                .select_from(hold_table)
                .join(patron_table, hold_table.c.patron_id == patron_table.c.id)
                .outerjoin(copy, hold_table.c.item_id == copy.c.id)
                .outerjoin(shelf, hold_table.c.ready_item_id == shelf.c.id)
                .where(hold_table.c.status.in_(mapping.ACTIVE_HOLDS))
                .order_by(hold_table.c.placed, hold_table.c.id)
            )
            for row in rows:
                barcode = row.shelf_barcode or row.copy_barcode
                if barcode is None:
                    continue  # a title hold still waiting: no copy to keep back yet
                holds.setdefault(
                    barcode,
                    {
                        "patron_alias": Patron(barcode=row.card, name=row.name, category="").alias,
                        "patron": row.card,
                        "pickup_branch": row.pickup_branch,
                        "status": row.status,
                    },
                )
            items = self._offline_items(s, today)
        return {
            "policy_version": self.profile.version,
            "generated_at": now,
            "blocked": blocked,
            "holds": holds,
            "patrons": patrons,
            "items": items,
        }

    def _offline_items(self, s: Session, today: Any) -> dict[str, dict[str, Any]]:
        """``{barcode: {format, collection?}}`` for the items a machine must not take for a
        book offline: those whose format's machine rules differ from ``book``'s (see
        docs/central-api.md: a full map of 1.7 M items would be ~60 MB per poll)."""
        special = special_formats(self.profile, today)
        if not special:
            return {}
        rows = s.connection().execute(
            select(m.Item.barcode, m.Item.format, m.Item.collection).where(
                m.Item.format.in_(special)
            )
        )
        items: dict[str, dict[str, Any]] = {}
        for row in rows:
            entry: dict[str, Any] = {"format": row.format}
            if row.collection:
                entry["collection"] = row.collection
            items[row.barcode] = entry
        return items

    # machines ------------------------------------------------------------------------
    def add_machine(self, name: str) -> str:
        """Create a machine account; returns its secret (shown once, stored hashed)."""
        return self.add_machine_to(self.sessions, name, self.clock.now())

    @staticmethod
    def add_machine_to(sessions: sessionmaker[Session], name: str, now: datetime) -> str:
        """As :meth:`add_machine`, without a profile (the CLI may add machines first)."""
        if not name or len(name) > 64 or not name.replace("-", "").replace("_", "").isalnum():
            raise CentralError("bad_machine_name", f"not a machine name: {name!r}")
        secret = new_secret()
        with sessions.begin() as s:
            if s.scalar(select(m.Machine).where(m.Machine.name == name)) is not None:
                raise CentralError("machine_exists", f"machine {name!r} already exists", status=409)
            s.add(m.Machine(name=name, secret_hash=token_hash(secret), created=now))
        return secret

    def authenticate_machine(self, name: str | None, secret: str | None) -> str:
        if safe_key(name) is None or not secret:
            raise CentralError("unauthorized", "machine credential missing")
        with self.sessions() as s:
            stored = s.scalar(select(m.Machine.secret_hash).where(m.Machine.name == name))
        if stored is None or not same_hash(stored, token_hash(secret)):
            raise CentralError("unauthorized", "machine credential not accepted")
        return name

    def heartbeat(
        self, machine: str, *, queue_depth: int, oldest_age_s: float, mode: str
    ) -> datetime:
        now = self.clock.now()
        with self.sessions.begin() as s:
            row = s.scalar(select(m.Machine).where(m.Machine.name == machine))
            if row is None:
                raise CentralError("unauthorized", "unknown machine")
            row.last_seen = now
            row.queue_depth = queue_depth
            row.oldest_age_s = Decimal(str(round(oldest_age_s, 3)))
            row.mode = mode
        return now

    def machines(self) -> list[MachineView]:
        """Every machine with what it last reported (for staff: who is offline, how far behind)."""
        with self.sessions() as s:
            return [
                MachineView(
                    name=row.name,
                    last_seen=row.last_seen,
                    queue_depth=row.queue_depth,
                    oldest_age_s=float(row.oldest_age_s) if row.oldest_age_s is not None else None,
                    mode=row.mode,
                    last_seq=row.last_seq,
                )
                for row in s.scalars(select(m.Machine).order_by(m.Machine.name))
            ]

    def exceptions(self, since: datetime | None = None, limit: int = 500) -> list[ExceptionView]:
        with self.sessions() as s:
            query = select(m.TxException).order_by(m.TxException.id).limit(limit)
            if since is not None:
                query = query.where(m.TxException.recorded_at >= since)
            return [
                ExceptionView(
                    id=row.id,
                    uuid=row.tx_uuid,
                    machine_id=row.machine_id,
                    kind=row.kind,
                    occurred_at=row.occurred_at,
                    recorded_at=row.recorded_at,
                    patron=mask_card(row.patron) if row.patron else None,
                    item=row.item,
                    reasons=[ReasonOut(**r) for r in row.reasons],
                    repairs=row.repairs,
                    resolved=row.resolved,
                )
                for row in s.scalars(query)
            ]


OFFLINE_DEFAULT_FORMAT = "book"
"""What a machine assumes for an item the snapshot's ``items`` does not list."""
_OFFLINE_FIELDS = ("offline_issue", "offline_return", "self_service", "full_access_only")


def special_formats(profile: Profile, today: Any) -> list[str]:
    """Formats a machine offline would misjudge if it took the item for a ``book``: their
    offline-issue/-return, self-service or full-access rules differ from ``book``'s."""
    formats = profile.rule_set(today).formats
    default = formats.get(OFFLINE_DEFAULT_FORMAT)
    if default is None:
        return sorted(formats)
    return sorted(
        name
        for name, rule in formats.items()
        if any(getattr(rule, f) != getattr(default, f) for f in _OFFLINE_FIELDS)
    )
