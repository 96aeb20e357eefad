"""The line that answers every scan: a colour per tone and the sentence."""

from __future__ import annotations

from textual.reactive import reactive
from textual.widgets import Static

TONES = ("ok", "info", "warn", "error")


class Feedback(Static):
    DEFAULT_CSS = """
    Feedback { dock: bottom; height: 3; content-align: center middle; text-style: bold;
               padding: 0 1; background: $panel; }
    Feedback.-ok { background: $success; color: $background; }
    Feedback.-warn { background: $warning; color: $background; }
    Feedback.-error { background: $error; color: $text; }
    Feedback.-info { background: $panel; }
    """

    tone: reactive[str] = reactive("info")

    def show(self, text: str, tone: str) -> None:
        self.tone = tone
        self.update(text)

    def watch_tone(self, old: str, new: str) -> None:
        self.remove_class(f"-{old}")
        self.add_class(f"-{new}")
