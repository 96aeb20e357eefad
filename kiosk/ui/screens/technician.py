"""Technician mode: devices, live events, queue, sync, test receipt, mode, out of service."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Center, Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, RichLog, Static

from kiosk.session import Mode
from kiosk.ui.widgets.pin_pad import PinPad

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp


class TechnicianLoginScreen(Screen[None]):
    @property
    def kiosk(self) -> KioskApp:
        return cast("KioskApp", self.app)

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Vertical(id="body"):
            yield Static(t("tech.pin_title"), classes="title")
            with Center():
                yield PinPad(t("ui.pin_clear"), t("ui.pin_ok"))
            yield Static("", id="tech-error", classes="notice")
            with Center():
                yield Button(t("ui.cancel"), id="cancel", classes="wide")

    @on(PinPad.Submitted)
    def _submitted(self, event: PinPad.Submitted) -> None:
        self.check(event.pin)

    @work(thread=True, exclusive=True)
    def check(self, pin: str) -> None:
        ok = self.kiosk.settings.technician_pin_ok(pin)  # argon2: keep it off the UI loop
        self.app.call_from_thread(self._checked, ok)

    def _checked(self, ok: bool) -> None:
        if ok:
            self.app.switch_screen(TechnicianScreen())
        else:
            self.query_one("#tech-error", Static).update(self.kiosk.t("tech.wrong_pin"))

    @on(Button.Pressed, "#cancel")
    def _cancel(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.leave_technician()


class TechnicianScreen(Screen[None]):
    DEFAULT_CSS = """
    TechnicianScreen #tech-head { height: 3; }
    TechnicianScreen #tech-head .title { width: 1fr; }
    TechnicianScreen #tech-cols { height: 1fr; }
    TechnicianScreen #tech-left { width: 1fr; padding: 0 1; }
    TechnicianScreen #tech-right { width: 1fr; padding: 0 1; }
    TechnicianScreen Button { min-width: 16; height: 3; margin: 0 1 0 0; }
    TechnicianScreen .row { height: auto; margin-bottom: 1; }
    TechnicianScreen RichLog { height: 1fr; border: tall $accent; }
    TechnicianScreen Input { width: 1fr; }
    """

    @property
    def kiosk(self) -> KioskApp:
        return cast("KioskApp", self.app)

    def compose(self) -> ComposeResult:
        t = self.kiosk.t
        with Horizontal(id="tech-head", classes="row"):
            yield Static(t("tech.title"), classes="title")
            yield Button(t("tech.exit"), id="tech-exit", variant="primary")
        with Horizontal(id="tech-cols"):
            with Vertical(id="tech-left"):
                yield Static(t("tech.devices"), classes="section")
                yield Static("", id="tech-devices")
                yield Static("", id="tech-online")
                yield Static(t("tech.queue"), classes="section")
                yield Static("", id="tech-queue")
                with Horizontal(classes="row"):
                    yield Button(t("tech.force_sync"), id="tech-sync")
                    yield Button(t("tech.test_receipt"), id="tech-receipt")
                yield Static(t("tech.mode"), classes="section")
                with Horizontal(classes="row"):
                    for mode in Mode:
                        button = Button(t(f"ui.mode_{mode.value}"), id=f"tech-mode-{mode.value}")
                        button.set_class(self.kiosk.session.mode is mode, "-current")
                        yield button
                yield Static(t("tech.oos_message"), classes="section")
                field = Input(self.kiosk.session.service_message, id="tech-oos-text")
                field.cursor_blink = False
                yield field
                with Horizontal(classes="row"):
                    yield Button(t("tech.out_of_service"), id="tech-oos", variant="error")
                    yield Button(t("tech.back_in_service"), id="tech-in-service")
                yield Static("", id="tech-result", classes="notice")
            with Vertical(id="tech-right"):
                yield Static(t("tech.events"), classes="section")
                yield RichLog(id="tech-events", max_lines=200)
                yield Static(t("tech.refused"), classes="section")
                yield RichLog(id="tech-problems", max_lines=100)

    def on_mount(self) -> None:
        log = self.query_one("#tech-events", RichLog)
        for line in self.kiosk.event_log:
            log.write(line)
        self.refresh_status()
        self.set_interval(1.0, self.refresh_status)

    def add_event(self, line: str) -> None:
        self.query_one("#tech-events", RichLog).write(line)

    def refresh_status(self) -> None:
        kiosk = self.kiosk
        t = kiosk.t
        devices = kiosk.device_status
        lines = [
            f"{name}: {t('tech.device_ok') if ok else t('tech.device_lost')}"
            for name, ok in sorted(devices.items())
        ]
        self.query_one("#tech-devices", Static).update("\n".join(lines) or t("tech.none"))
        self.query_one("#tech-online", Static).update(
            t("tech.online") if kiosk.online else t("tech.offline")
        )
        self.load_status()

    @work(thread=True, exclusive=True, group="tech-status")
    def load_status(self) -> None:
        control = self.kiosk.control
        if control is None:
            return
        info = control.queue_info()
        problems = control.problems()
        self.app.call_from_thread(self._show_status, info, problems)

    def _show_status(self, info, problems) -> None:  # type: ignore[no-untyped-def]
        t = self.kiosk.t
        since = info.offline_since.isoformat(timespec="seconds") if info.offline_since else ""
        self.query_one("#tech-queue", Static).update(
            t(
                "tech.queue_status",
                depth=info.depth,
                oldest=int(info.oldest_age_s),
                error=info.last_error or t("tech.none"),
                since=since or t("tech.none"),
            )
        )
        log = self.query_one("#tech-problems", RichLog)
        log.clear()
        for problem in problems[-30:]:
            log.write(
                f"{problem.at:%H:%M:%S} {problem.source} {problem.kind} {problem.item} "
                f"{','.join(problem.codes)}"
            )

    def result(self, text: str) -> None:
        self.query_one("#tech-result", Static).update(text)

    @on(Button.Pressed, "#tech-exit")
    def _exit(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.leave_technician()

    @on(Button.Pressed, "#tech-sync")
    def _sync(self, event: Button.Pressed) -> None:
        event.stop()
        self.sync()

    @work(thread=True, exclusive=True, group="tech-sync")
    def sync(self) -> None:
        control = self.kiosk.control
        t = self.kiosk.t
        if control is None:
            return
        try:
            sent = control.force_sync()
            text = t("tech.sync_done", sent=sent)
        except Exception as error:  # shown to the technician, never raised into the UI
            text = t("tech.sync_failed", error=str(error) or type(error).__name__)
        self.app.call_from_thread(self.result, text)

    @on(Button.Pressed, "#tech-receipt")
    def _receipt(self, event: Button.Pressed) -> None:
        event.stop()
        self.test_receipt()

    @work(thread=True, exclusive=True, group="tech-receipt")
    def test_receipt(self) -> None:
        control = self.kiosk.control
        ok = control is not None and control.test_receipt()
        text = self.kiosk.t("tech.receipt_sent" if ok else "tech.receipt_failed")
        self.app.call_from_thread(self.result, text)

    @on(Button.Pressed, "#tech-mode-checkout, #tech-mode-return, #tech-mode-both")
    def _mode(self, event: Button.Pressed) -> None:
        event.stop()
        mode = Mode((event.button.id or "").removeprefix("tech-mode-"))
        self.kiosk.switch_mode(mode)
        for m in Mode:
            self.query_one(f"#tech-mode-{m.value}").set_class(m is mode, "-current")

    @on(Button.Pressed, "#tech-oos")
    def _oos(self, event: Button.Pressed) -> None:
        event.stop()
        message = self.query_one("#tech-oos-text", Input).value.strip()
        self.kiosk.set_in_service(False, message)
        self.result(self.kiosk.t("service.out"))

    @on(Button.Pressed, "#tech-in-service")
    def _in_service(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.set_in_service(True, "")
        self.result(self.kiosk.t("service.in"))
