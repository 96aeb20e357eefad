"""Hold slips and return receipts on paper.

The layouts are checked byte for byte through the DUMMY back end; the machine is the return
demo for Hamburg (simulated I/O board, scanner and ESC/POS printer on pty serial ports, the
real drivers, outbox, forwarder and an embedded central store).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from drivers.events import EventQueue
from drivers.printer import Backend, ReceiptPrinter
from drivers.receipt import HoldSlipLayout, render_hold_slip
from drivers.sim.printer import printable_text
from kiosk.config.returns import ReturnsConfig
from kiosk.i18n import Translator
from kiosk.returns.controller import Returned, State
from kiosk.returns.demo import DEMO_BINS, ReturnDemoMachine, build_return_demo
from kiosk.returns.ports import HoldSlip
from kiosk.returns.printing import ReturnPrinter
from kiosk.ui.screens.return_app import receipt_printer
from kiosk.ui.screens.return_screen import ReturnApp, ReturnScreen
from tests.returns.helpers import quick_return_demo

HELD = "BH0000000011"  # "Die Blechtrommel (boardgame)", waiting hold at zentrale
HOLD_PATRON_NAME = "Lena Vogel 12"  # card A000000013
HOLD_ALIAS = "LV1-0013"  # Patron.alias
OVERDUE = "BH0000000009"  # "Homo faber (magazine)", due 2026-11-13
PLAIN = "BH0000000001"


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


# --- layouts, exact bytes ----------------------------------------------------------------------


def test_hold_slip_bytes_carry_the_alias_branch_title_and_date() -> None:
    slip = HoldSlipLayout(
        patron_alias=HOLD_ALIAS,
        title="Die Blechtrommel (boardgame)",
        item=HELD,
        printed_at=datetime(2026, 11, 23, 10, 5),
        pickup_branch="zentrale",
    )
    data = render_hold_slip(slip, width=42)
    text = printable_text(data)
    assert HOLD_ALIAS in text
    assert "zentrale" in text and "Die Blechtrommel (boardgame)" in text
    assert "2026-11-23 10:05" in text and HELD in text
    assert data.endswith(b"\x1dV\x00") or b"\x1dV" in data[-6:]  # cut at the end
    assert render_hold_slip(slip, width=42) == data  # deterministic


def _dummy_printer(
    width: int = 42, *, translator: Translator | None = None, money: bool = True
) -> tuple[ReturnPrinter, ReceiptPrinter]:
    driver = ReceiptPrinter("dummy", EventQueue().put, backend=Backend.DUMMY)
    printer = ReturnPrinter(
        driver,
        library_name="Bücherhallen Hamburg",
        translator=translator,
        money=(lambda amount: f"{amount} EUR") if money else None,
    )
    return printer, driver.start()


def test_return_printer_sends_the_slip_to_the_driver() -> None:
    printer, driver = _dummy_printer()
    try:
        at = datetime(2026, 11, 23, 10, 0)
        result = printer.print_hold_slip(HoldSlip(HOLD_ALIAS, "Krabat", HELD, "altona", at))
        assert result.result(5).ok
        text = printable_text(bytes(driver.output))
        assert HOLD_ALIAS in text and "Krabat" in text and "altona" in text
    finally:
        driver.stop()


def test_return_receipt_lists_shortened_titles_and_the_fines() -> None:
    printer, driver = _dummy_printer()
    long_title = "Die unendliche Geschichte: von A bis Z, mit Bildern und Karten"
    items = (
        Returned(OVERDUE, "Homo faber (magazine)", "1.50", 1, "reshelve"),
        Returned(PLAIN, long_title, "0", 1, "reshelve"),
        Returned(None, None, "0", 4, "staff"),
    )
    try:
        receipt = printer.receipt(items)
        assert receipt.card_number == "" and receipt.fines_total == "1.50 EUR"
        assert printer.print_return_receipt(items)
        _wait(lambda: b"\x1dV" in driver.output)
        text = printable_text(bytes(driver.output))
        assert "Bücherhallen Hamburg" in text and "Return receipt" in text
        assert "Homo faber (magazine)" in text and "1.50 EUR" in text
        assert long_title not in text and "Die unendliche Geschichte: vo..." in text
        assert "Card" not in text  # nobody identified at a return machine
    finally:
        driver.stop()


def test_a_german_machine_prints_its_hold_slips_in_german() -> None:
    printer, driver = _dummy_printer(translator=Translator("de", currency="EUR"))
    try:
        at = datetime(2026, 11, 23, 10, 0)
        result = printer.print_hold_slip(HoldSlip(HOLD_ALIAS, "Krabat", HELD, "altona", at))
        assert result.result(5).ok
        data = bytes(driver.output)
        assert b"VORMERKUNG" in data and b"Abholen in" in data
        text = printable_text(data)
        assert "Für" in text and "23.11.2026 10:00" in text  # the German date, too
        assert HOLD_ALIAS in text and "Krabat" in text
        for english in ("HOLD", "Pick up at", "For ", "2026-11-23"):
            assert english not in text, english
    finally:
        driver.stop()


def test_a_return_receipt_in_chinese_renders_in_chinese() -> None:
    printer, driver = _dummy_printer(translator=Translator("de"), money=False)
    items = (
        Returned(OVERDUE, "红楼梦", "1.50", 1, "reshelve"),
        Returned(None, None, "0", 4, "staff"),
    )
    try:
        chinese = Translator("zh_CN", currency="CNY")
        receipt = printer.receipt(items, chinese)
        assert receipt.heading == "还书凭条" and receipt.fines_total == "¥1.50"
        assert receipt.items[1].title == "（未识别的资料）"
        assert printer.print_return_receipt(items, chinese)
        _wait(lambda: b"\x1dV" in driver.output)
        data = bytes(driver.output)
        for words in ("还书凭条", "红楼梦", "未识别的资料", "册数", "感谢您光临图书馆"):
            assert words.encode("gb18030") in data, words
        assert "年11月23日".encode("gb18030") in data
        assert b"Return receipt" not in data and b"ckgabebeleg" not in data
    finally:
        driver.stop()


def test_without_a_translator_for_the_moment_the_receipt_is_in_the_librarys_language() -> None:
    printer, driver = _dummy_printer(translator=Translator("de", currency="EUR"), money=False)
    try:
        receipt = printer.receipt([Returned(OVERDUE, None, "2.00", 1, "reshelve", offline=True)])
        assert receipt.heading == "Rückgabebeleg"
        assert receipt.items[0].title == "(Medium nicht erkannt)"
        assert receipt.fines_total == "2,00\xa0€"
        assert receipt.footer == Translator("de")("ui.receipt_offline_note")
    finally:
        driver.stop()


# --- the machine, on simulated hardware ---------------------------------------------------------


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[ReturnDemoMachine]:
    machine = quick_return_demo("hamburg", tmp_path)
    yield machine
    machine.close()


def _return(demo: ReturnDemoMachine, barcode: str) -> Returned:
    controller = demo.machine.controller
    _wait(lambda: controller.state is State.IDLE)
    demo.demo.sim.present_item()
    demo.demo.scanner.scan(barcode)
    _wait(
        lambda: (
            controller.state is State.IDLE
            and controller.last_returned is not None
            and controller.last_returned.item == barcode
        )
    )
    returned = controller.last_returned
    assert returned is not None
    return returned


def test_a_held_items_return_prints_a_slip_with_the_alias_never_the_name(
    demo: ReturnDemoMachine,
) -> None:
    sim = demo.printer_sim
    assert sim is not None
    returned = _return(demo, HELD)
    assert returned.role == "hold_shelf"
    _wait(lambda: HOLD_ALIAS in sim.text)
    text = sim.text
    assert HOLD_PATRON_NAME not in text and "Lena" not in text and "Vogel" not in text
    assert "Die Blechtrommel" in text and "zentrale" in text and "2026-11-23" in text


@pytest.fixture
def sanjose(tmp_path: Path) -> Iterator[ReturnDemoMachine]:
    config = ReturnsConfig(bins=DEMO_BINS, journal=str(tmp_path / "returns.db"))
    machine = build_return_demo("sanjose", data_dir=tmp_path, cycle_time=0.1, config=config)
    yield machine
    machine.close()


SJ_OVERDUE = "31197000000072"  # "Where the Wild Things Are (linkplus)", due 2026-11-13
SJ_PLAIN = "31197000000056"  # "Hamlet (emedia)"


async def test_the_print_choice_prints_the_receipt_with_titles_and_fine(
    sanjose: ReturnDemoMachine,
) -> None:
    demo = sanjose
    sim = demo.printer_sim
    assert sim is not None
    translator = Translator("de", currency="USD")
    app = ReturnApp(
        lambda: ReturnScreen(
            demo.machine, translator, print_receipt=receipt_printer(demo.printer), demo=None
        )
    )
    async with app.run_test(size=(110, 48)) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        fined = _return(demo, SJ_OVERDUE)
        assert float(fined.fine) > 0
        _return(demo, SJ_PLAIN)
        for _ in range(100):
            await pilot.pause(0.05)
            if len(screen.visit) == 2 and screen.query_one("#receipt").display:
                break
        assert len(screen.visit) == 2
        await pilot.click("#receipt-print")
        await pilot.pause(0.2)
        assert "gedruckt" in str(screen.query_one("#returned").render()).lower()
    # printed in the language the screen showed (German), not the machine's (English)
    _wait(lambda: "Rückgabebeleg" in sim.text and sim.text.count("\n") > 8)
    text = sim.text
    assert "Where the Wild Things Are" in text and "Hamlet (emedia)" in text
    assert f"{float(fined.fine):.2f}".replace(".", ",") in text, text  # the fine, German style
    assert "Medien: 2" in text and "Danke für Ihren Besuch" in text
    assert "Return receipt" not in text and "Items" not in text
    assert "San Jos" in text


def test_paper_out_is_logged_for_staff_and_the_next_return_goes_through(
    demo: ReturnDemoMachine,
) -> None:
    sim = demo.printer_sim
    assert sim is not None
    controller = demo.machine.controller
    sim.paper_out()
    _wait(lambda: any(f.kind == "printer" for f in controller.journal.faults()))
    before = sim.text
    returned = _return(demo, HELD)  # a slip is due, and cannot print
    assert returned.role == "hold_shelf"
    _wait(lambda: any("failed: paper out" in f.detail for f in controller.journal.faults()))
    assert sim.text == before
    second = _return(demo, PLAIN)
    assert second.bin is not None and controller.state is State.IDLE
    assert demo.demo.sim.bin_counts[returned.bin or 0] >= 1
    assert sum(demo.demo.sim.bin_counts) == 2
    assert not demo.printer.print_return_receipt([returned, second])  # type: ignore[union-attr]
    sim.paper_ok()
    _wait(
        lambda: all(
            f.recovered_at
            for f in controller.journal.faults(open_only=False)
            if f.kind == "printer" and "near end" not in f.detail
        )
    )


def test_kiosk_run_prints_hold_slips_on_the_configured_printer(tmp_path: Path) -> None:
    """``build_from_machine_config`` with a ``kind = "printer"`` device (sim: -> pty)."""
    from drivers.sim.printer import PrinterSim
    from drivers.sim.returnunit import ReturnUnitSim
    from drivers.sim.scanner import ScannerSim
    from kiosk.config.ui import UiSettings
    from kiosk.outbox.wiring import open_machine_queue
    from kiosk.returns import build_from_machine_config
    from kiosk.returns.demo import ServiceTarget
    from tests.returns.helpers import hamburg_drop

    central, config = hamburg_drop(tmp_path, printer=True)
    config = config.model_copy(update={"ui": UiSettings(language="de")})  # a German library
    queue = open_machine_queue(config, target=ServiceTarget(central.service))
    sim = ReturnUnitSim(bins=4, cycle_time=0.1).start()
    scanner = ScannerSim().start()
    paper = PrinterSim().start()
    queue.forwarder.start()
    machine = build_from_machine_config(
        config,
        queue=queue,
        data_dir=tmp_path,
        urls={"belt": sim.path, "reader": scanner.path, "paper": paper.path},
        branch="zentrale",
        library_name="Bücherhallen Hamburg",
        translator=Translator(config.ui.language, currency="EUR"),
    )
    try:
        machine.start()
        assert machine.printer is not None
        controller = machine.controller
        _wait(lambda: controller.state is State.IDLE)
        sim.present_item()
        scanner.scan(HELD)
        _wait(lambda: controller.state is State.IDLE and controller.last_returned is not None)
        assert controller.last_returned.role == "hold_shelf"
        _wait(lambda: HOLD_ALIAS in paper.text)
        assert "Vogel" not in paper.text and "zentrale" in paper.text
        assert "VORMERKUNG" in paper.text and "Abholen in" in paper.text  # [ui] language = "de"
        assert machine.printer.print_return_receipt([controller.last_returned])
        _wait(lambda: "Bücherhallen Hamburg" in paper.text and "Rückgabebeleg" in paper.text)
    finally:
        machine.stop()
        queue.close()
        sim.stop()
        scanner.stop()
        paper.stop()
