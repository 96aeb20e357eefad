"""Small helpers for driving the kiosk app under Pilot."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Static

from drivers.events import CardEvent, ScanEvent
from kiosk.session import State
from kiosk.ui import KioskApp
from kiosk.ui.bridge import DeviceInput
from kiosk.ui.widgets.feedback import Feedback


async def settle(pilot: Pilot, app: KioskApp, rounds: int = 40) -> None:
    """Wait until the session has handled every queued event and the screen caught up."""
    for _ in range(rounds):
        await pilot.pause(0.02)
        if app.settled:
            await pilot.pause(0.02)
            if app.settled:
                return


async def card(pilot: Pilot, app: KioskApp, number: str) -> None:
    app.post_message(DeviceInput(CardEvent(device="card", card_number=number)))
    await settle(pilot, app)


async def scan(pilot: Pilot, app: KioskApp, code: str) -> None:
    app.post_message(DeviceInput(ScanEvent(device="scanner", code=code, symbology="code128")))
    await settle(pilot, app)


async def enter_pin(pilot: Pilot, app: KioskApp, pin: str) -> None:
    await settle(pilot, app)
    await pilot.pause(0.05)
    for digit in pin:
        await pilot.click(f"#pin-{digit}")
    await pilot.click("#pin-ok")
    await settle(pilot, app)


def feedback(app: KioskApp) -> str:
    return str(app.screen.query_one(Feedback).render())


def texts(app: KioskApp) -> str:
    """Every Static's text on the current screen, joined (what a patron can read)."""
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


def state(app: KioskApp) -> State:
    return app.session.state
