"""One patron's visit as a state machine, independent of the UI.

``idle -> (card) -> pin? -> items -> finish (receipt) -> goodbye -> idle``; a return-mode
machine also takes items at ``idle`` (``returns``). Every event goes through one
:meth:`Session.handle`, written as a ``match`` on the state, and gives back a :class:`Step`
(the new state and what to tell the patron, as message keys). The session routes scans and
remembers the visit; every circulation decision comes from the :class:`~kiosk.backend.Backend`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from kiosk.backend import (
    AccountInfo,
    Backend,
    CircReply,
    CircStatus,
    LoginReply,
    LoginStatus,
    PatronView,
    ReasonView,
    Receipt,
    ReceiptChannel,
    ReceiptLine,
)
from kiosk.clock import Clock, SystemClock
from kiosk.domain.barcode import BarcodeChain, BarcodeKind
from kiosk.domain.money import ZERO


class State(StrEnum):
    IDLE = "idle"
    PIN = "pin"
    BLOCKED = "blocked"
    ITEMS = "items"
    RENEW_OFFER = "renew_offer"
    RETURNS = "returns"
    FINISH = "finish"
    GOODBYE = "goodbye"
    OUT_OF_SERVICE = "out_of_service"


class Mode(StrEnum):
    """What the machine is set to do (technician's switch)."""

    CHECKOUT = "checkout"
    RETURN = "return"
    BOTH = "both"


class Tone(StrEnum):
    """The feedback a step deserves: a sound and a colour."""

    OK = "ok"
    INFO = "info"
    WARN = "warn"
    ERROR = "error"


# --- events -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CardRead:
    card: str


@dataclass(frozen=True, slots=True)
class PinEntered:
    pin: str


@dataclass(frozen=True, slots=True)
class ItemScanned:
    code: str


@dataclass(frozen=True, slots=True)
class RenewRequested:
    """From the renew screen: renew one loan."""

    item: str


@dataclass(frozen=True, slots=True)
class RenewAnswered:
    """The patron's answer to "this item is already yours: renew it?"."""

    renew: bool


@dataclass(frozen=True, slots=True)
class FinishRequested:
    pass


@dataclass(frozen=True, slots=True)
class ReceiptChosen:
    channel: ReceiptChannel
    language: str = "en"
    """The screen's language: an e-mailed receipt is written in it."""


@dataclass(frozen=True, slots=True)
class Cancelled:
    """The patron pressed "back"/"cancel" on the PIN pad or a blocked screen."""


@dataclass(frozen=True, slots=True)
class TimedOut:
    """Inactivity: the warning ran out. Ends the visit, keeps nothing."""


@dataclass(frozen=True, slots=True)
class GoodbyeDone:
    pass


@dataclass(frozen=True, slots=True)
class ConnectivityChanged:
    online: bool


@dataclass(frozen=True, slots=True)
class ServiceChanged:
    in_service: bool
    message: str = ""


@dataclass(frozen=True, slots=True)
class ModeSwitched:
    mode: Mode


Event = (
    CardRead
    | PinEntered
    | ItemScanned
    | RenewRequested
    | RenewAnswered
    | FinishRequested
    | ReceiptChosen
    | Cancelled
    | TimedOut
    | GoodbyeDone
    | ConnectivityChanged
    | ServiceChanged
    | ModeSwitched
)


# --- results ----------------------------------------------------------------------------------


class RowKind(StrEnum):
    CHECKOUT = "checkout"
    RENEW = "renew"
    CHECKIN = "checkin"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the visit's list: an item and what happened to it."""

    item: str
    kind: RowKind
    ok: bool
    message_key: str
    title: str | None = None
    due: date | None = None
    reasons: tuple[ReasonView, ...] = ()
    offline: bool = False
    fine: Decimal = ZERO
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Step:
    """What one event did: the state after it and what to tell the patron."""

    state: State
    tone: Tone = Tone.INFO
    message_key: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    reasons: tuple[ReasonView, ...] = ()
    row: Row | None = None
    changed: bool = True
    """False when the event was ignored (nothing to redraw but the feedback)."""


@dataclass(frozen=True, slots=True)
class SessionSettings:
    double_scan_window: float = 3.0
    """Seconds in which a second scan of the same barcode is taken as the same scan."""
    mode: Mode = Mode.CHECKOUT


_ALREADY_YOURS = frozenset({"already_on_loan", "already_on_loan_to_patron", "on_loan_to_patron"})


class Session:
    """One machine's patron sessions, one visit at a time. Thread-safe: one lock per event."""

    def __init__(
        self,
        backend: Backend,
        *,
        settings: SessionSettings | None = None,
        barcodes: BarcodeChain | None = None,
        clock: Clock | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.backend = backend
        self.settings = settings or SessionSettings()
        self.barcodes = barcodes or BarcodeChain()
        self.clock = clock or SystemClock()
        self._monotonic = monotonic
        self._lock = threading.RLock()
        self.mode: Mode = self.settings.mode
        self.online: bool = backend.online
        self.in_service = True
        self.service_message = ""
        self.state = State.IDLE
        self._clear_visit()

    # --- visit data (everything here is forgotten when the visit ends) -----------------------

    def _clear_visit(self) -> None:
        self._card: str | None = None
        self._receipt_id = str(uuid.uuid4())
        self.patron: PatronView | None = None
        self.rows: list[Row] = []
        self.account_info: AccountInfo | None = None
        self.notices: tuple[ReasonView, ...] = ()
        self.blocked_reasons: tuple[ReasonView, ...] = ()
        self.pending_renewal: str | None = None
        self.pin_change_required = False
        self.went_offline_during_visit = False
        self._last_seen: dict[str, float] = {}

    @property
    def in_visit(self) -> bool:
        return self.state not in (State.IDLE, State.OUT_OF_SERVICE)

    @property
    def accepts_returns(self) -> bool:
        return self.mode in (Mode.RETURN, Mode.BOTH)

    @property
    def accepts_checkouts(self) -> bool:
        return self.mode in (Mode.CHECKOUT, Mode.BOTH)

    def account(self, refresh: bool = False) -> AccountInfo | None:
        """The logged-in patron's account (None offline or with nobody logged in)."""
        with self._lock:
            if self._card is None:
                return None
            if refresh or self.account_info is None:
                self.account_info = self.backend.account(self._card)
            return self.account_info

    def receipt(self) -> Receipt:
        lines = tuple(
            ReceiptLine(row.title or row.item, row.item, row.due, row.kind.value, row.fine)
            for row in self.rows
            if row.ok
        )
        return Receipt(
            library=self.backend.library_name,
            card_masked=self.patron.card_masked if self.patron else "",
            at=self.clock.now(),
            lines=lines,
            currency=self.backend.currency,
            offline=any(row.offline for row in self.rows if row.ok),
            receipt_id=self._receipt_id,
        )

    # --- the state machine ---------------------------------------------------------------------

    def handle(self, event: Event) -> Step:
        with self._lock:
            return self._handle(event)

    def _handle(self, event: Event) -> Step:
        # Events that mean the same in every state.
        match event:
            case ConnectivityChanged(online=online):
                return self._connectivity(online)
            case ServiceChanged(in_service=in_service, message=message):
                return self._service(in_service, message)
            case ModeSwitched(mode=mode):
                self.mode = mode
                return Step(self.state, Tone.INFO, "mode.switched", {"mode": mode.value})
            case TimedOut() if self.in_visit:
                return self._end_visit("visit.timed_out")
            case TimedOut():
                return Step(self.state, changed=False)

        match self.state:
            case State.OUT_OF_SERVICE:
                return Step(self.state, Tone.WARN, "service.out", changed=False)
            case State.IDLE:
                return self._idle(event)
            case State.PIN:
                return self._pin(event)
            case State.BLOCKED:
                return self._blocked(event)
            case State.ITEMS:
                return self._items(event)
            case State.RENEW_OFFER:
                return self._renew_offer(event)
            case State.RETURNS:
                return self._returns(event)
            case State.FINISH:
                return self._finish(event)
            case State.GOODBYE:
                return self._goodbye(event)
        raise AssertionError(self.state)  # pragma: no cover

    def _ignored(self, key: str, tone: Tone = Tone.WARN, **params: Any) -> Step:
        return Step(self.state, tone, key, params, changed=False)

    # --- per state -------------------------------------------------------------------------------

    def _idle(self, event: Event) -> Step:
        match event:
            case CardRead(card=card):
                return self._card_presented(card)
            case ItemScanned(code=code):
                kind, value, problem = self._route(code)
                if kind == "patron" or (kind == "unknown" and self.accepts_checkouts):
                    return self._login(value)
                if kind == "bad":
                    if not self.accepts_checkouts:
                        return self._ignored(problem, Tone.ERROR)
                    # Perhaps a card the rules do not describe: central knows.
                    return self._login(value, problem_if_unknown=problem)
                if not self.accepts_returns:
                    return self._ignored("scan.card_first")
                self.state = State.RETURNS
                step = self._return_item(value)
                if not step.row or not self.rows:
                    self.state = State.IDLE
                    return replace(step, state=State.IDLE)
                return step
            case _:
                return self._ignored("scan.card_first", Tone.INFO)

    def _route(self, raw: str) -> tuple[str, str, str]:
        """What a scan is: ``patron``, ``item``, ``unknown`` (no rule says) or ``bad``.

        The profile's barcode rules decide first; when they call it a card or a misread,
        central's catalogue has the last word (a barcode central knows as an item is an item).
        Returns the kind, the cleaned value and, for ``bad``, the message key.
        """
        result = self.barcodes.classify(raw)
        value = result.value or "".join(raw.split())
        if result.ok and result.kind is BarcodeKind.ITEM:
            return "item", value, ""
        if value and self.backend.item_exists(value):
            return "item", value, ""
        if result.ok and result.kind is None:
            return "unknown", value, ""
        if result.ok:
            return "patron", value, ""
        return "bad", value, result.message_key

    def _card_presented(self, raw: str) -> Step:
        """A card reader read a card: the device says it is a card, unless the rules are sure
        it is an item's barcode."""
        result = self.barcodes.classify(raw)
        if result.ok and result.kind is BarcodeKind.ITEM:
            return self._ignored("scan.item_as_card", Tone.ERROR)
        value = result.value or "".join(raw.split())
        if not value:
            return self._ignored("reason.barcode_empty", Tone.ERROR)
        return self._login(value)

    def _login(self, card: str, *, problem_if_unknown: str = "") -> Step:
        if not self.accepts_checkouts:
            return self._ignored("mode.return_only")
        reply = self.backend.login(card, None)
        if problem_if_unknown and reply.status is LoginStatus.UNKNOWN_CARD:
            return self._ignored(problem_if_unknown, Tone.ERROR)
        self._card = card
        return self._after_login(reply)

    def _after_login(self, reply: LoginReply) -> Step:
        match reply.status:
            case LoginStatus.OK:
                assert reply.patron is not None
                self.patron = reply.patron
                self.notices = reply.notices
                self.pin_change_required = reply.pin_change_required
                self.state = State.ITEMS
                self.account_info = None
                key = "login.welcome_offline" if reply.offline else "login.welcome"
                tone = Tone.WARN if reply.notices else Tone.OK
                return Step(self.state, tone, key, {"name": reply.patron.name})
            case LoginStatus.PIN_REQUIRED:
                self.state = State.PIN
                return Step(self.state, Tone.INFO, "login.enter_pin")
            case LoginStatus.WRONG_PIN:
                self.state = State.PIN
                return Step(
                    self.state,
                    Tone.ERROR,
                    "login.wrong_pin",
                    {
                        "attempts_left": reply.attempts_left
                        if reply.attempts_left is not None
                        else 0
                    },
                )
            case LoginStatus.CARD_LOCKED:
                self.blocked_reasons = (ReasonView("card_locked"),)
                self.state = State.BLOCKED
                params = {"until": reply.locked_until} if reply.locked_until else {}
                return Step(
                    self.state, Tone.ERROR, "login.card_locked", params, self.blocked_reasons
                )
            case LoginStatus.REFUSED:
                self.blocked_reasons = reply.reasons or (ReasonView("staff_block"),)
                self.state = State.BLOCKED
                return Step(self.state, Tone.ERROR, "login.refused", {}, self.blocked_reasons)
            case LoginStatus.UNKNOWN_CARD:
                self._clear_visit()
                self.state = State.IDLE
                return Step(self.state, Tone.ERROR, "login.unknown_card")
            case LoginStatus.UNAVAILABLE:
                self._clear_visit()
                self.state = State.IDLE
                return Step(self.state, Tone.ERROR, "login.unavailable")
        raise AssertionError(reply.status)  # pragma: no cover

    def _pin(self, event: Event) -> Step:
        match event:
            case PinEntered(pin=pin):
                if not pin:
                    return self._ignored("login.enter_pin", Tone.INFO)
                assert self._card is not None
                return self._after_login(self.backend.login(self._card, pin))
            case Cancelled():
                return self._end_visit("visit.cancelled", goodbye=False)
            case CardRead() | ItemScanned():
                return self._ignored("scan.pin_first")
            case _:
                return self._ignored("login.enter_pin", Tone.INFO)

    def _blocked(self, event: Event) -> Step:
        match event:
            case Cancelled() | FinishRequested():
                return self._end_visit("visit.ended", goodbye=False)
            case _:
                return self._ignored("login.refused", Tone.ERROR)

    def _items(self, event: Event) -> Step:
        match event:
            case ItemScanned(code=code):
                return self._item_scanned(code)
            case CardRead(card=card):
                return self._card_during_items(card)
            case RenewRequested(item=item):
                return self._renew(item)
            case FinishRequested():
                return self._finish_requested()
            case Cancelled():
                return self._finish_requested()
            case _:
                return self._ignored("items.scan_next", Tone.INFO)

    def _card_during_items(self, raw: str) -> Step:
        value = self.barcodes.classify(raw).value or raw
        if value == self._card:
            return self._ignored("scan.same_card", Tone.INFO)
        return self._ignored("scan.card_in_items")

    def _duplicate(self, code: str) -> bool:
        now = self._monotonic()
        last = self._last_seen.get(code)
        self._last_seen[code] = now
        return last is not None and now - last < self.settings.double_scan_window

    def _item_scanned(self, raw: str) -> Step:
        if "".join(raw.split()) == self._card:
            return self._ignored("scan.same_card", Tone.INFO)
        kind, code, problem = self._route(raw)
        if kind == "patron":
            return self._card_during_items(code)
        if kind == "bad":
            return self._ignored(problem, Tone.ERROR, code=code)
        if self._duplicate(code):
            return self._ignored("scan.duplicate", Tone.INFO)
        if any(r.item == code and r.ok and r.kind is RowKind.CHECKOUT for r in self.rows):
            return self._ignored("scan.already_this_visit", Tone.INFO)
        if self._is_on_patrons_card(code):
            return self._offer_renewal(code)
        assert self._card is not None
        reply = self.backend.checkout(self._card, code)
        if reply.status is CircStatus.REFUSED and set(reply.codes) & _ALREADY_YOURS:
            return self._offer_renewal(code, reply.title)
        return self._record(reply, RowKind.CHECKOUT)

    def _is_on_patrons_card(self, code: str) -> bool:
        info = self.account_info
        if info is None and self.online and self._card is not None:
            info = self.account_info = self.backend.account(self._card)
        return info is not None and any(loan.item == code for loan in info.loans)

    def _offer_renewal(self, code: str, title: str | None = None) -> Step:
        if title is None and self.account_info is not None:
            title = next((ln.title for ln in self.account_info.loans if ln.item == code), None)
        self.pending_renewal = code
        self.state = State.RENEW_OFFER
        return Step(self.state, Tone.INFO, "renew.offer", {"title": title or code})

    def _renew_offer(self, event: Event) -> Step:
        match event:
            case RenewAnswered(renew=True):
                item = self.pending_renewal
                self.pending_renewal = None
                self.state = State.ITEMS
                assert item is not None
                return self._renew(item)
            case RenewAnswered(renew=False) | Cancelled():
                self.pending_renewal = None
                self.state = State.ITEMS
                return Step(self.state, Tone.INFO, "renew.declined")
            case ItemScanned(code=code) if code == self.pending_renewal:
                return self._ignored("scan.duplicate", Tone.INFO)
            case _:
                return self._ignored("renew.answer_first")

    def _renew(self, item: str) -> Step:
        assert self._card is not None
        return self._record(self.backend.renew(self._card, item), RowKind.RENEW)

    def _record(self, reply: CircReply, kind: RowKind) -> Step:
        row = Row(
            item=reply.item,
            kind=kind,
            ok=reply.applied,
            message_key=reply.message_key,
            title=reply.title,
            due=reply.due,
            reasons=reply.reasons,
            offline=reply.offline,
            fine=reply.fine,
            params=dict(reply.params),
        )
        self.rows.append(row)
        if reply.applied and kind is not RowKind.CHECKIN:
            self.account_info = None  # loans changed: ask again when needed
        tone = Tone.OK if reply.applied else Tone.ERROR
        if reply.offline and reply.applied:
            tone = Tone.OK
        return Step(self.state, tone, reply.message_key, dict(reply.params), reply.reasons, row)

    def _returns(self, event: Event) -> Step:
        match event:
            case ItemScanned(code=code):
                return self._return_item(code)
            case CardRead():
                return self._ignored("scan.card_in_returns")
            case FinishRequested() | Cancelled():
                return self._finish_requested()
            case _:
                return self._ignored("returns.scan_next", Tone.INFO)

    def _return_item(self, raw: str) -> Step:
        kind, code, problem = self._route(raw)
        if kind == "patron":
            return self._ignored("scan.card_in_returns")
        if kind == "bad":
            return self._ignored(problem, Tone.ERROR, code=code)
        if self._duplicate(code):
            return self._ignored("scan.duplicate", Tone.INFO)
        return self._record(self.backend.checkin(code), RowKind.CHECKIN)

    def _finish_requested(self) -> Step:
        if not any(row.ok for row in self.rows):
            return self._end_visit("visit.ended")
        self.state = State.FINISH
        return Step(self.state, Tone.INFO, "finish.choose_receipt")

    def _finish(self, event: Event) -> Step:
        match event:
            case ReceiptChosen(channel=channel, language=language):
                delivered = True
                if channel is not ReceiptChannel.NONE:
                    receipt = replace(self.receipt(), language=language)
                    delivered = self.backend.deliver_receipt(self._card or "", receipt, channel)
                if not delivered:
                    return Step(self.state, Tone.ERROR, f"receipt.{channel.value}_failed")
                return self._end_visit(f"receipt.{channel.value}_done")
            case Cancelled():
                self.state = State.RETURNS if self.patron is None else State.ITEMS
                return Step(self.state, Tone.INFO, "items.scan_next")
            case _:
                return self._ignored("finish.choose_receipt", Tone.INFO)

    def _goodbye(self, event: Event) -> Step:
        match event:
            case GoodbyeDone():
                self.state = State.IDLE if self.in_service else State.OUT_OF_SERVICE
                return Step(self.state, Tone.INFO, "")
            case CardRead() | ItemScanned():
                # The next patron is already here: start their visit at once.
                self.state = State.IDLE if self.in_service else State.OUT_OF_SERVICE
                return self._handle(event)
            case _:
                return self._ignored("", Tone.INFO)

    def _end_visit(self, key: str, *, goodbye: bool = True) -> Step:
        if self._card is not None and self.patron is not None:
            self.backend.end_visit(self._card)
        self._clear_visit()
        if goodbye:
            self.state = State.GOODBYE
        else:
            self.state = State.IDLE if self.in_service else State.OUT_OF_SERVICE
        return Step(self.state, Tone.INFO, key)

    # --- machine-wide events ---------------------------------------------------------------------

    def _connectivity(self, online: bool) -> Step:
        if online == self.online:
            return Step(self.state, changed=False)
        self.online = online
        if not online and self.in_visit:
            self.went_offline_during_visit = True
            self.account_info = None
        key = "mode.online" if online else "mode.offline"
        return Step(self.state, Tone.WARN if not online else Tone.INFO, key)

    def _service(self, in_service: bool, message: str) -> Step:
        self.in_service = in_service
        self.service_message = "" if in_service else message
        if not in_service and self.state is State.IDLE:
            self.state = State.OUT_OF_SERVICE
        elif in_service and self.state is State.OUT_OF_SERVICE:
            self.state = State.IDLE
        key = "service.in" if in_service else "service.out"
        return Step(self.state, Tone.INFO, key, {"message": message})
