"""The return machine's screen: "insert one item", progress, what was returned, the receipt
choice; a staff strip with the bin counters ("bin emptied"), the fault log and "resume";
and, in the demo, the simulated conveyor and bins with buttons that act as the patron.

The controller runs on its own thread (:class:`kiosk.returns.runner.ReturnMachine`); its
steps reach this screen as :class:`ReturnScreen.Changed` messages (``post_message`` is
thread-safe), and only when something visible changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from textual import on
from textual.app import App, ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.i18n import Translator
from kiosk.returns.controller import (
    BinEmptied,
    Notice,
    ReturnController,
    Returned,
    State,
    Step,
    TechnicianReset,
)
from kiosk.ui.screens.return_messages import ReturnTranslator


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

    def picture(self) -> str:
        """A few lines drawing the door, belt, diverter and bins."""
        ...


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
    ReturnScreen #title { text-style: bold; content-align: center middle; height: 3; }
    ReturnScreen #status { height: auto; min-height: 3; padding: 1 2; text-style: bold; }
    ReturnScreen #status.error { background: $error 30%; }
    ReturnScreen #status.warning { background: $warning 30%; }
    ReturnScreen #returned { height: auto; padding: 0 2; }
    ReturnScreen #receipt { height: auto; padding: 1 2; }
    ReturnScreen #receipt-question { width: auto; padding: 1 1; }
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

    def __init__(
        self,
        machine: MachineHandle,
        translator: Translator,
        *,
        print_receipt: Callable[[ReturnReceipt], bool] | None = None,
        email_receipt: Callable[[ReturnReceipt], bool] | None = None,
        demo: ReturnDemo | None = None,
        staff: bool = True,
    ) -> None:
        super().__init__()
        self.machine = machine
        self.t = ReturnTranslator(translator)
        self.print_receipt = print_receipt
        self.email_receipt = email_receipt
        """Capability: present only when the patron identified and e-mail is configured."""
        self.demo = demo
        self.staff = staff
        self.visit: list[Returned] = []
        self._shown: tuple[State, str, tuple[tuple[str, Any], ...]] | None = None

    # --- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        t = self.t
        yield Static(t("returns.title"), id="title")
        yield Static(t("returns.starting"), id="status")
        yield Static("", id="returned")
        with Horizontal(id="receipt"):
            yield Static(t("returns.receipt_question"), id="receipt-question")
            if self.print_receipt is not None:
                yield Button(t("returns.receipt_print"), id="receipt-print")
            if self.email_receipt is not None:
                yield Button(t("returns.receipt_email"), id="receipt-email")
            yield Button(t("returns.receipt_none"), id="receipt-none")
        if self.staff:
            with Vertical(id="staff"):
                yield Static(t("returns.bins_title"))
                for b in self.machine.controller.config.bins:
                    with Horizontal(classes="bin"):
                        yield Static("", id=f"bin-{b.number}")
                        yield Button(t("returns.bin_emptied"), id=f"empty-{b.number}")
                yield Static(t("returns.faults_title"))
                yield Static("", id="faults")
                yield Button(t("returns.resume"), id="resume")
        if self.demo is not None:
            with Vertical(id="demo"):
                yield Static("", id="picture")
                with Horizontal():
                    yield Button(t("returns.demo_insert"), id="demo-insert")
                    yield Button(t("returns.demo_unreadable"), id="demo-unreadable")
                    yield Button(t("returns.demo_jam"), id="demo-jam")
                    yield Button(t("returns.demo_take_back"), id="demo-take-back")

    def on_mount(self) -> None:
        self.query_one("#receipt").display = False
        self.machine.controller.listeners.append(self._from_controller)
        self._show(Step(self.machine.controller.state, self.machine.controller.notice))
        self._refresh_staff()
        if self.demo is not None:
            self.set_interval(0.2, self._refresh_demo)
        self.set_interval(1.0, self._refresh_staff)

    def on_unmount(self) -> None:
        listeners = self.machine.controller.listeners
        if self._from_controller in listeners:
            listeners.remove(self._from_controller)

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
        receipt = self.query_one("#receipt")
        receipt.display = bool(self.visit) and step.state is State.IDLE
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

    def _end_visit(self, text_key: str | None) -> None:
        self.visit = []
        self.query_one("#receipt").display = False
        self.query_one("#returned", Static).update(self.t(text_key) if text_key else "")

    def _receipt(self) -> ReturnReceipt:
        return ReturnReceipt(tuple(self.visit), self.t.currency, self.t.language)

    @on(Button.Pressed, "#receipt-print")
    def _print(self, event: Button.Pressed) -> None:
        event.stop()
        assert self.print_receipt is not None
        ok = self.print_receipt(self._receipt())
        self._end_visit("returns.receipt_printed" if ok else "returns.receipt_failed")

    @on(Button.Pressed, "#receipt-email")
    def _email(self, event: Button.Pressed) -> None:
        event.stop()
        assert self.email_receipt is not None
        ok = self.email_receipt(self._receipt())
        self._end_visit("returns.receipt_sent" if ok else "returns.receipt_failed")

    @on(Button.Pressed, "#receipt-none")
    def _no_receipt(self, event: Button.Pressed) -> None:
        event.stop()
        self._end_visit(None)

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


class ReturnApp(App[None]):
    """A return machine's whole UI: one screen. ``kiosk run``/``kiosk demo --mode return``."""

    TITLE = "Library returns"

    def __init__(self, screen_factory: Callable[[], ReturnScreen]) -> None:
        super().__init__()
        self._factory = screen_factory

    def on_mount(self) -> None:
        self.push_screen(self._factory())
