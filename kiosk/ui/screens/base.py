"""What every patron screen shares: the top bar with "ask staff", the feedback line, and the
demo panel when the demo runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Button

from kiosk.ui.widgets.demo_panel import DemoPanel
from kiosk.ui.widgets.feedback import Feedback
from kiosk.ui.widgets.top_bar import TopBar

if TYPE_CHECKING:
    from kiosk.ui.app import KioskApp


class KioskScreen(Screen[None]):
    """A full patron screen. Subclasses write :meth:`body`."""

    name_key = ""

    @property
    def kiosk(self) -> KioskApp:
        return cast("KioskApp", self.app)

    def t(self, key: str, **params: Any) -> str:
        return self.kiosk.t(key, **params)

    def compose(self) -> ComposeResult:
        kiosk = self.kiosk
        with Horizontal(id="frame"):
            with Vertical(id="main"):
                yield TopBar(
                    kiosk.library_name,
                    self.t("ui.ask_staff"),
                    self.t("ui.offline_badge"),
                    kiosk.online,
                )
                feedback = Feedback(self._pending[0] if self._pending else "", id="feedback")
                if self._pending:
                    feedback.tone = self._pending[1]
                yield feedback
                with Vertical(id="body"):
                    yield from self.body()
            if kiosk.demo is not None:
                yield DemoPanel(
                    kiosk.demo,
                    {
                        "panel": self.t("demo.panel"),
                        "cards": self.t("demo.cards"),
                        "items": self.t("demo.items"),
                        "network": self.t(
                            "demo.go_online" if not kiosk.online else "demo.go_offline"
                        ),
                    },
                    network=kiosk.can_toggle_network,
                )

    def body(self) -> ComposeResult:
        yield from ()

    _pending: tuple[str, str] | None = None

    def feedback(self, text: str, tone: str) -> None:
        """Show the answer to the last action (kept if the screen is being recomposed)."""
        self._pending = (text, tone)
        for widget in self.query(Feedback).results(Feedback):
            widget.show(text, tone)

    def set_online(self, online: bool) -> None:
        for bar in self.query(TopBar).results(TopBar):
            bar.set_online(online)
        for button in self.query("#demo-network").results(Button):
            button.label = self.t("demo.go_offline" if online else "demo.go_online")

    @on(Button.Pressed, "#ask-staff")
    def _ask_staff(self, event: Button.Pressed) -> None:
        event.stop()
        self.kiosk.ask_staff()


class KioskModal(ModalScreen[Any]):
    """A dialog over a patron screen."""

    DEFAULT_CSS = """
    KioskModal { align: center middle; }
    KioskModal > #dialog { width: 72; height: auto; border: thick $accent; padding: 1 2;
                           background: $surface; }
    KioskModal .dialog-title { text-style: bold; margin-bottom: 1; }
    KioskModal .dialog-buttons { height: auto; margin-top: 1; align-horizontal: center; }
    KioskModal .dialog-buttons Button { min-width: 20; height: 3; margin: 0 1; }
    """

    @property
    def kiosk(self) -> KioskApp:
        return cast("KioskApp", self.app)

    def t(self, key: str, **params: Any) -> str:
        return self.kiosk.t(key, **params)

    def dialog(self) -> Vertical:
        return Vertical(id="dialog")
