"""The demo machine end to end: panel taps travel through pty simulators and the real
drivers, transactions through the real outbox, offline mid-visit, technician mode, and the
inactivity warning."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kiosk.config.ui import UiSettings, hash_technician_pin
from kiosk.session import Mode, State
from kiosk.ui.demo import DemoMachine, build_demo
from kiosk.ui.screens.dialogs import TimeoutDialog
from kiosk.ui.screens.out_of_service import OutOfServiceScreen
from kiosk.ui.screens.technician import TechnicianScreen
from kiosk.ui.screens.welcome import WelcomeScreen
from tests.ui.conftest import NOW, SIZE, template_for
from tests.ui.helpers import enter_pin, settle, texts


@pytest.fixture
def demo(templates, tmp_path_factory, tmp_path: Path) -> Iterator:
    machines: list[DemoMachine] = []

    def make(library: str = "hefei", **settings: object) -> DemoMachine:
        shutil.copy(
            template_for(templates, library, tmp_path_factory.getbasetemp()),
            tmp_path / "central.db",
        )
        options = {
            "bell": False,
            "technician_pin_hash": hash_technician_pin("2468"),
            "technician_cards": ("TECH0001",),
            **settings,
        }
        machine = build_demo(
            library, data_dir=tmp_path, now=NOW[library], settings=UiSettings(**options)
        )
        machines.append(machine)
        return machine

    yield make
    for machine in machines:
        machine.close()


async def wait_for(pilot, condition, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await pilot.pause(0.05)


async def test_demo_visit_offline_mid_visit(demo) -> None:  # type: ignore[no-untyped-def]
    machine = demo("hefei")
    app, cast = machine.app, machine.cast
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#demo-card-0")  # through the card reader's pty
        await wait_for(pilot, lambda: app.session.state is State.PIN)
        await settle(pilot, app)  # the PIN pad is on screen
        await enter_pin(pilot, app, cast.borrower_pin)
        assert app.session.state is State.ITEMS
        await pilot.click("#demo-item-0")  # through the scanner's pty
        await wait_for(pilot, lambda: len(app.session.rows) == 1)
        assert app.session.rows[0].ok and not app.session.rows[0].offline
        machine.scanner_sim.scan(cast.reserved)  # refused: on the hold shelf for someone else
        await wait_for(pilot, lambda: len(app.session.rows) == 2)
        problems = machine.backend.problems()
        assert any(
            p.item == cast.reserved and "reserved_for_other" in p.codes and p.source == "machine"
            for p in problems
        )  # what the technician's "recent refusals" lists

        await pilot.click("#demo-network")  # cut the network mid-visit
        await wait_for(pilot, lambda: not app.session.online)
        assert app.session.went_offline_during_visit
        await pilot.click("#demo-item-1")
        await wait_for(pilot, lambda: len(app.session.rows) == 3)
        offline_row = app.session.rows[2]
        assert offline_row.ok and offline_row.offline and offline_row.due is not None
        assert machine.backend.queue_info().depth >= 1

        await pilot.click("#demo-network")  # back online: the queue drains
        machine.backend.force_sync()
        await wait_for(pilot, lambda: machine.backend.queue_info().depth == 0)
        await wait_for(pilot, lambda: app.session.online)

        await pilot.click("#finish")
        await settle(pilot, app)
        await pilot.click("#receipt-print")
        await wait_for(pilot, lambda: app.session.state is State.GOODBYE)
    account = machine.central.service.account(cast.borrower)
    loans = {loan.item for loan in account.loans}
    assert {cast.available[0], cast.available[1]} <= loans
    printed = bytes(machine.printer_sim.received)
    assert cast.borrower[-4:].encode() in printed
    assert cast.borrower.encode() not in printed  # the card is masked on paper


async def test_technician_pin_mode_and_out_of_service(demo) -> None:  # type: ignore[no-untyped-def]
    machine = demo("hamburg")
    app = machine.app
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#technician")
        await pilot.pause(0.1)
        for digit in "1111":
            await pilot.click(f"#pin-{digit}")
        await pilot.click("#pin-ok")
        await wait_for(pilot, lambda: "Wrong technician PIN." in texts(app))
        for digit in "2468":
            await pilot.click(f"#pin-{digit}")
        await pilot.click("#pin-ok")
        await wait_for(pilot, lambda: isinstance(app.screen, TechnicianScreen))

        await pilot.click("#tech-receipt")
        await wait_for(
            pilot,
            lambda: (
                b"Testbeleg" in bytes(machine.printer_sim.received)
                or b"Checkout" in bytes(machine.printer_sim.received)
                or len(machine.printer_sim.received) > 20
            ),
        )

        await pilot.click("#tech-mode-both")
        await wait_for(pilot, lambda: app.session.mode is Mode.BOTH)
        app.screen.query_one("#tech-oos-text").value = "Wartung bis 14 Uhr"
        await pilot.click("#tech-oos")
        await wait_for(pilot, lambda: app.session.state is State.OUT_OF_SERVICE)
        await pilot.click("#tech-exit")
        await wait_for(pilot, lambda: isinstance(app.screen, OutOfServiceScreen))
        assert "Wartung bis 14 Uhr" in texts(app)
        # a card while out of service does nothing
        await pilot.click("#demo-card-0")
        await pilot.pause(0.5)
        assert app.session.state is State.OUT_OF_SERVICE


async def test_technician_card_opens_technician_mode(demo) -> None:  # type: ignore[no-untyped-def]
    machine = demo("sanjose")
    app = machine.app
    async with app.run_test(size=SIZE) as pilot:
        machine.scanner_sim.scan("TECH0001")
        await wait_for(pilot, lambda: isinstance(app.screen, TechnicianScreen))
        assert app.session.state is State.IDLE
        assert app.device_status.get("scanner") is True


async def test_inactivity_warning_then_logout(demo) -> None:  # type: ignore[no-untyped-def]
    machine = demo("hefei")
    app, cast = machine.app, machine.cast
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#demo-card-0")
        await wait_for(pilot, lambda: app.session.state is State.PIN)
        await settle(pilot, app)  # the PIN pad is on screen
        await enter_pin(pilot, app, cast.borrower_pin)
        # Short timeouts only once logged in: on a loaded machine the taps on the PIN pad
        # alone can take longer than two seconds.
        app.settings = app.settings.model_copy(update={"idle_seconds": 2, "warning_seconds": 5})
        app.touch()
        # The dialog is mounted, with its button (under load the two can be a frame apart).
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, TimeoutDialog) and bool(app.screen.query("#continue")),
        )
        assert any(f" {n} " in texts(app) for n in range(1, 6))  # the countdown
        await pilot.click("#continue")  # one touch to continue
        await settle(pilot, app)
        assert app.session.state is State.ITEMS
        # then nothing: the warning comes back and the visit ends
        await wait_for(pilot, lambda: app.session.state is not State.ITEMS, timeout=20)
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen), timeout=10)
        assert app.session.patron is None and app.session.rows == []
