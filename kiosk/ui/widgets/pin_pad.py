"""An on-screen PIN pad: large digits, the PIN shown only as dots, no keyboard needed."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.message import Message
from textual.widgets import Button, Static


class PinPad(Vertical):
    DEFAULT_CSS = """
    PinPad { width: auto; height: auto; align-horizontal: center; }
    PinPad #pin-display { width: 50; height: 3; content-align: center middle;
                          border: tall $accent; text-style: bold; }
    PinPad Grid { grid-size: 3 4; grid-gutter: 0 1; width: 50; height: 16; }
    PinPad Button { width: 16; height: 4; min-width: 16; text-style: bold; }
    """

    class Submitted(Message):
        def __init__(self, pin: str) -> None:
            super().__init__()
            self.pin = pin

    def __init__(self, clear_label: str, ok_label: str, max_length: int = 16) -> None:
        super().__init__()
        self.clear_label = clear_label
        self.ok_label = ok_label
        self.max_length = max_length
        self._digits: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="pin-display")
        with Grid():
            for digit in "123456789":
                yield self._digit_button(digit)
            yield Button(self.clear_label, id="pin-clear", variant="default")
            yield self._digit_button("0")
            yield Button(self.ok_label, id="pin-ok", variant="success")

    @staticmethod
    def _digit_button(digit: str) -> Button:
        button = Button(digit, id=f"pin-{digit}", classes="digit")
        # Button ignores taps during its 0.2 s press animation: a PIN like 1399 typed
        # quickly would lose a 9. The dots on the display are the feedback instead.
        button.active_effect_duration = 0
        return button

    @property
    def masked(self) -> str:
        return "● " * len(self._digits)

    def _redraw(self) -> None:
        self.query_one("#pin-display", Static).update(self.masked.strip())

    @on(Button.Pressed, ".digit")
    def _digit(self, event: Button.Pressed) -> None:
        event.stop()
        if len(self._digits) < self.max_length and event.button.id:
            self._digits.append(event.button.id.removeprefix("pin-"))
            self._redraw()

    @on(Button.Pressed, "#pin-clear")
    def _clear(self, event: Button.Pressed) -> None:
        event.stop()
        self.clear()

    @on(Button.Pressed, "#pin-ok")
    def _ok(self, event: Button.Pressed) -> None:
        event.stop()
        pin = "".join(self._digits)
        self.clear()
        self.post_message(self.Submitted(pin))

    def clear(self) -> None:
        self._digits.clear()
        self._redraw()
