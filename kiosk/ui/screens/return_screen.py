"""The return machine's screen: "insert one item", progress, what was returned, the receipt
choice; a staff strip with the bin counters ("bin emptied"), the fault log and "resume";
and, in the demo, the simulated conveyor and bins with buttons that act as the patron.

The controller runs on its own thread (:class:`kiosk.returns.runner.ReturnMachine`); its
steps reach this screen as :class:`ReturnScreen.Changed` messages (``post_message`` is
thread-safe), and only when something visible changed.

"E-mail" (only with a ``mailer``): the patron scans a library card on the machine's card
reader (:class:`kiosk.returns.cards.CardInput`); the library's barcode rules check it is a
card; central mails the receipt to the address on file (the machine never learns it). The
card number is never shown. With no card within ``card_timeout`` seconds the visit ends with
no receipt and the screen is cleared.

The receipt question itself waits ``visit_timeout`` seconds for a touch; then "Are you still
there?" counts down ``warning_seconds`` (WCAG 2.2.1: warned, one touch for more time) and
the visit ends without a receipt, so nothing of one patron is left for the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any, Protocol

from textual import on, work
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Static

from kiosk.backend import Receipt, ReceiptLine, mask_card
from kiosk.domain.barcode import BarcodeChain, BarcodeKind
from kiosk.i18n import LANGUAGES, Translator
from kiosk.receipt_mail import MailOutcome, ReceiptMailer
from kiosk.returns.controller import (
    BinEmptied,
    Notice,
    ReturnController,
    Returned,
    State,
    Step,
    TechnicianReset,
)

log = logging.getLogger(__name__)


class MachineHandle(Protocol):
    """What the screen needs of :class:`kiosk.returns.runner.ReturnMachine`."""

    controller: ReturnController

    def post(self, event: object) -> None: ...


class ReturnDemo(Protocol):
    """The simulated machine the demo drives (see :mod:`kiosk.returns.demo`)."""

    def insert_item(self) -> str: ...

    def insert_unreadable(self) -> None: ...

    def cause_jam(self) -> None: ...

    def take_back(self) -> None: ...

    def scan_card(self, code: str | None = None) -> str:
        """The patron holds a demo library card to the card reader."""
        ...

    def picture(self) -> str:
        """A few lines drawing the door, belt, diverter and bins."""
        ...


class CardSource(Protocol):
    """The machine's card reader (:class:`kiosk.returns.cards.CardInput`)."""

    listeners: list[Callable[[str], None]]


class Mail(Enum):
    """Where the "e-mail my receipt" choice stands."""

    OFF = "off"
    """Not chosen: the receipt question (if any) is showing."""
    CARD = "card"
    """Waiting for the patron's library card (cancel, or the timeout, ends it)."""
    SENDING = "sending"
    """Central is being asked (off the UI thread)."""
    OFFER = "offer"
    """It could not be e-mailed: the question again, without "e-mail"."""


@dataclass(frozen=True)
class ReturnReceipt:
    """What the patron returned this visit (for a printed or e-mailed receipt)."""

    items: tuple[Returned, ...]
    currency: str
    language: str = "en"
    """The language the screen showed when the patron chose: the receipt's language."""


def _money(text: str) -> Decimal:
    try:
        return Decimal(text)
    except (InvalidOperation, TypeError):
        return Decimal("0")


class ReturnScreen(Screen[None]):
    DEFAULT_CSS = """
    ReturnScreen { layout: vertical; }
    ReturnScreen #languages { height: auto; align-horizontal: right; }
    ReturnScreen #languages Button { min-width: 14; height: 3; margin: 0 1; }
    ReturnScreen #title { text-style: bold; content-align: center middle; height: 3; }
    ReturnScreen #status { height: auto; min-height: 3; padding: 1 2; text-style: bold; }
    ReturnScreen #status.error { background: $error 30%; }
    ReturnScreen #status.warning { background: $warning 30%; }
    ReturnScreen #returned { height: auto; padding: 0 2; }
    ReturnScreen #receipt { height: auto; padding: 1 2; }
    ReturnScreen #receipt-question { width: auto; max-width: 60; padding: 1 1; }
    ReturnScreen #email { height: auto; padding: 1 2; }
    ReturnScreen #email-text { width: 1fr; padding: 1 1; text-style: bold; }
    ReturnScreen #email Button { min-width: 20; height: 3; margin: 0 1; }
    ReturnScreen #demo Horizontal { height: auto; }
    ReturnScreen #receipt Button, ReturnScreen #demo Button { min-width: 20; height: 3;
                                                              margin: 0 1; }
    ReturnScreen #staff { height: auto; border-top: solid $accent; padding: 0 2; }
    ReturnScreen .bin { height: 3; }
    ReturnScreen .bin Static { width: 1fr; content-align: left middle; }
    ReturnScreen #demo { height: auto; border-top: solid $secondary; padding: 0 2; }
    ReturnScreen #picture { height: auto; }
    """

    class Changed(Message):
        def __init__(self, step: Step) -> None:
            self.step = step
            super().__init__()

    class CardRead(Message):
        """A library card was read (from the card reader's thread)."""

        def __init__(self, raw: str) -> None:
            self.raw = raw
            super().__init__()

    class Mailed(Message):
        """Central answered the e-mail request (from the worker's thread)."""

        def __init__(self, outcome: MailOutcome) -> None:
            self.outcome = outcome
            super().__init__()

    def __init__(
        self,
        machine: MachineHandle,
        translator: Translator,
        *,
        print_receipt: Callable[[ReturnReceipt], bool] | None = None,
        mailer: ReceiptMailer | None = None,
        cards: CardSource | None = None,
        barcodes: BarcodeChain | None = None,
        library_name: str = "",
        card_timeout: float = 30.0,
        visit_timeout: float = 30.0,
        warning_seconds: int = 20,
        demo: ReturnDemo | None = None,
        staff: bool = True,
    ) -> None:
        super().__init__()
        self.machine = machine
        self.t = translator
        self.default_language = translator.language
        """The machine's language: each visit starts in it; a patron may switch."""
        self.goodbye_seconds = 8.0
        """How long a visit's last message stays in the patron's language."""
        self.print_receipt = print_receipt
        self.mailer = mailer
        """Capability: the "E-mail" button exists only with a mailer (central over HTTP, or
        embedded) and a way to read the patron's card."""
        self.cards = cards
        self.barcodes = barcodes or BarcodeChain()
        """The library's barcode rules: what the card reader read must be a patron card."""
        self.library_name = library_name
        self.card_timeout = card_timeout
        self.visit_timeout = visit_timeout
        self.warning_seconds = warning_seconds
        self._visit_timer: Timer | None = None
        self._countdown: Timer | None = None
        self._left = 0
        self.demo = demo
        self.staff = staff
        self.visit: list[Returned] = []
        self.mail = Mail.OFF
        self._mailing = 0
        """How many of the visit's items the receipt being e-mailed lists."""
        self._idle = False
        self._timeout: Timer | None = None
        self._shown: tuple[State, str, tuple[tuple[str, Any], ...]] | None = None

    # --- layout ---------------------------------------------------------------------------

    def _button(self, key: str, id: str) -> Button:
        """A button whose words are catalog ``key`` (kept as its ``name``, so a language
        change can say it again)."""
        return Button(self.t(key), id=id, name=key)

    def _words(self, key: str, id: str | None = None) -> Static:
        return Static(self.t(key), id=id, name=key)

    def compose(self) -> ComposeResult:
        t = self.t
        with Horizontal(id="languages"):
            for code, label in LANGUAGES.items():  # each named in itself: never translated
                yield Button(label, id=f"lang-{code}", classes="language")
        yield self._words("returns.title", id="title")
        yield Static(t("returns.starting"), id="status")
        yield Static("", id="returned")
        with Horizontal(id="receipt"):
            yield self._words("returns.receipt_question", id="receipt-question")
            if self.print_receipt is not None:
                yield self._button("returns.receipt_print", "receipt-print")
            if self.mailer is not None:
                yield self._button("returns.receipt_email", "receipt-email")
            yield self._button("returns.receipt_none", "receipt-none")
            yield self._button("ui.timeout_continue", "receipt-more")
        with Horizontal(id="email"):
            yield Static("", id="email-text")
            yield self._button("ui.cancel", "email-cancel")
        if self.staff:
            with Vertical(id="staff"):
                yield self._words("returns.bins_title")
                for b in self.machine.controller.config.bins:
                    with Horizontal(classes="bin"):
                        yield Static("", id=f"bin-{b.number}")
                        yield self._button("returns.bin_emptied", f"empty-{b.number}")
                yield self._words("returns.faults_title")
                yield Static("", id="faults")
                yield self._button("returns.resume", "resume")
        if self.demo is not None:
            with Vertical(id="demo"):
                yield Static("", id="picture")
                with Horizontal():
                    yield self._button("returns.demo_insert", "demo-insert")
                    yield self._button("returns.demo_unreadable", "demo-unreadable")
                    yield self._button("returns.demo_jam", "demo-jam")
                    yield self._button("returns.demo_take_back", "demo-take-back")
                    if self.mailer is not None:
                        yield self._button("returns.demo_card", "demo-card")

    def on_mount(self) -> None:
        self.query_one("#receipt").display = False
        self.query_one("#receipt-more").display = False
        self.query_one("#email").display = False
        self.machine.controller.listeners.append(self._from_controller)
        if self.cards is not None:
            self.cards.listeners.append(self.card_read)
        self._show(Step(self.machine.controller.state, self.machine.controller.notice))
        self._refresh_staff()
        if self.demo is not None:
            self.set_interval(0.2, self._refresh_demo)
        self.set_interval(1.0, self._refresh_staff)

    def on_unmount(self) -> None:
        listeners = self.machine.controller.listeners
        if self._from_controller in listeners:
            listeners.remove(self._from_controller)
        if self.cards is not None and self.card_read in self.cards.listeners:
            self.cards.listeners.remove(self.card_read)

    # --- from the controller's thread ----------------------------------------------------------

    def _from_controller(self, step: Step) -> None:
        key = (step.state, step.notice.key, tuple(sorted(step.notice.params.items())))
        if step.returned is None and not step.finished and key == self._shown:
            return  # a tick: nothing visible changed
        self._shown = key
        self.post_message(self.Changed(step))

    @on(Changed)
    def _changed(self, message: Changed) -> None:
        self._show(message.step)

    # --- showing --------------------------------------------------------------------------------

    def notice_text(self, notice: Notice) -> str:
        return self.t(notice.key, **notice.params)

    def _show(self, step: Step) -> None:
        status = self.query_one("#status", Static)
        status.update(self.notice_text(step.notice))
        status.set_class(step.state in (State.OUT_OF_SERVICE, State.EMERGENCY_STOP), "error")
        status.set_class(step.state in (State.TAKE_BACK, State.HELD), "warning")
        if step.returned is not None:
            self.visit.append(step.returned)
            self.query_one("#returned", Static).update(self.describe(step.returned))
            if self.mail is not Mail.SENDING:
                self._set_mail(Mail.OFF)  # another item: the visit goes on, ask again after it
        self._idle = step.state is State.IDLE
        self._layout()
        if step.finished or step.returned is not None:
            self._refresh_staff()

    def describe(self, returned: Returned) -> str:
        t = self.t
        lines = [
            t("returns.returned_title", title=returned.title)
            if returned.title
            else t("returns.returned_unknown")
        ]
        fine = _money(returned.fine)
        if fine > 0:
            lines.append(t("returns.fine", fine=fine))
        if returned.hold_note:
            lines.append(t("returns.hold_note"))
        if returned.offline:
            lines.append(t("returns.offline_note"))
        lines.append(t("returns.items_returned", count=len(self.visit)))
        return "\n".join(lines)

    def _refresh_staff(self) -> None:
        if not self.staff:
            return
        controller = self.machine.controller
        counters = controller.counters()
        for b in controller.config.bins:
            label = b.label or b.role.value
            text = self.t(
                "returns.bin_line", bin=b.number, label=label, count=counters.get(b.number, 0)
            )
            if b.number in controller.full_bins:
                text += f" ({self.t('returns.bin_full')})"
            self.query_one(f"#bin-{b.number}", Static).update(text)
        faults = controller.journal.faults(limit=5)
        self.query_one("#faults", Static).update(
            "\n".join(
                f"{f.at[11:19]} {f.kind}: {f.detail}" + (" ✓" if f.recovered_at else "")
                for f in faults
            )
        )
        self.query_one("#resume").display = controller.state is State.OUT_OF_SERVICE

    def _refresh_demo(self) -> None:
        if self.demo is not None:
            self.query_one("#picture", Static).update(self.demo.picture())

    # --- the patron's and staff's touches -----------------------------------------------------

    def _layout(self) -> None:
        """Show the receipt question or the e-mail prompt, as the visit and ``mail`` say."""
        question = self.query_one("#receipt")
        question.display = bool(self.visit) and self._idle and self.mail in (Mail.OFF, Mail.OFFER)
        if self.mailer is not None:
            self.query_one("#receipt-email").display = self.mail is Mail.OFF
        self.query_one("#email").display = self.mail in (Mail.CARD, Mail.SENDING)
        self.query_one("#email-cancel").display = self.mail is Mail.CARD
        self.query_one("#languages").display = self.mail is Mail.OFF
        asking = bool(question.display) and self.mail is Mail.OFF
        if not asking:
            self._stop_visit_clock()
        elif self._visit_timer is None and self._countdown is None:
            self._visit_timer = self.set_timer(self.visit_timeout, self._still_there)

    # --- the receipt question's inactivity clock ----------------------------------------------

    def _stop_visit_clock(self) -> None:
        for timer in (self._visit_timer, self._countdown):
            if timer is not None:
                timer.stop()
        if self._countdown is not None and self.mail is Mail.OFF:
            question = self.query_one("#receipt-question", Static)
            question.update(self.t("returns.receipt_question"))
        self._visit_timer = self._countdown = None
        self.query_one("#receipt-more").display = False

    def _still_there(self) -> None:
        """Nobody answered the receipt question: warn, with a countdown and "Continue"."""
        self._visit_timer = None
        self._left = self.warning_seconds
        self.query_one("#receipt-more").display = True
        self._show_countdown()
        self._countdown = self.set_interval(1.0, self._tick)

    def _show_countdown(self) -> None:
        text = "\n".join(
            (self.t("ui.timeout_title"), self.t("ui.timeout_text", seconds=self._left))
        )
        self.query_one("#receipt-question", Static).update(text)

    def _tick(self) -> None:
        self._left -= 1
        if self._left > 0:
            self._show_countdown()
            return
        self._stop_visit_clock()
        self._end_visit(None)  # the patron walked away: no receipt, nothing left on screen

    # --- the patron's language ----------------------------------------------------------------

    @on(Button.Pressed, ".language")
    def _language(self, event: Button.Pressed) -> None:
        event.stop()
        self.use_language((event.button.id or "").removeprefix("lang-"))

    def use_language(self, language: str) -> None:
        """Say everything on screen again in ``language`` (the visit goes on)."""
        if language == self.t.language or language not in LANGUAGES:
            return
        self.t = Translator(language, currency=self.t.currency)
        for widget in self.query("*"):
            if not widget.name:
                continue
            if isinstance(widget, Button):
                widget.label = self.t(widget.name)
            elif isinstance(widget, Static):
                widget.update(self.t(widget.name))
        self.query_one("#status", Static).update(self.notice_text(self.machine.controller.notice))
        if self.visit:
            self.query_one("#returned", Static).update(self.describe(self.visit[-1]))
        if self._countdown is not None:
            self._show_countdown()
        self._refresh_staff()

    @on(Button.Pressed, "#receipt-more")
    def _more_time(self, event: Button.Pressed) -> None:
        event.stop()
        self._stop_visit_clock()
        self._layout()  # the question again, and its clock from the start

    def _set_mail(self, mail: Mail, text: str = "") -> None:
        """Move the e-mail choice on; the inactivity timer runs while the patron must act."""
        self.mail = mail
        if self._timeout is not None:
            self._timeout.stop()
            self._timeout = None
        if mail in (Mail.CARD, Mail.OFFER):
            self._timeout = self.set_timer(self.card_timeout, self._timed_out)
        self.query_one("#email-text", Static).update(
            text if mail in (Mail.CARD, Mail.SENDING) else ""
        )
        question = self.query_one("#receipt-question", Static)
        question.update(text if mail is Mail.OFFER else self.t("returns.receipt_question"))
        self._layout()

    def _end_visit(self, text_key: str | None) -> None:
        """Forget the visit: nothing the patron returned (or their card) stays on screen,
        and the next visit starts in the machine's language."""
        self.visit = []
        self._set_mail(Mail.OFF)
        self.query_one("#returned", Static).update(self.t(text_key) if text_key else "")
        # The last word in the patron's language; then the machine's again, unless the
        # patron has gone on returning.
        self.set_timer(self.goodbye_seconds, self._back_to_machine_language)

    def _back_to_machine_language(self) -> None:
        if not self.visit:
            self.use_language(self.default_language)

    def _timed_out(self) -> None:
        self._timeout = None
        if self.mail in (Mail.CARD, Mail.OFFER):
            self._end_visit(None)  # the patron walked away: no receipt

    def _receipt(self) -> ReturnReceipt:
        return ReturnReceipt(tuple(self.visit), self.t.currency, self.t.language)

    def mail_receipt(self, card: str) -> Receipt:
        """The visit as central's receipt: every return, its fine, no due dates."""
        t = self.t
        lines = tuple(
            ReceiptLine(
                title=r.title or t("returns.item_not_recognised"),
                item=r.item or "",
                due=None,
                kind="checkin",
                fine=_money(r.fine),
            )
            for r in self.visit
        )
        return Receipt(
            library=self.library_name,
            card_masked=mask_card(card),
            at=self.machine.controller.clock.now(),
            lines=lines,
            currency=t.currency,
            offline=any(r.offline for r in self.visit),
        )

    @on(Button.Pressed, "#receipt-print")
    def _print(self, event: Button.Pressed) -> None:
        event.stop()
        assert self.print_receipt is not None
        ok = self.print_receipt(self._receipt())
        self._end_visit("returns.receipt_printed" if ok else "returns.receipt_failed")

    @on(Button.Pressed, "#receipt-email")
    def _email(self, event: Button.Pressed) -> None:
        event.stop()
        self._set_mail(Mail.CARD, self.t("returns.email_scan_card"))

    @on(Button.Pressed, "#email-cancel")
    def _email_cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self._set_mail(Mail.OFF)  # back to the receipt question

    @on(Button.Pressed, "#receipt-none")
    def _no_receipt(self, event: Button.Pressed) -> None:
        event.stop()
        self._end_visit(None)

    # --- the card, and central's answer ---------------------------------------------------------

    def card_read(self, raw: str) -> None:
        """A card reader's read; safe from any thread (a :class:`CardInput` listener)."""
        self.post_message(self.CardRead(raw))

    @on(CardRead)
    def _card(self, message: CardRead) -> None:
        if self.mail is not Mail.CARD or self.mailer is None:
            return  # nobody asked for a card: a stray read is ignored
        result = self.barcodes.expect(message.raw, BarcodeKind.PATRON)
        if not result.ok:  # an item, a misread: say so, and keep waiting
            self._set_mail(Mail.CARD, self.t(result.message_key))
            return
        self._set_mail(Mail.SENDING, self.t("returns.email_sending"))
        self._mailing = len(self.visit)
        self._send(self.mailer, result.value, self.mail_receipt(result.value), self.t.language)

    @work(thread=True, exclusive=True, group="receipt-mail")
    def _send(self, mailer: ReceiptMailer, card: str, receipt: Receipt, language: str) -> None:
        try:
            outcome = mailer.email_receipt(card, receipt, language=language)
        except Exception:  # the patron gets "not available", staff get the log
            log.exception("e-mail receipt failed")
            outcome = MailOutcome.UNAVAILABLE
        self.post_message(self.Mailed(outcome))

    @on(Mailed)
    def _mailed(self, message: Mailed) -> None:
        if self.mail is not Mail.SENDING:
            return
        t = self.t
        match message.outcome:
            case MailOutcome.SENT:
                later = self.visit[self._mailing :]  # returned while it was being sent
                self._end_visit("returns.email_sent")
                if later:
                    self.visit = later
                    self._layout()
            case MailOutcome.UNKNOWN_CARD:
                self._set_mail(Mail.CARD, t("returns.email_unknown_card"))
            case MailOutcome.NO_EMAIL:
                self._set_mail(Mail.OFFER, self._other_choice("returns.email_no_address"))
            case _:
                self._set_mail(Mail.OFFER, self._other_choice("returns.email_unavailable"))

    def _other_choice(self, key: str) -> str:
        """Why it was not e-mailed, and (with a printer) the offer to print instead."""
        lines = [self.t(key)]
        if self.print_receipt is not None:
            lines.append(self.t("returns.email_print_instead"))
        return "\n".join(lines)

    @on(Button.Pressed, ".bin Button")
    def _bin_emptied(self, event: Button.Pressed) -> None:
        event.stop()
        assert event.button.id is not None
        self.machine.post(BinEmptied(int(event.button.id.removeprefix("empty-"))))
        self.set_timer(0.2, self._refresh_staff)

    @on(Button.Pressed, "#resume")
    def _resume(self, event: Button.Pressed) -> None:
        event.stop()
        self.machine.post(TechnicianReset())

    @on(Button.Pressed, "#demo Button")
    def _demo(self, event: Button.Pressed) -> None:
        event.stop()
        demo = self.demo
        assert demo is not None
        match event.button.id:
            case "demo-insert":
                demo.insert_item()
            case "demo-unreadable":
                demo.insert_unreadable()
            case "demo-jam":
                demo.cause_jam()
            case "demo-take-back":
                demo.take_back()
            case "demo-card":
                demo.scan_card()


class ReturnApp(App[None]):
    """A return machine's whole UI: one screen. ``kiosk run``/``kiosk demo --mode return``."""

    TITLE = "Library returns"

    def __init__(self, screen_factory: Callable[[], ReturnScreen]) -> None:
        super().__init__()
        self._factory = screen_factory

    def on_mount(self) -> None:
        self.push_screen(self._factory())
