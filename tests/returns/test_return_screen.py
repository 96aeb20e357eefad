"""The return screen under App.run_test(), on the return demo: simulated I/O board and
scanner on ptys, the real drivers, outbox and forwarder, and an embedded central store
loaded with Hefei's demo data."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from textual.widgets import Button

from kiosk.i18n import Translator
from kiosk.returns.controller import State
from kiosk.returns.demo import ReturnDemoMachine
from kiosk.ui.screens.return_screen import ReturnApp, ReturnReceipt, ReturnScreen
from tests.returns.helpers import quick_return_demo, until


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[ReturnDemoMachine]:
    machine = quick_return_demo("hefei", tmp_path)
    yield machine
    machine.close()


def printed_into(printed: list[ReturnReceipt]) -> Callable[[ReturnReceipt], bool]:
    """A receipt printer that keeps what it was asked to print."""

    def print_receipt(receipt: ReturnReceipt) -> bool:
        printed.append(receipt)
        return True

    return print_receipt


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_online_return_of_a_held_item_goes_to_the_hold_shelf(demo: ReturnDemoMachine) -> None:
    controller = demo.machine.controller
    _wait(lambda: controller.state is State.IDLE)
    demo.demo.sim.present_item()
    demo.demo.scanner.scan("31234000000011")  # waiting hold at "main"
    _wait(lambda: controller.state is State.IDLE and controller.last_returned is not None)
    returned = controller.last_returned
    assert returned is not None and returned.role == "hold_shelf" and returned.bin == 2
    assert not returned.offline
    [slip] = demo.slips.slips
    patron_names = {"张", "李", "王"}  # the slip shows an alias such as "ZS-1234", never a name
    assert "-" in slip.patron_alias and not patron_names & set(slip.patron_alias)
    assert demo.demo.sim.bin_counts[2] == 1
    [row] = [r for r in demo.outbox.rows() if r.kind == "checkin"]
    assert row.uuid == controller.journal.cycles()[0].tx_uuid


async def test_the_screen_shows_the_return_and_offers_a_receipt(
    demo: ReturnDemoMachine,
) -> None:
    printed: list[ReturnReceipt] = []
    print_receipt = printed_into(printed)
    translator = Translator("de", currency="CNY")
    app = ReturnApp(
        lambda: ReturnScreen(demo.machine, translator, print_receipt=print_receipt, demo=demo.demo)
    )
    async with app.run_test(size=(110, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        await pilot.pause(0.3)
        assert "Medium nach dem anderen" in str(screen.query_one("#status").render())
        await pilot.click("#demo-insert")
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.query_one("#receipt").display:
                break
        returned = str(screen.query_one("#returned").render())
        assert "Zurückgegeben: 红楼梦" in returned
        assert screen.query_one("#receipt").display
        await pilot.pause(0.3)  # let the layout settle before touching the new buttons
        await pilot.click("#receipt-print")
        for _ in range(20):
            await pilot.pause(0.05)
            if printed:
                break
        assert len(printed) == 1 and printed[0].items[0].item == "31234000000001"
        assert "Quittung wird gedruckt" in str(screen.query_one("#returned").render())
        # staff: the bin counter, then "bin emptied"
        assert ": 1" in str(screen.query_one("#bin-1").render())
        await pilot.click("#empty-1")
        for _ in range(40):
            await pilot.pause(0.05)
            if ": 0" in str(screen.query_one("#bin-1").render()):
                break
        assert ": 0" in str(screen.query_one("#bin-1").render())
        assert demo.machine.controller.counters()[1] == 0


async def test_an_unanswered_receipt_question_warns_then_clears_the_visit(
    demo: ReturnDemoMachine,
) -> None:
    """A patron who walks away: "Are you still there?" with a countdown and one touch for
    more time (WCAG 2.2.1), then the visit ends with no receipt and nothing left on screen."""
    t = Translator("en", currency="CNY")
    app = ReturnApp(
        lambda: ReturnScreen(demo.machine, t, demo=demo.demo, visit_timeout=2.0, warning_seconds=5)
    )
    async with app.run_test(size=(110, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)

        def question() -> str:
            return str(screen.query_one("#receipt-question").render())

        await pilot.pause(0.3)
        await pilot.click("#demo-insert")
        await until(pilot, lambda: bool(screen.query_one("#receipt").display))
        assert question() == t("returns.receipt_question")
        assert not screen.query_one("#receipt-more").display
        await until(pilot, lambda: t("ui.timeout_title") in question())
        assert t("ui.timeout_text", seconds=5) in question()
        assert "红楼梦" in str(screen.query_one("#returned").render())
        await pilot.click("#receipt-more")  # more time: the question again, clock restarted
        await until(pilot, lambda: question() == t("returns.receipt_question"))
        assert not screen.query_one("#receipt-more").display and len(screen.visit) == 1
        await until(pilot, lambda: t("ui.timeout_title") in question())
        await until(pilot, lambda: not screen.visit, timeout=15)
        assert not screen.query_one("#receipt").display
        assert str(screen.query_one("#returned").render()).strip() == ""


async def test_a_patron_switches_language_mid_visit_and_the_next_visit_starts_afresh(
    demo: ReturnDemoMachine,
) -> None:
    printed: list[ReturnReceipt] = []
    print_receipt = printed_into(printed)
    en, vi = Translator("en", currency="CNY"), Translator("vi", currency="CNY")
    app = ReturnApp(
        lambda: ReturnScreen(demo.machine, en, print_receipt=print_receipt, demo=demo.demo)
    )
    async with app.run_test(size=(110, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)

        def text(selector: str) -> str:
            return str(screen.query_one(selector).render())

        await pilot.pause(0.3)
        await pilot.click("#demo-insert")
        await until(pilot, lambda: bool(screen.query_one("#receipt").display))  # the item is in
        assert len(screen.visit) == 1
        assert text("#receipt-question") == en("returns.receipt_question")
        await pilot.click("#lang-vi")
        await pilot.pause(0.1)
        assert text("#title") == vi("returns.title")
        assert text("#receipt-question") == vi("returns.receipt_question")
        assert str(screen.query_one("#receipt-print", Button).label) == vi("returns.receipt_print")
        assert vi("returns.returned_title", title="红楼梦") in text("#returned")
        assert text("#status") == vi("returns.insert_item")
        screen.goodbye_seconds = 0.5
        await pilot.click("#receipt-print")
        await until(pilot, lambda: bool(printed))
        assert printed[0].language == "vi"  # the receipt in the chosen language
        assert text("#returned") == vi("returns.receipt_printed")  # the last word: Vietnamese
        # then the machine's language again, for the next visit
        await until(pilot, lambda: text("#title") == en("returns.title"))


async def test_unreadable_item_asks_to_try_again_in_chinese(demo: ReturnDemoMachine) -> None:
    app = ReturnApp(lambda: ReturnScreen(demo.machine, Translator("zh_CN"), demo=demo.demo))
    async with app.run_test(size=(110, 48)) as pilot:
        screen = app.screen
        await pilot.pause(0.3)
        await pilot.click("#demo-unreadable")
        for _ in range(100):
            await pilot.pause(0.05)
            if demo.machine.controller.state is State.TAKE_BACK:
                break
        await pilot.pause(0.1)
        assert "无法读取条码" in str(screen.query_one("#status").render())
        assert screen.query_one("#status").has_class("warning")
        await pilot.click("#demo-take-back")
        for _ in range(60):
            await pilot.pause(0.05)
            if demo.machine.controller.state is State.IDLE:
                break
        assert demo.machine.controller.state is State.IDLE


async def test_the_demo_app_for_kiosk_demo_mode_return(tmp_path: Path) -> None:
    from kiosk.ui.screens.return_app import build_return_demo_app

    app, machine = build_return_demo_app(
        "sanjose", data_dir=tmp_path, language="vi", cycle_time=0.1
    )
    try:
        async with app.run_test(size=(110, 48)) as pilot:
            await pilot.pause(0.3)
            await pilot.click("#demo-insert")
            for _ in range(200):
                await pilot.pause(0.05)
                if app.screen.query_one("#receipt").display:
                    break
            assert "Đã trả" in str(app.screen.query_one("#returned").render())
            picture = str(app.screen.query_one("#picture").render())
            assert picture.startswith("door ") and "belt" in picture and "[1:" in picture
    finally:
        machine.close()


def test_kiosk_run_wiring_from_the_machine_config(tmp_path: Path) -> None:
    """``build_from_machine_config``: devices from [devices] (sim: -> simulator ptys), check-ins
    through the machine's queue, bins from [returns]."""
    from drivers.sim.returnunit import ReturnUnitSim
    from drivers.sim.scanner import ScannerSim
    from kiosk.outbox.wiring import open_machine_queue
    from kiosk.returns import build_from_machine_config
    from kiosk.returns.demo import ServiceTarget
    from tests.returns.helpers import hamburg_drop

    central, config = hamburg_drop(tmp_path)
    queue = open_machine_queue(config, target=ServiceTarget(central.service))
    sim = ReturnUnitSim(bins=4, cycle_time=0.1).start()
    scanner = ScannerSim().start()
    queue.forwarder.start()
    machine = build_from_machine_config(
        config,
        queue=queue,
        data_dir=tmp_path,
        urls={"belt": sim.path, "reader": scanner.path},
        branch="zentrale",
    )
    try:
        machine.start()
        controller = machine.controller
        _wait(lambda: controller.state is State.IDLE)
        sim.present_item()
        scanner.scan("BH0000000011")  # a waiting hold, pickup at zentrale
        _wait(lambda: controller.state is State.IDLE and controller.last_returned is not None)
        assert controller.last_returned.role == "hold_shelf"
        assert sim.bin_counts[2] == 1
        [row] = [r for r in queue.outbox.rows() if r.kind == "checkin"]
        assert row.payload == {"item": "BH0000000011", "branch": "zentrale"}
    finally:
        machine.stop()
        queue.close()
        sim.stop()
        scanner.stop()
