"""Apply one transaction inside an open database transaction.

Online transactions are requests: when the policy refuses, nothing changes. Offline
transactions are facts: they are always recorded at the time the machine says they
happened; a broken rule becomes an exception for staff, and what can be repaired is (a hold
the item was set aside for goes back to waiting for the next copy).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.central import models as m
from kiosk.central.security import PinHasher
from kiosk.central.services import mapping
from kiosk.central.services.results import merge_reasons, reason, safe_key
from kiosk.clock import local_date
from kiosk.domain import ZERO, Transaction, TxKind, TxMode, TxOutcome, to_money
from kiosk.policy import (
    Profile,
    Reason,
    check_checkin,
    check_checkout,
    check_deposit_credit,
    check_pay_fee,
    check_pin,
    check_place_hold,
    check_renew,
)


@dataclass
class Applied:
    """What a handler decided; the service stores it and builds the reply."""

    outcome: TxOutcome
    message_key: str
    reasons: tuple[Reason, ...] = ()
    result: dict[str, Any] = field(default_factory=dict)
    patron: str | None = None
    item: str | None = None
    repairs: list[dict[str, Any]] = field(default_factory=list)


def _refuse_or_record(tx: Transaction, key: str, reasons: tuple[Reason, ...], **kw: Any) -> Applied:
    if tx.mode is TxMode.ONLINE:
        return Applied(TxOutcome.REFUSED, key, reasons, **kw)
    return Applied(TxOutcome.EXCEPTION, "tx.exception", reasons, **kw)


def _text(payload: dict[str, Any], key: str) -> str | None:
    return safe_key(payload.get(key))


MAX_AMOUNT = Decimal("1000000")


def _amount(payload: dict[str, Any]) -> Decimal | None:
    """A money amount from the wire, or None when it is not one we can store."""
    try:
        amount = to_money(payload.get("amount"))
    except (ValueError, ArithmeticError):
        return None
    return amount if abs(amount) < MAX_AMOUNT else None


def _payload_date(payload: dict[str, Any], key: str, default: date | None) -> date | None:
    """The date a machine gave offline (``due``), or ``default`` when absent or garbled."""
    try:
        return date.fromisoformat(str(payload[key])[:10])
    except (KeyError, ValueError):
        return default


class TransactionApplier:
    def __init__(self, profile: Profile, hasher: PinHasher, max_pin_attempts: int) -> None:
        self.profile = profile
        self.hasher = hasher
        self.max_pin_attempts = max_pin_attempts

    # helpers -------------------------------------------------------------------------
    def _patron(self, s: Session, card: str | None) -> m.Patron | None:
        if not card:
            return None
        return s.scalar(select(m.Patron).where(m.Patron.barcode == card).with_for_update())

    def _item(self, s: Session, barcode: str | None) -> m.Item | None:
        if not barcode:
            return None
        return s.scalar(select(m.Item).where(m.Item.barcode == barcode).with_for_update())

    @staticmethod
    def _branches(s: Session) -> list[str]:
        return list(s.scalar(select(m.Library.branches)) or [])

    def _today(self, when: datetime) -> date:
        return local_date(when, self.profile.timezone)

    def apply(self, s: Session, tx: Transaction) -> Applied:
        handler = {
            TxKind.CHECKOUT: self.checkout,
            TxKind.CHECKIN: self.checkin,
            TxKind.RENEW: self.renew,
            TxKind.PLACE_HOLD: self.place_hold,
            TxKind.CANCEL_HOLD: self.cancel_hold,
            TxKind.PAY_FEE: self.pay_fee,
            TxKind.DEPOSIT_CREDIT: self.deposit_credit,
            TxKind.CHANGE_PIN: self.change_pin,
        }[tx.kind]
        return handler(s, tx)

    # checkout ------------------------------------------------------------------------
    def checkout(self, s: Session, tx: Transaction) -> Applied:
        card, barcode = _text(tx.payload, "patron"), _text(tx.payload, "item")
        patron, item = self._patron(s, card), self._item(s, barcode)
        missing = []
        if patron is None:
            missing.append(reason("unknown_card"))
        if item is None:
            missing.append(reason("unknown_item"))
        if missing:
            return _refuse_or_record(
                tx, "checkout.refused", tuple(missing), patron=card, item=barcode
            )
        assert patron is not None and item is not None
        when = tx.occurred_at
        account = mapping.account_of(s, patron)
        hold_pairs = mapping.holds_on(s, item)
        decision = check_checkout(
            self.profile,
            account,
            mapping.item_of(item),
            when,
            item_holds=mapping.domain_holds(hold_pairs, item),
            offline=False,
        )
        extra: list[Reason] = []
        current = s.scalar(select(m.Loan).where(m.Loan.item_id == item.id).with_for_update())
        if current is not None:
            extra.append(
                reason("already_on_loan" if current.patron_id == patron.id else "item_on_loan")
            )
        reasons = merge_reasons(decision.reasons, extra)
        allowed = decision.allowed and not extra
        if not allowed and tx.mode is TxMode.ONLINE:
            return Applied(
                TxOutcome.REFUSED,
                decision.message_key if not decision.allowed else "checkout.refused",
                reasons,
                {"title": item.title},
                patron=card,
                item=barcode,
            )
        repairs: list[dict[str, Any]] = []
        if current is not None:
            # Offline fact: the copy left the building again; end the earlier loan quietly.
            repairs.append({"code": "previous_loan_closed", "item": item.barcode})
            self._end_loan(s, current, patron_history=None, returned=when)
        due = decision.due
        if tx.mode is TxMode.OFFLINE:
            due = _payload_date(tx.payload, "due", due)
        if due is None:
            due = self._today(when)
            reasons = merge_reasons(reasons, [reason("no_due_date")])
        s.add(m.Loan(patron_id=patron.id, item_id=item.id, checked_out=when, due=due, renewals=0))
        item.status = "on_loan"
        for hold, holder in hold_pairs:
            if holder.id == patron.id:
                hold.status = "collected"
            elif hold.ready_item_id == item.id or (
                hold.item_id == item.id and tx.mode is TxMode.OFFLINE
            ):
                self._requeue(hold, item)
                repairs.append({"code": "hold_requeued", "hold_id": hold.id})
        outcome = TxOutcome.APPLIED if allowed else TxOutcome.EXCEPTION
        return Applied(
            outcome,
            decision.message_key if allowed else "tx.exception",
            () if allowed else reasons,
            {"due": due, "title": item.title, "fee": decision.fee or ZERO},
            patron=card,
            item=barcode,
            repairs=repairs,
        )

    @staticmethod
    def _requeue(hold: m.Hold, item: m.Item) -> None:
        """A hold whose copy went to someone else waits for the next copy of the title."""
        hold.status = "waiting"
        hold.ready_since = None
        hold.ready_item_id = None
        if hold.item_id is not None:
            hold.item_id = None
            hold.title = item.title

    def _end_loan(
        self, s: Session, loan: m.Loan, *, patron_history: m.Patron | None, returned: datetime
    ) -> None:
        if patron_history is not None and patron_history.history_opt_in:
            s.add(
                m.LoanHistory(
                    patron_id=loan.patron_id,
                    item_id=loan.item_id,
                    checked_out=loan.checked_out,
                    returned=returned,
                )
            )
        s.delete(loan)
        s.flush()

    # checkin -------------------------------------------------------------------------
    def checkin(self, s: Session, tx: Transaction) -> Applied:
        barcode = _text(tx.payload, "item")
        branch = _text(tx.payload, "branch")
        if branch is not None and branch not in self._branches(s):
            branch = None  # a machine configured with a branch this library does not have
        item = self._item(s, barcode)
        if item is None:
            return _refuse_or_record(
                tx,
                "checkin.unknown_item",
                (reason("unknown_item"),),
                result={"destination": "staff", "fine": ZERO},
                item=barcode,
            )
        when = tx.occurred_at
        today = self._today(when)
        loan = s.scalar(select(m.Loan).where(m.Loan.item_id == item.id).with_for_update())
        borrower = s.get(m.Patron, loan.patron_id, with_for_update=True) if loan else None
        all_holds = mapping.holds_on(s, item)
        shelved = [
            (h, p) for h, p in all_holds if h.status == "ready" and h.ready_item_id == item.id
        ]
        if loan is None and shelved:
            # Scanned again while set aside on the hold shelf: it stays there for its patron.
            hold, holder = shelved[0]
            return Applied(
                TxOutcome.APPLIED,
                "checkin.ok",
                (),
                {
                    "title": item.title,
                    "format": item.format,
                    "collection": item.collection,
                    "fine": ZERO,
                    "destination": "hold_shelf",
                    "hold_patron_alias": mapping.patron_of(holder).alias,
                    "pickup_branch": hold.pickup_branch,
                    "hold_id": hold.id,
                    "notices": [],
                },
                item=barcode,
            )
        hold_pairs = [(hold, holder) for hold, holder in all_holds if hold.status == "waiting"]
        decision = check_checkin(
            self.profile,
            mapping.item_of(item),
            when,
            loan=mapping.loan_of(loan, borrower.barcode, item.barcode)
            if loan and borrower
            else None,
            borrower=mapping.patron_of(borrower) if borrower else None,
            item_holds=mapping.domain_holds(hold_pairs, item),
            offline=tx.mode is TxMode.OFFLINE,
            branch=branch,
        )
        fine = decision.fee or ZERO
        # format and collection: the return machine's reshelve bins sort by them
        result: dict[str, Any] = {
            "title": item.title,
            "format": item.format,
            "collection": item.collection,
            "fine": fine,
        }
        if loan is not None and borrower is not None:
            if fine > 0:
                s.add(
                    m.Fee(
                        patron_id=borrower.id,
                        kind="overdue",
                        amount=fine,
                        paid=ZERO,
                        item_id=item.id,
                        created=today,
                    )
                )
            if loan.billed_on is not None:
                for fee in s.scalars(
                    select(m.Fee).where(
                        m.Fee.patron_id == borrower.id,
                        m.Fee.item_id == item.id,
                        m.Fee.kind == "billed",
                        m.Fee.cancelled.is_(False),
                    )
                ):
                    fee.cancelled = True
                result["bill_cleared"] = True
            self._end_loan(s, loan, patron_history=borrower, returned=when)
        destination = decision.destination
        dest = getattr(destination, "value", destination) or "reshelve"
        if branch:
            item.current_branch = branch
        if dest == "hold_shelf" and hold_pairs:
            hold, holder = hold_pairs[0]
            hold.status = "ready"
            hold.ready_since = today
            hold.ready_item_id = item.id
            item.status = "on_hold_shelf"
            result.update(
                hold_patron_alias=mapping.patron_of(holder).alias,
                pickup_branch=hold.pickup_branch,
                hold_id=hold.id,
            )
        elif dest == "transit":
            item.status = "in_transit"
            if hold_pairs:
                result["pickup_branch"] = hold_pairs[0][0].pickup_branch
        elif dest == "reshelve" or item.status == "on_loan":
            item.status = "available"
        result["destination"] = dest
        result["notices"] = [r.code for r in decision.notices]
        return Applied(
            TxOutcome.APPLIED if decision.allowed else TxOutcome.EXCEPTION,
            decision.message_key if decision.allowed else "tx.exception",
            tuple(decision.reasons),
            result,
            patron=borrower.barcode if borrower else None,
            item=barcode,
        )

    # renew ---------------------------------------------------------------------------
    def renew(self, s: Session, tx: Transaction) -> Applied:
        card, barcode = _text(tx.payload, "patron"), _text(tx.payload, "item")
        patron, item = self._patron(s, card), self._item(s, barcode)
        if patron is None or item is None:
            why = reason("unknown_card") if patron is None else reason("unknown_item")
            return _refuse_or_record(tx, "renew.refused", (why,), patron=card, item=barcode)
        loan = s.scalar(
            select(m.Loan).where(m.Loan.item_id == item.id, m.Loan.patron_id == patron.id)
        )
        if loan is None:
            return _refuse_or_record(
                tx, "renew.refused", (reason("not_on_loan_to_patron"),), patron=card, item=barcode
            )
        return self.renew_loan(s, tx.mode, tx.occurred_at, patron, item, loan, tx.payload)

    def renew_loan(
        self,
        s: Session,
        mode: TxMode,
        when: datetime,
        patron: m.Patron,
        item: m.Item,
        loan: m.Loan,
        payload: dict[str, Any] | None = None,
        *,
        automatic: bool = False,
    ) -> Applied:
        account = mapping.account_of(s, patron)
        others = [(h, p) for h, p in mapping.holds_on(s, item) if p.id != patron.id]
        decision = check_renew(
            self.profile,
            account,
            mapping.loan_of(loan, patron.barcode, item.barcode),
            mapping.item_of(item),
            when,
            item_holds=mapping.domain_holds(others, item),
            automatic=automatic,
        )
        if not decision.allowed and mode is TxMode.ONLINE:
            return Applied(
                TxOutcome.REFUSED,
                decision.message_key,
                tuple(decision.reasons),
                {"due": loan.due, "title": item.title},
                patron=patron.barcode,
                item=item.barcode,
            )
        due = decision.due or loan.due
        if mode is TxMode.OFFLINE and payload:
            due = _payload_date(payload, "due", due)
        loan.due = due
        loan.renewals += 1
        return Applied(
            TxOutcome.APPLIED if decision.allowed else TxOutcome.EXCEPTION,
            decision.message_key if decision.allowed else "tx.exception",
            () if decision.allowed else tuple(decision.reasons),
            {"due": due, "title": item.title, "renewals": loan.renewals},
            patron=patron.barcode,
            item=item.barcode,
        )

    # holds ---------------------------------------------------------------------------
    def place_hold(self, s: Session, tx: Transaction) -> Applied:
        card = _text(tx.payload, "patron")
        barcode, title = _text(tx.payload, "item"), _text(tx.payload, "title")
        pickup = _text(tx.payload, "pickup_branch")
        patron = self._patron(s, card)
        if patron is None:
            return _refuse_or_record(tx, "hold.refused", (reason("unknown_card"),), patron=card)
        item = self._item(s, barcode) if barcode else None
        if item is None and title:
            item = s.scalar(select(m.Item).where(m.Item.title == title).limit(1))
        if item is None:
            return _refuse_or_record(
                tx, "hold.refused", (reason("unknown_item"),), patron=card, item=barcode
            )
        if not pickup:
            pickup = patron.home_branch or item.owning_branch
        if pickup not in self._branches(s):
            return _refuse_or_record(
                tx, "hold.refused", (reason("unknown_branch", branch=pickup),), patron=card
            )
        account = mapping.account_of(s, patron)
        available = (
            _copy_on_shelf_at(s, item, pickup)
            if self.profile.rule_set(self._today(tx.occurred_at)).holds.only_when_unavailable
            else None
        )
        decision = check_place_hold(
            self.profile,
            account,
            item.format,
            tx.occurred_at,
            pickup_branch=pickup,
            available_at_pickup=available,
        )
        if not decision.allowed and tx.mode is TxMode.ONLINE:
            return Applied(
                TxOutcome.REFUSED, decision.message_key, tuple(decision.reasons), patron=card
            )
        hold = m.Hold(
            patron_id=patron.id,
            item_id=item.id if barcode else None,
            title=None if barcode else item.title,
            pickup_branch=pickup,
            placed=tx.occurred_at,
            status="waiting",
        )
        s.add(hold)
        fee = decision.fee or ZERO
        credit_used = decision.credit_used or ZERO
        if fee > 0:
            s.add(
                m.Fee(
                    patron_id=patron.id,
                    kind="hold",
                    amount=fee,
                    paid=min(credit_used, fee),
                    item_id=item.id,
                    created=self._today(tx.occurred_at),
                )
            )
        if credit_used > 0:
            s.add(
                m.CreditEntry(
                    patron_id=patron.id, amount=-credit_used, reason="hold_fee", at=tx.occurred_at
                )
            )
        s.flush()
        return Applied(
            TxOutcome.APPLIED if decision.allowed else TxOutcome.EXCEPTION,
            decision.message_key if decision.allowed else "tx.exception",
            () if decision.allowed else tuple(decision.reasons),
            {
                "hold_id": hold.id,
                "title": item.title,
                "fee": fee,
                "credit_used": credit_used,
                "owed": decision.owed or ZERO,
                "pickup_branch": pickup,
            },
            patron=card,
            item=item.barcode,
        )

    def cancel_hold(self, s: Session, tx: Transaction) -> Applied:
        card = _text(tx.payload, "patron")
        patron = self._patron(s, card)
        try:
            hold_id = int(tx.payload.get("hold_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            hold_id = None
        if hold_id is not None and not 0 < hold_id < 2**31:
            hold_id = None
        hold = s.get(m.Hold, hold_id, with_for_update=True) if hold_id is not None else None
        if patron is None or hold is None or hold.patron_id != patron.id:
            why = reason("unknown_card") if patron is None else reason("unknown_hold")
            return _refuse_or_record(tx, "hold.cancel_refused", (why,), patron=card)
        if hold.status not in mapping.ACTIVE_HOLDS:
            return _refuse_or_record(
                tx,
                "hold.cancel_refused",
                (reason("hold_not_active", status=hold.status),),
                patron=card,
            )
        shelf_item = s.get(m.Item, hold.ready_item_id) if hold.status == "ready" else None
        hold.status = "cancelled"
        repairs = []
        if shelf_item is not None:
            hold.ready_item_id = None
            nxt = release_shelf_item(s, shelf_item, self._today(tx.occurred_at))
            repairs.append({"code": "shelf_item_released", "next_hold": nxt})
        return Applied(
            TxOutcome.APPLIED,
            "hold.cancelled",
            (),
            {"hold_id": hold.id},
            patron=card,
            repairs=repairs,
        )

    # money ---------------------------------------------------------------------------
    def pay_fee(self, s: Session, tx: Transaction) -> Applied:
        card = _text(tx.payload, "patron")
        patron = self._patron(s, card)
        amount = _amount(tx.payload)
        if amount is None:
            return _refuse_or_record(tx, "fee.refused", (reason("bad_amount"),), patron=card)
        if patron is None:
            return _refuse_or_record(tx, "fee.refused", (reason("unknown_card"),), patron=card)
        account = mapping.account_of(s, patron)
        decision = check_pay_fee(self.profile, account, amount)
        if not decision.allowed and tx.mode is TxMode.ONLINE:
            return Applied(
                TxOutcome.REFUSED, decision.message_key, tuple(decision.reasons), patron=card
            )
        fees = mapping.open_fees(s, patron.id)
        fee_id = tx.payload.get("fee_id")
        if fee_id is not None:
            fees = [f for f in fees if str(f.id) == str(fee_id)] + [
                f for f in fees if str(f.id) != str(fee_id)
            ]
        left = amount
        paid_ids = []
        for fee in fees:
            if left <= 0:
                break
            take = min(left, fee.amount - fee.paid)
            fee.paid = fee.paid + take
            left -= take
            paid_ids.append(fee.id)
        balance = mapping.balance(mapping.account_of(s, patron).fees)
        return Applied(
            TxOutcome.APPLIED if decision.allowed else TxOutcome.EXCEPTION,
            decision.message_key if decision.allowed else "tx.exception",
            () if decision.allowed else tuple(decision.reasons),
            {"paid": amount - left, "unapplied": left, "fees": paid_ids, "balance": balance},
            patron=card,
        )

    def deposit_credit(self, s: Session, tx: Transaction) -> Applied:
        card = _text(tx.payload, "patron")
        patron = self._patron(s, card)
        amount = _amount(tx.payload)
        if amount is None:
            return _refuse_or_record(tx, "credit.refused", (reason("bad_amount"),), patron=card)
        if patron is None:
            return _refuse_or_record(tx, "credit.refused", (reason("unknown_card"),), patron=card)
        account = mapping.account_of(s, patron)
        decision = check_deposit_credit(
            self.profile,
            account,
            amount,
            in_person=tx.payload.get("in_person") is True,  # a staffed desk says so
            now=tx.occurred_at,
        )
        if not decision.allowed and tx.mode is TxMode.ONLINE:
            return Applied(
                TxOutcome.REFUSED, decision.message_key, tuple(decision.reasons), patron=card
            )
        s.add(
            m.CreditEntry(patron_id=patron.id, amount=amount, reason="deposit", at=tx.occurred_at)
        )
        return Applied(
            TxOutcome.APPLIED if decision.allowed else TxOutcome.EXCEPTION,
            decision.message_key if decision.allowed else "tx.exception",
            () if decision.allowed else tuple(decision.reasons),
            {"credit": account.credit + amount},
            patron=card,
        )

    # PIN -----------------------------------------------------------------------------
    def change_pin(self, s: Session, tx: Transaction) -> Applied:
        card = _text(tx.payload, "patron")
        patron = self._patron(s, card)
        old_pin = str(tx.payload.get("old_pin") or "")
        new_pin = str(tx.payload.get("new_pin") or "")
        if patron is None:
            return _refuse_or_record(tx, "pin.refused", (reason("unknown_card"),), patron=card)
        if patron.pin_hash and not self.hasher.verify(patron.pin_hash, old_pin):
            patron.failed_pins += 1
            return _refuse_or_record(
                tx,
                "pin.refused",
                (
                    reason(
                        "wrong_pin",
                        attempts_left=max(self.max_pin_attempts - patron.failed_pins, 0),
                    ),
                ),
                patron=card,
            )
        verdict = check_pin(self.profile, new_pin, mapping.patron_of(patron))
        if not verdict.allowed:
            # Never stored: offline this becomes an exception and the old PIN stays valid.
            return _refuse_or_record(tx, "pin.refused", tuple(verdict.reasons), patron=card)
        patron.pin_hash = self.hasher.hash(new_pin)
        patron.pin_is_default = False
        patron.failed_pins = 0
        return Applied(TxOutcome.APPLIED, "pin.changed", (), {}, patron=card)


def _copy_on_shelf_at(s: Session, item: m.Item, branch: str) -> bool:
    """Is a copy of this title, in this format, free to borrow on the shelf at ``branch``?

    Free means: status available, not on loan, and no copy-level hold waiting for it. The
    asked-for copy counts too (a hold on a copy standing on the pickup branch's shelf).
    """
    here = m.Item.current_branch == branch
    at_home = m.Item.current_branch.is_(None) & (m.Item.owning_branch == branch)
    claimed = select(m.Hold.item_id).where(
        m.Hold.item_id.is_not(None), m.Hold.status.in_(("waiting", "ready"))
    )
    on_loan = select(m.Loan.item_id)
    query = (
        select(m.Item.id)
        .where(
            m.Item.title == item.title,
            m.Item.format == item.format,
            m.Item.status == "available",
            here | at_home,
            m.Item.id.not_in(claimed),
            m.Item.id.not_in(on_loan),
        )
        .limit(1)
    )
    return s.scalar(query) is not None


def release_shelf_item(s: Session, item: m.Item, today: Any) -> int | None:
    """A copy leaves the hold shelf: fill the next waiting hold, or send it home."""
    for hold, _patron in mapping.holds_on(s, item):
        if hold.status == "waiting":
            hold.status = "ready"
            hold.ready_since = today
            hold.ready_item_id = item.id
            item.status = "on_hold_shelf"
            return hold.id
    at_home = item.current_branch in (None, item.owning_branch)
    item.status = "available" if at_home else "in_transit"
    return None
