"""Receipt layout (exact ESC/POS bytes) and the printer driver against its simulator."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from escpos.printer import Dummy

from drivers.events import DeviceLost, PrinterStatusChanged, PrintFinished
from drivers.link import SerialSettings
from drivers.printer import Backend, PrinterSettings, ReceiptPrinter, decode_status
from drivers.receipt import Receipt, ReceiptLine, mask_card, render_receipt, shorten
from drivers.sim.port import PtyPort
from drivers.sim.printer import PrinterSim, printable_text

from .conftest import Events, wait_until

RECEIPT = Receipt(
    library_name="Hefei Library",
    printed_at=datetime(2026, 11, 23, 10, 5, tzinfo=UTC),
    card_number="21234000012345",
    items=(
        ReceiptLine(
            "The Hitchhiker's Guide to the Galaxy: The Trilogy of Five Parts",
            "31234000012345",
            date(2026, 12, 23),
        ),
        ReceiptLine(
            "三体：地球往事三部曲之一 刘慈欣 著 重庆出版社",
            "31234000099999",
            date(2026, 12, 23),
            note="renewed",
        ),
    ),
    fines=(("Overdue: Dune", "CNY 1.20"),),
    fines_total="CNY 1.20",
)


def test_receipt_layout() -> None:
    text = printable_text(render_receipt(RECEIPT, width=42))
    lines = text.splitlines()
    assert "Hefei Library" in lines[0]
    assert "2026-11-23 10:05" in text
    assert "**********2345" in text and "21234000012345" not in text
    assert "1. The Hitchhiker's Guide to the Galaxy..." in lines
    assert text.count("Due 2026-12-23") == 2
    assert "Overdue: Dune" in text and "CNY 1.20" in text
    assert all(len(line) <= 42 for line in lines)


def test_receipt_bytes_are_python_escpos_output() -> None:
    data = render_receipt(RECEIPT)
    assert data.startswith(b"\x1b!\x00")
    assert data.endswith(b"\x1dV\x00")  # full cut
    expected = Dummy(profile="TM-T88III")
    expected.set(align="center", bold=True, double_height=True)
    expected.textln("Hefei Library")
    assert data.startswith(bytes(expected.output))


def test_shorten_and_mask() -> None:
    assert shorten("A long title indeed", 10) == "A long..."
    assert shorten("短", 10) == "短"
    assert shorten("三体三体三体三体", 9) == "三体三..."  # wide characters count twice
    assert mask_card("21234000012345") == "**********2345"
    assert mask_card("123") == "***"


@pytest.mark.parametrize(
    ("replies", "expected"),
    [
        ({1: 0x12, 2: 0x12, 4: 0x12}, dict(offline=False, paper_out=False, paper_near_end=False)),
        ({1: 0x1A, 2: 0x12, 4: 0x12}, dict(offline=True, paper_out=False, cover_open=False)),
        ({1: 0x1A, 2: 0x32, 4: 0x12}, dict(offline=True, paper_out=True)),
        ({1: 0x12, 2: 0x12, 4: 0x1E}, dict(paper_near_end=True, paper_out=False)),
        ({1: 0x1A, 2: 0x32, 4: 0x7E}, dict(paper_out=True, paper_near_end=True)),
        ({1: 0x12, 2: 0x12, 4: 0x72}, dict(paper_out=True, paper_near_end=False)),
        ({1: 0x1A, 2: 0x16, 4: 0x12}, dict(cover_open=True, paper_out=False)),
        ({1: None, 2: 0x12, 4: 0x12}, dict(responding=False)),
        # The same bytes mean different things to different questions (bits, not values):
        ({1: 0x12, 2: 0x12, 4: 0x1A}, dict(paper_near_end=True, paper_out=False)),
        ({1: 0x12, 2: 0x12, 4: 0x32}, dict(paper_out=True, paper_near_end=False)),
    ],
)
def test_dle_eot_decoding(replies, expected) -> None:
    status = decode_status(replies)
    for key, value in expected.items():
        assert getattr(status, key) == value, key


@pytest.fixture
def sim(tmp_path) -> Iterator[PrinterSim]:
    with PrinterSim(PtyPort(link=tmp_path / "printer")) as sim:
        yield sim


@pytest.fixture
def printer(sim: PrinterSim, events: Events) -> Iterator[ReceiptPrinter]:
    printer = ReceiptPrinter(
        "printer",
        events.put,
        serial=SerialSettings(sim.path),
        settings=PrinterSettings(poll_interval=0.1, reply_timeout=0.3),
    )
    with printer:
        events.wait_for(PrinterStatusChanged, responding=True)
        yield printer


def test_prints_exact_bytes_on_the_pty(
    sim: PrinterSim, printer: ReceiptPrinter, events: Events
) -> None:
    result = printer.print_receipt(RECEIPT).result(5)
    assert result.ok, result.reason
    expected = render_receipt(RECEIPT)
    assert wait_until(lambda: bytes(sim.printed) == expected)
    assert events.wait_for(PrintFinished).ok


@pytest.mark.parametrize(
    ("fault", "attribute", "reason"),
    [
        ("paper_out", "paper_out", "paper out"),
        ("cover_open", "cover_open", "cover open"),
        ("go_offline", "offline", "printer offline"),
    ],
)
def test_fault_reported_and_print_fails_at_once(
    sim, printer, events, fault, attribute, reason
) -> None:
    getattr(sim, fault)()
    events.wait_for(PrinterStatusChanged, **{attribute: True})
    started = time.monotonic()
    future = printer.print_receipt(RECEIPT)
    assert future.done(), "a printer fault must not hold up a checkout"
    assert time.monotonic() - started < 0.2
    assert (future.result().ok, future.result().reason) == (False, reason)
    assert sim.printed == b""


def test_paper_near_end_warns_but_prints(sim, printer, events) -> None:
    sim.paper_near_end()
    status = events.wait_for(PrinterStatusChanged, paper_near_end=True)
    assert status.ready
    assert printer.print_receipt(RECEIPT).result(5).ok


def test_paper_runs_out_then_is_refilled(sim, printer, events) -> None:
    sim.paper_out()
    events.wait_for(PrinterStatusChanged, paper_out=True)
    sim.paper_ok()
    events.wait_for(PrinterStatusChanged, paper_out=False)
    assert printer.print_receipt(RECEIPT).result(5).ok


def test_unplugged_printer_fails_jobs_and_comes_back(sim, printer, events) -> None:
    sim.unplug()
    events.wait_for(DeviceLost)
    events.wait_for(PrinterStatusChanged, responding=False)
    future = printer.print_receipt(RECEIPT)
    assert future.done() and not future.result().ok
    sim.replug()
    events.wait_for(PrinterStatusChanged, responding=True, timeout=6)
    assert printer.print_receipt(RECEIPT).result(5).ok


def test_slow_printer_still_prints(sim, printer, events) -> None:
    sim.slow(0.1)
    assert printer.print_receipt(RECEIPT).result(5).ok


def test_silent_port_is_not_responding(tmp_path, events: Events) -> None:
    port = PtyPort()  # nothing answers on the far end
    printer = ReceiptPrinter(
        "mute",
        events.put,
        serial=SerialSettings(port.path),
        settings=PrinterSettings(poll_interval=0.1, reply_timeout=0.1),
    )
    with printer:
        status = events.wait_for(PrinterStatusChanged)
        assert not status.responding and not status.ready
        assert not printer.print_receipt(RECEIPT).result(1).ok
    port.close()


def test_file_and_dummy_backends(tmp_path, events: Events) -> None:
    target = tmp_path / "lp0"
    with ReceiptPrinter("file", events.put, backend=Backend.FILE, path=str(target)) as printer:
        assert printer.print_receipt(RECEIPT).result(5).ok
    assert target.read_bytes() == render_receipt(RECEIPT)
    with ReceiptPrinter("dummy", events.put, backend=Backend.DUMMY) as printer:
        assert printer.print_receipt(RECEIPT).result(5).ok
        assert bytes(printer.output) == render_receipt(RECEIPT)
    bad = ReceiptPrinter("bad", events.put, backend=Backend.FILE, path=str(tmp_path / "no/dir"))
    with bad:
        result = bad.print_receipt(RECEIPT).result(5)
        assert not result.ok and "cannot write" in result.reason
