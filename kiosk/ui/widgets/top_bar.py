"""The bar on top of every patron screen: library name, offline badge, "ask staff"."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button, Static


class TopBar(Horizontal):
    DEFAULT_CSS = """
    TopBar { height: 3; dock: top; background: $panel; }
    TopBar #library { width: 1fr; content-align: left middle; height: 3; padding: 0 1;
                      text-style: bold; }
    TopBar #offline-badge { width: auto; height: 3; content-align: center middle; padding: 0 2;
                            background: $warning; color: $background; text-style: bold; }
    TopBar #offline-badge.hidden { display: none; }
    TopBar #ask-staff { min-width: 16; height: 3; }
    """

    def __init__(self, library: str, ask_label: str, offline_label: str, online: bool) -> None:
        super().__init__()
        self.library = library
        self.ask_label = ask_label
        self.offline_label = offline_label
        self.online = online

    def compose(self) -> ComposeResult:
        yield Static(self.library, id="library")
        badge = Static(self.offline_label, id="offline-badge")
        badge.set_class(self.online, "hidden")
        yield badge
        yield Button(self.ask_label, id="ask-staff", variant="warning")

    def set_online(self, online: bool) -> None:
        self.online = online
        self.query_one("#offline-badge").set_class(online, "hidden")
