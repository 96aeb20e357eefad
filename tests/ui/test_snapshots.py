"""SVG snapshots of every screen in two languages (pytest-textual-snapshot).

Update after a deliberate change with ``pytest tests/ui/test_snapshots.py --snapshot-update``
and look at the new SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest
from textual.pilot import Pilot

from kiosk.session import Mode
from kiosk.ui import KioskApp
from kiosk.ui.demo_data import pick_cast
from kiosk.ui.screens.dialogs import AskStaffDialog, TimeoutDialog
from kiosk.ui.screens.technician import TechnicianLoginScreen, TechnicianScreen
from tests.ui.conftest import SIZE
from tests.ui.helpers import card, enter_pin, scan, settle

CAST = pick_cast("hefei")
Drive = Callable[[Pilot, KioskApp], Awaitable[None]]


async def login(pilot: Pilot, app: KioskApp) -> None:
    await card(pilot, app, CAST.borrower)
    await enter_pin(pilot, app, CAST.borrower_pin)


async def welcome(pilot: Pilot, app: KioskApp) -> None:
    pass


async def pin(pilot: Pilot, app: KioskApp) -> None:
    await card(pilot, app, CAST.borrower)
    for digit in "12":
        await pilot.click(f"#pin-{digit}")


async def wrong_pin(pilot: Pilot, app: KioskApp) -> None:
    await card(pilot, app, CAST.borrower)
    await enter_pin(pilot, app, "0000")


async def blocked(pilot: Pilot, app: KioskApp) -> None:
    await card(pilot, app, CAST.refused)
    assert app.session.state.value == "blocked"


async def staff_block(pilot: Pilot, app: KioskApp) -> None:
    await card(pilot, app, CAST.blocked)
    await enter_pin(pilot, app, CAST.pins[CAST.blocked])


async def items(pilot: Pilot, app: KioskApp) -> None:
    await login(pilot, app)
    await scan(pilot, app, CAST.available[0])
    await scan(pilot, app, CAST.reserved)


async def renew_offer(pilot: Pilot, app: KioskApp) -> None:
    await login(pilot, app)
    await scan(pilot, app, CAST.on_loan_to_borrower)


async def renew(pilot: Pilot, app: KioskApp) -> None:
    await login(pilot, app)
    await pilot.click("#open-renew")
    await settle(pilot, app)
    await pilot.pause(0.2)


async def account(pilot: Pilot, app: KioskApp) -> None:
    await card(pilot, app, CAST.pickup)
    await enter_pin(pilot, app, CAST.pickup_pin)
    await pilot.click("#open-account")
    await pilot.pause(0.3)


async def pickup(pilot: Pilot, app: KioskApp) -> None:
    await card(pilot, app, CAST.pickup)
    await enter_pin(pilot, app, CAST.pickup_pin)
    await pilot.click("#open-pickup")
    await pilot.pause(0.3)


async def finish(pilot: Pilot, app: KioskApp) -> None:
    await login(pilot, app)
    await scan(pilot, app, CAST.available[0])
    await pilot.click("#finish")
    await settle(pilot, app)


async def goodbye(pilot: Pilot, app: KioskApp) -> None:
    await finish(pilot, app)
    await pilot.click("#receipt-none")
    await settle(pilot, app)


async def returns(pilot: Pilot, app: KioskApp) -> None:
    app.switch_mode(Mode.BOTH)
    await settle(pilot, app)
    await scan(pilot, app, CAST.on_loan_to_borrower)


async def out_of_service(pilot: Pilot, app: KioskApp) -> None:
    app.set_in_service(False, "Back at 14:00 · 14:00 wieder da")
    await settle(pilot, app)


async def ask_staff(pilot: Pilot, app: KioskApp) -> None:
    await login(pilot, app)
    await pilot.click("#ask-staff")
    await pilot.pause(0.1)
    assert isinstance(app.screen, AskStaffDialog)


async def inactivity(pilot: Pilot, app: KioskApp) -> None:
    await login(pilot, app)
    await app.push_screen(TimeoutDialog(20))
    await pilot.pause(0.1)


async def technician_login(pilot: Pilot, app: KioskApp) -> None:
    await pilot.click("#technician")
    await pilot.pause(0.1)
    assert isinstance(app.screen, TechnicianLoginScreen)


async def technician(pilot: Pilot, app: KioskApp) -> None:
    app.open_technician()
    await pilot.pause(0.3)
    assert isinstance(app.screen, TechnicianScreen)


SCREENS: dict[str, Drive] = {
    "welcome": welcome,
    "pin": pin,
    "wrong_pin": wrong_pin,
    "blocked": blocked,
    "staff_block": staff_block,
    "items": items,
    "renew_offer": renew_offer,
    "renew": renew,
    "account": account,
    "pickup": pickup,
    "finish": finish,
    "goodbye": goodbye,
    "returns": returns,
    "out_of_service": out_of_service,
    "ask_staff": ask_staff,
    "inactivity": inactivity,
    "technician_login": technician_login,
    "technician": technician,
}


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, make_kiosk, screen: str, language: str) -> None:
    kiosk = make_kiosk("hefei", goodbye_seconds=120, idle_seconds=3600)
    app = kiosk.app

    async def run_before(pilot: Pilot) -> None:
        await settle(pilot, app)
        await pilot.click(f"#lang-{language}")
        await pilot.pause()
        await SCREENS[screen](pilot, app)
        await settle(pilot, app)
        await pilot.pause(0.35)  # let a tapped button's 0.2 s press effect end

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
