"""The self-checkout app: shows the session's state, sends it the patron's touches and the
devices' scans, and keeps time (inactivity warning, goodbye)."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import subprocess
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import App
from textual.screen import Screen
from textual.theme import Theme
from textual.widgets import Button

from drivers.events import (
    CardEvent,
    DeviceBack,
    DeviceEvent,
    DeviceLost,
    DeviceReady,
    PrinterStatusChanged,
    PrintFinished,
    ScanEvent,
)
from kiosk.backend import MachineControl
from kiosk.config.ui import UiSettings
from kiosk.i18n import Translator, normalise_language
from kiosk.session import (
    CardRead,
    ConnectivityChanged,
    Event,
    ItemScanned,
    Mode,
    ModeSwitched,
    Row,
    ServiceChanged,
    Session,
    State,
    Step,
    TimedOut,
    Tone,
)
from kiosk.ui.bridge import Connectivity, DeviceInput
from kiosk.ui.screens.account import AccountScreen
from kiosk.ui.screens.base import KioskScreen
from kiosk.ui.screens.blocked import BlockedScreen
from kiosk.ui.screens.dialogs import AskStaffDialog, RenewOfferDialog, TimeoutDialog
from kiosk.ui.screens.finish import FinishScreen
from kiosk.ui.screens.goodbye import GoodbyeScreen
from kiosk.ui.screens.items import ItemsScreen
from kiosk.ui.screens.out_of_service import OutOfServiceScreen
from kiosk.ui.screens.pickup import PickupScreen
from kiosk.ui.screens.pin import PinScreen
from kiosk.ui.screens.renew import RenewScreen
from kiosk.ui.screens.technician import TechnicianLoginScreen, TechnicianScreen
from kiosk.ui.screens.welcome import WelcomeScreen
from kiosk.ui.widgets.demo_panel import DemoEntry, DemoPanel, DemoScript

log = logging.getLogger("kiosk.ui")

HIGH_CONTRAST = Theme(
    name="kiosk-high-contrast",
    primary="#FFD600",
    secondary="#00E5FF",
    accent="#00E5FF",
    foreground="#FFFFFF",
    background="#000000",
    surface="#101010",
    panel="#1C1C1C",
    boost="#202020",
    success="#00C853",
    warning="#FFAB00",
    error="#FF1744",
    dark=True,
)

_SCREENS: dict[State, type[KioskScreen]] = {
    State.IDLE: WelcomeScreen,
    State.PIN: PinScreen,
    State.BLOCKED: BlockedScreen,
    State.ITEMS: ItemsScreen,
    State.RENEW_OFFER: ItemsScreen,
    State.RETURNS: ItemsScreen,
    State.FINISH: FinishScreen,
    State.OUT_OF_SERVICE: OutOfServiceScreen,
}


class KioskApp(App[None]):
    CSS_PATH = "kiosk.tcss"
    TITLE = "Library self-service"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        session: Session,
        *,
        settings: UiSettings | None = None,
        control: MachineControl | None = None,
        demo: DemoScript | None = None,
        demo_input: Callable[[DemoEntry], None] | None = None,
        demo_network: Callable[[bool], None] | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        trace: Path | None = None,
    ) -> None:
        super().__init__()
        self.trace = trace
        """When set, every redraw appends the state and the buttons' cells as a JSON line
        (browser tests click by coordinates on textual-serve's canvas)."""
        self.session = session
        self.settings = settings or UiSettings()
        self.control = control
        self.demo = demo
        self._demo_input = demo_input
        self._demo_network = demo_network
        self._monotonic = monotonic
        self.language = self.settings.language
        self.t = Translator(self.language, currency=session.backend.currency)
        self.language_chosen = False
        self.device_status: dict[str, bool] = {}
        self.event_log: deque[str] = deque(maxlen=200)
        self.row_listeners: list[Callable[[Row], None]] = []
        self.ready_listeners: list[Callable[[], None]] = []
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._last_activity = monotonic()
        self._warning: TimeoutDialog | None = None
        self._warning_deadline = 0.0
        self._shown: State | None = None
        self._technician = False
        self._busy = False

    # --- facts for screens ------------------------------------------------------------------

    @property
    def library_name(self) -> str:
        return self.session.backend.library_name

    @property
    def online(self) -> bool:
        return self.session.online

    @property
    def can_toggle_network(self) -> bool:
        return self._demo_network is not None

    # --- start ------------------------------------------------------------------------------

    async def on_mount(self) -> None:
        self.register_theme(HIGH_CONTRAST)
        self.theme = HIGH_CONTRAST.name
        await self.push_screen(self._screen_for(self.session.state))
        self._shown = self.session.state
        self.run_worker(self._consume(), name="session", exclusive=True, group="session")
        self.set_interval(0.25, self._tick)
        for listener in self.ready_listeners:
            listener()
        if self.trace is not None:
            self.call_after_refresh(self.write_trace)

    def _screen_for(self, state: State, step: Step | None = None) -> Screen[Any]:
        if state is State.GOODBYE:
            return GoodbyeScreen(step.message_key if step else "")
        return _SCREENS[state]()

    # --- events into the session ------------------------------------------------------------

    def send(self, event: Event) -> None:
        """Queue an event for the session; they are handled one at a time, in order."""
        self.touch()
        self._queue.put_nowait(event)

    async def _consume(self) -> None:
        while True:
            event = await self._queue.get()
            self._busy = True
            try:
                try:
                    step = await asyncio.to_thread(self.session.handle, event)
                except Exception:  # never a traceback in front of a patron
                    log.exception("session failed on %r", type(event).__name__)
                    step = Step(self.session.state, Tone.ERROR, "reason.unavailable", changed=False)
                await self._apply(step, event)
            finally:
                self._busy = False
                if self.trace is not None:
                    self.call_after_refresh(self.write_trace)

    def write_trace(self) -> None:
        if self.trace is None:
            return
        buttons = {
            str(button.id): list(button.region)
            for button in self.screen.query(Button)
            if button.id and button.region.area
        }
        line = {
            "state": self.session.state.value,
            "screen": type(self.screen).__name__,
            "size": [self.size.width, self.size.height],
            "rows": len(self.session.rows),
            "buttons": buttons,
        }
        with self.trace.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(line) + "\n")

    def on_resize(self, event: events.Resize) -> None:
        if self.trace is not None:
            self.call_after_refresh(self.write_trace)

    @property
    def settled(self) -> bool:
        """True when every queued event has been handled and shown (tests, benchmarks)."""
        return self._queue.empty() and not self._busy

    async def _apply(self, step: Step, event: Event) -> None:
        if step.message_key:
            self.sound(step.tone, event)
        if self._technician:
            self._shown = None  # redrawn when the technician leaves
            return
        if step.state is not self._shown or (
            step.state is State.GOODBYE and step.changed and step.message_key
        ):
            await self._show(step)
        elif step.row is not None:
            for screen in self.screen_stack:
                if isinstance(screen, ItemsScreen):
                    screen.add_row(step.row)
            for listener in self.row_listeners:
                listener(step.row)
        if step.state is State.RENEW_OFFER and not isinstance(self.screen, RenewOfferDialog):
            title = step.params.get("title", "")
            await self.push_screen(RenewOfferDialog(str(title)))
        self.show_feedback(step)

    async def _show(self, step: Step) -> None:
        state = step.state
        if state is State.ITEMS and self._shown in (State.PIN, State.IDLE, State.BLOCKED):
            patron = self.session.patron
            if patron and patron.language and not self.language_chosen:
                self._set_language(patron.language)
        if state in (State.IDLE, State.OUT_OF_SERVICE) and self._shown is not None:
            self.language_chosen = False
            self._set_language(self.settings.language)
        if state is State.RENEW_OFFER and self._shown is State.ITEMS:
            self._shown = state
            return
        if state is State.ITEMS and self._shown is State.RENEW_OFFER:
            self._shown = state
            if step.row is not None:
                for screen in self.screen_stack:
                    if isinstance(screen, ItemsScreen):
                        screen.add_row(step.row)
                for listener in self.row_listeners:
                    listener(step.row)
            return
        await self._goto(self._screen_for(state, step))
        self._shown = state
        if step.row is not None:
            for listener in self.row_listeners:
                listener(step.row)

    async def _goto(self, screen: Screen[Any]) -> None:
        self._close_warning()
        while len(self.screen_stack) > 2:
            await self.pop_screen()
        await self.switch_screen(screen)

    def show_feedback(self, step: Step) -> None:
        if not step.message_key:
            return
        params = dict(step.params)
        if step.row is not None:
            params.setdefault("due", step.row.due or "")
            params.setdefault("fine", self.t.money(step.row.fine) if step.row.fine else "")
        if "mode" in params:
            params["mode"] = self.t(f"ui.mode_{params['mode']}")
        text = self.t(step.message_key, **params)
        for screen in reversed(self.screen_stack):
            if isinstance(screen, KioskScreen):
                screen.feedback(text, step.tone.value)
                break

    def sound(self, tone: Tone, event: Event | None = None) -> None:
        """Audible feedback: one bell for success, two for a problem; an optional command."""
        if self.settings.bell:
            self.bell()
            if tone in (Tone.WARN, Tone.ERROR):
                self.set_timer(0.25, self.bell)
        if self.settings.sound_command:
            command = [part.replace("{tone}", tone.value) for part in self.settings.sound_command]
            try:
                subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError as error:
                log.warning("sound command failed: %s", error)

    # --- activity and the inactivity warning -------------------------------------------------

    def touch(self) -> None:
        self._last_activity = self._monotonic()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.MouseDown | events.Key):
            self.touch()
        await super().on_event(event)

    def _tick(self) -> None:
        now = self._monotonic()
        state = self.session.state
        watching = self.session.in_visit and state is not State.GOODBYE and not self._technician
        if not watching:
            self._close_warning()
            return
        if self._warning is None:
            if now - self._last_activity >= self.settings.idle_seconds:
                self._warning_deadline = now + self.settings.warning_seconds
                self._warning = TimeoutDialog(self.settings.warning_seconds)
                self.push_screen(self._warning, self._warning_answered)
            return
        left = self._warning_deadline - now
        if left <= 0:
            self._close_warning()
            self._queue.put_nowait(TimedOut())
        else:
            self._warning.remaining = max(math.ceil(left), 1)

    def _warning_answered(self, _: object) -> None:
        self._warning = None
        self.touch()

    def _close_warning(self) -> None:
        if self._warning is not None:
            warning, self._warning = self._warning, None
            # Only the top screen can be dismissed; below another dialog, _goto pops it.
            if warning.is_attached and self.screen is warning:
                warning.dismiss(None)

    # --- patron actions --------------------------------------------------------------------

    def choose_language(self, language: str) -> None:
        self.language_chosen = True
        self._set_language(language)
        self.touch()

    def _set_language(self, language: str) -> None:
        language = normalise_language(language)
        if language == self.language:
            return
        self.language = language
        self.t = Translator(language, currency=self.session.backend.currency)
        for screen in self.screen_stack:
            if isinstance(screen, KioskScreen) and screen.is_attached:
                screen.refresh(recompose=True)

    def ask_staff(self) -> None:
        self.touch()
        self.log_event(self.t("tech.event_ask_staff"))
        self.push_screen(AskStaffDialog())

    def _account_worker(self, factory: Callable[[Any], Screen[Any]]) -> None:
        async def load() -> None:
            account = await asyncio.to_thread(self.session.account, True)
            if self.session.state is State.ITEMS:
                await self.push_screen(factory(account))

        self.touch()
        self.run_worker(load(), exclusive=True, group="account")

    def open_renew(self) -> None:
        self._account_worker(RenewScreen)

    def open_account(self) -> None:
        self._account_worker(AccountScreen)

    def open_pickup(self) -> None:
        self._account_worker(PickupScreen)

    def close_subscreen(self) -> None:
        self.touch()
        if len(self.screen_stack) > 2:
            self.pop_screen()

    # --- technician ------------------------------------------------------------------------

    def open_technician_login(self) -> None:
        if self.session.in_visit:
            return
        self._technician = True
        self.push_screen(TechnicianLoginScreen())

    def open_technician(self) -> None:
        if self.session.in_visit:
            return
        self._technician = True
        self.push_screen(TechnicianScreen())

    def leave_technician(self) -> None:
        self._technician = False

        async def back() -> None:
            while len(self.screen_stack) > 2:
                await self.pop_screen()
            await self.switch_screen(self._screen_for(self.session.state))
            self._shown = self.session.state

        self.run_worker(back(), exclusive=True, group="technician")

    def switch_mode(self, mode: Mode) -> None:
        self.log_event(self.t("tech.event_mode", mode=self.t(f"ui.mode_{mode.value}")))
        self._queue.put_nowait(ModeSwitched(mode))

    def set_in_service(self, in_service: bool, message: str) -> None:
        if in_service:
            self.log_event(self.t("tech.event_in_service"))
        else:
            self.log_event(self.t("tech.event_out_of_service", message=message))
        self._queue.put_nowait(ServiceChanged(in_service, message))

    def log_event(self, line: str) -> None:
        stamped = f"{self.session.clock.now():%H:%M:%S} {line}"
        self.event_log.append(stamped)
        for screen in self.screen_stack:
            if isinstance(screen, TechnicianScreen):
                screen.add_event(stamped)

    # --- devices --------------------------------------------------------------------------

    @on(DeviceInput)
    def _device(self, message: DeviceInput) -> None:
        event = message.event
        self.log_event(self._describe(event))
        match event:
            case ScanEvent(code=code):
                self.touch()
                if self._technician:
                    return
                if self._is_technician_card(code):
                    self.open_technician()
                else:
                    self.send(ItemScanned(code))
            case CardEvent(card_number=card):
                self.touch()
                if self._technician:
                    return
                if self._is_technician_card(card):
                    self.open_technician()
                else:
                    self.send(CardRead(card))
            case DeviceReady() | DeviceBack():
                self.device_status[event.device] = True
            case DeviceLost():
                self.device_status[event.device] = False
            case PrinterStatusChanged():
                self.device_status[event.device] = event.ready

    def _is_technician_card(self, code: str) -> bool:
        return code in self.settings.technician_cards and not self.session.in_visit

    def _describe(self, event: DeviceEvent) -> str:
        """A technician's line for a device event (never the scanned code: privacy)."""
        t, device = self.t, event.device
        match event:
            case ScanEvent(symbology=symbology):
                return t("tech.event_scan", device=device, symbology=symbology)
            case CardEvent():
                return t("tech.event_card", device=device)
            case DeviceLost(reason=reason):
                return t("tech.event_lost", device=device, reason=reason)
            case DeviceBack(downtime=downtime):
                return t("tech.event_back", device=device, seconds=f"{downtime:.1f}")
            case PrintFinished(ok=True):
                return t("tech.event_print_ok", device=device)
            case PrintFinished(reason=reason):
                return t("tech.event_print_failed", device=device, reason=reason)
        return t("tech.event_other", device=device, event=type(event).__name__)

    @on(Connectivity)
    def _connectivity(self, message: Connectivity) -> None:
        if message.online:
            self.log_event(self.t("tech.event_online"))
        else:
            self.log_event(self.t("tech.event_offline", reason=message.reason))
        self._queue.put_nowait(ConnectivityChanged(message.online))
        for screen in self.screen_stack:
            if isinstance(screen, KioskScreen) and screen.is_attached:
                screen.set_online(message.online)

    # --- demo ---------------------------------------------------------------------------

    @on(DemoPanel.Scan)
    def _demo_scan(self, message: DemoPanel.Scan) -> None:
        entry = message.entry
        if self._demo_input is not None:
            self._demo_input(entry)
        elif entry.device == "card":
            self.post_message(DeviceInput(CardEvent(device="card", card_number=entry.code)))
        else:
            self.post_message(
                DeviceInput(ScanEvent(device="scanner", code=entry.code, symbology="demo"))
            )

    @on(DemoPanel.ToggleNetwork)
    def _demo_toggle(self) -> None:
        if self._demo_network is not None:
            self._demo_network(not self.online)
