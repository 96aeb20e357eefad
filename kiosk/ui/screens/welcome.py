"""The attract screen: what to do, in the patron's language."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static

from kiosk.i18n import LANGUAGES
from kiosk.ui.screens.base import KioskScreen


class WelcomeScreen(KioskScreen):
    def body(self) -> ComposeResult:
        kiosk = self.kiosk
        yield Static(self.t("ui.welcome_title", library=kiosk.library_name), classes="title")
        if kiosk.session.accepts_checkouts:
            yield Static(self.t("ui.welcome_scan_card"), classes="hint big", id="hint-card")
        if kiosk.session.accepts_returns:
            yield Static(self.t("ui.welcome_scan_return"), classes="hint big", id="hint-return")
        if not kiosk.online:
            yield Static(self.t("ui.offline_banner"), classes="notice", id="offline-notice")
        yield Static(self.t("ui.choose_language"), classes="hint")
        with Horizontal(classes="languages"):
            for code in kiosk.settings.languages:
                button = Button(LANGUAGES[code], id=f"lang-{code}", classes="language")
                button.set_class(code == kiosk.language, "-current")
                yield button
        yield Button("⚙", id="technician", classes="corner")

    @on(Button.Pressed, ".language")
    def _language(self, event: Button.Pressed) -> None:
        event.stop()
        code = (event.button.id or "").removeprefix("lang-")
        self.kiosk.choose_language(code)

    @on(Button.Pressed, "#technician")
    def _technician(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.open_technician_login()
