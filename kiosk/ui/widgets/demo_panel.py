"""The demo's helper panel: tap a card or an item to "scan" it through the simulated devices."""

from __future__ import annotations

from dataclasses import dataclass, field

from textual import on
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Button, Static


@dataclass(frozen=True)
class DemoEntry:
    label: str
    code: str
    device: str
    """``card`` (the card reader) or ``scanner``."""


@dataclass(frozen=True)
class DemoScript:
    cards: tuple[DemoEntry, ...] = ()
    items: tuple[DemoEntry, ...] = ()
    pins: dict[str, str] = field(default_factory=dict)
    """Demo PINs by card, shown on the panel so a visitor can log in."""


class DemoPanel(VerticalScroll):
    DEFAULT_CSS = """
    DemoPanel { width: 36; height: 100%; background: $boost; border-left: tall $accent;
                padding: 0 1; }
    DemoPanel .demo-head { text-style: bold; margin-top: 1; }
    DemoPanel Button { width: 100%; height: 3; min-width: 12; }
    """

    class Scan(Message):
        def __init__(self, entry: DemoEntry) -> None:
            super().__init__()
            self.entry = entry

    class ToggleNetwork(Message):
        pass

    def __init__(self, script: DemoScript, labels: dict[str, str], network: bool = True) -> None:
        super().__init__(id="demo-panel")
        self.script = script
        self.labels = labels
        self.network = network

    def compose(self) -> ComposeResult:
        yield Static(self.labels["panel"], classes="demo-head")
        if self.network:
            yield Button(self.labels["network"], id="demo-network", variant="warning")
        yield Static(self.labels["cards"], classes="demo-head")
        for index, entry in enumerate(self.script.cards):
            pin = self.script.pins.get(entry.code)
            label = f"{entry.label} {pin}" if pin else entry.label
            yield Button(label, id=f"demo-card-{index}", classes="demo-card")
        yield Static(self.labels["items"], classes="demo-head")
        for index, entry in enumerate(self.script.items):
            yield Button(entry.label, id=f"demo-item-{index}", classes="demo-item")

    @on(Button.Pressed, ".demo-card")
    def _card(self, event: Button.Pressed) -> None:
        event.stop()
        index = int((event.button.id or "").rsplit("-", 1)[1])
        self.post_message(self.Scan(self.script.cards[index]))

    @on(Button.Pressed, ".demo-item")
    def _item(self, event: Button.Pressed) -> None:
        event.stop()
        index = int((event.button.id or "").rsplit("-", 1)[1])
        self.post_message(self.Scan(self.script.items[index]))

    @on(Button.Pressed, "#demo-network")
    def _network(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.ToggleNetwork())
