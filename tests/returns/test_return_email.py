"""The return machine's "e-mail my receipt": the patron scans a library card, central mails the
receipt to the address on file.

Real parts throughout: the Hamburg return demo (I/O board, item scanner, card reader and
printer simulators on ptys read by the real drivers; outbox, forwarder and an embedded central
store on SQLite) under ``App.run_test()``; the mailer is central's own
:class:`~kiosk.backend_central.ServiceReceiptMailer`, so a sent receipt is a notice row.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from textual.pilot import Pilot
from textual.widgets import Static

from kiosk.backend import Receipt
from kiosk.backend_central import ServiceReceiptMailer
from kiosk.central import models as m
from kiosk.domain.barcode import BarcodeChain
from kiosk.i18n import Translator
from kiosk.policy import load_profile
from kiosk.receipt_mail import MailOutcome, ReceiptMailer
from kiosk.returns.controller import State
from kiosk.returns.demo import ReturnDemoMachine
from kiosk.ui.screens.return_app import receipt_printer
from kiosk.ui.screens.return_screen import Mail, ReturnApp, ReturnScreen
from tests.returns.helpers import DROP_BINS, quick_return_demo, until

WITH_EMAIL = "A000000001"  # Greta Berg 00, patron00@example.org
WITHOUT_EMAIL = "A000000004"  # Paul Wagner 03: no address on file
UNKNOWN_CARD = "A000009999"  # a card's shape, but nobody's card
ITEM = "BH0000000001"  # an item label (Hamburg's "other item" rule)
SIZE = (110, 48)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[ReturnDemoMachine]:
    machine = quick_return_demo("hamburg", tmp_path)
    yield machine
    machine.close()


def _app(
    demo: ReturnDemoMachine,
    *,
    language: str = "en",
    mailer: ReceiptMailer | None = None,
    card_timeout: float = 30.0,
    printer: bool = True,
) -> ReturnApp:
    """The screen as ``build_return_demo_app`` wires it (the timeout can be shortened)."""
    profile = load_profile("hamburg")
    return ReturnApp(
        lambda: ReturnScreen(
            demo.machine,
            Translator(language, currency=profile.currency),
            print_receipt=receipt_printer(demo.printer) if printer else None,
            mailer=mailer or ServiceReceiptMailer(demo.central.service, machine="demo-return"),
            cards=demo.cards,
            barcodes=BarcodeChain(profile.barcodes.rules),
            library_name=demo.library_name,
            card_timeout=card_timeout,
            demo=demo.demo,
        )
    )


def _text(screen: ReturnScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def _everything_shown(screen: ReturnScreen) -> str:
    return "\n".join(str(w.render()) for w in screen.query(Static) if w.display)


async def _return_one_and_choose_email(pilot: Pilot, screen: ReturnScreen) -> None:
    """A patron returns one item, then taps "E-mail" at the receipt question."""
    await until(pilot, lambda: screen.machine.controller.state is State.IDLE)
    await pilot.pause(0.3)  # the first layout, before the first tap
    assert await pilot.click("#demo-insert")
    await until(pilot, lambda: bool(screen.query_one("#receipt").display))
    await pilot.pause(0.3)  # let the layout settle before touching the new buttons
    await pilot.click("#receipt-email")
    await until(pilot, lambda: screen.mail is Mail.CARD)


async def test_e_mail_with_a_card_that_has_an_address_is_sent_and_the_screen_cleared(
    tmp_path: Path,
) -> None:
    from kiosk.ui.screens.return_app import build_return_demo_app

    app, demo = build_return_demo_app("hamburg", data_dir=tmp_path, cycle_time=0.1)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, ReturnScreen)
            await _return_one_and_choose_email(pilot, screen)
            returned = screen.visit[0]
            assert screen.query_one("#email").display and not screen.query_one("#receipt").display
            assert "scan your library card" in _text(screen, "#email-text")
            await pilot.click("#demo-card")  # the first demo card has an address on file
            await until(pilot, lambda: screen.mail is Mail.OFF)
            assert _text(screen, "#returned") == (
                "Your receipt is on its way to the e-mail address on file."
            )
            assert screen.visit == []
            assert not screen.query_one("#receipt").display
            assert not screen.query_one("#email").display
            shown = _everything_shown(screen)
            assert returned.title and returned.title not in shown  # nothing of the visit left
            assert WITH_EMAIL not in shown and WITH_EMAIL[-4:] not in shown
        # central queued the receipt as a notice for that patron, in the screen's language
        with demo.central.sessions() as s:
            patron = s.scalar(select(m.Patron).where(m.Patron.barcode == WITH_EMAIL))
            notices = s.scalars(select(m.Notice).where(m.Notice.kind == "receipt")).all()
        assert patron is not None
        [notice] = notices
        assert notice.patron_id == patron.id and notice.email == "patron00@example.org"
        assert notice.language == "en"
        assert returned.title in notice.body
        assert notice.sent_at is not None  # and sent (the demo's mail folder)
        assert list((tmp_path / "mail").glob("*.eml"))
    finally:
        demo.close()


async def test_a_card_without_an_address_is_told_so_and_offered_print(
    demo: ReturnDemoMachine,
) -> None:
    app = _app(demo, language="de")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        await _return_one_and_choose_email(pilot, screen)
        demo.demo.scan_card(WITHOUT_EMAIL)
        await until(pilot, lambda: screen.mail is Mail.OFFER)
        question = _text(screen, "#receipt-question")
        assert "keine E-Mail-Adresse hinterlegt" in question
        assert "gedruckte Quittung" in question
        assert screen.query_one("#receipt").display and screen.query_one("#receipt-print").display
        assert not screen.query_one("#receipt-email").display  # not the same dead end again
        assert WITHOUT_EMAIL[-4:] not in _everything_shown(screen)
        await pilot.pause(0.3)
        await pilot.click("#receipt-print")
        await until(pilot, lambda: screen.mail is Mail.OFF)
        assert "Quittung wird gedruckt" in _text(screen, "#returned")
    with demo.central.sessions() as s:
        assert s.scalars(select(m.Notice).where(m.Notice.kind == "receipt")).all() == []


async def test_without_a_printer_the_offer_is_only_no_receipt(demo: ReturnDemoMachine) -> None:
    app = _app(demo, printer=False)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        await _return_one_and_choose_email(pilot, screen)
        demo.demo.scan_card(WITHOUT_EMAIL)
        await until(pilot, lambda: screen.mail is Mail.OFFER)
        assert _text(screen, "#receipt-question") == (
            "There is no e-mail address on file for this card."
        )
        assert not screen.query("#receipt-print")
        await pilot.click("#receipt-none")
        await until(pilot, lambda: not screen.visit)


async def test_an_item_scanned_instead_of_a_card_is_named_and_the_card_still_awaited(
    demo: ReturnDemoMachine,
) -> None:
    app = _app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        await _return_one_and_choose_email(pilot, screen)
        demo.demo.scan_card(ITEM)
        expected = Translator("en")("reason.item_as_patron_card")
        await until(pilot, lambda: _text(screen, "#email-text") == expected)
        assert screen.mail is Mail.CARD and screen.query_one("#email-cancel").display
        demo.demo.scan_card(UNKNOWN_CARD)  # a card's shape, but central knows no such card
        await until(pilot, lambda: "not recognised" in _text(screen, "#email-text"))
        assert screen.mail is Mail.CARD
        demo.demo.scan_card(WITH_EMAIL)  # and then the right one
        await until(pilot, lambda: screen.mail is Mail.OFF)
        assert "on its way" in _text(screen, "#returned")


async def test_cancel_goes_back_to_the_receipt_question(demo: ReturnDemoMachine) -> None:
    app = _app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        await _return_one_and_choose_email(pilot, screen)
        await pilot.click("#email-cancel")
        await until(pilot, lambda: screen.mail is Mail.OFF)
        assert screen.query_one("#receipt").display and not screen.query_one("#email").display
        assert _text(screen, "#receipt-question") == "Would you like a receipt?"
        assert screen.query_one("#receipt-email").display and len(screen.visit) == 1
        demo.demo.scan_card(WITH_EMAIL)  # a card now is a stray read: nothing is sent
        await pilot.pause(0.5)
        assert screen.mail is Mail.OFF and len(screen.visit) == 1
    with demo.central.sessions() as s:
        assert s.scalars(select(m.Notice).where(m.Notice.kind == "receipt")).all() == []


async def test_no_card_in_time_means_no_receipt_and_a_cleared_screen(
    demo: ReturnDemoMachine,
) -> None:
    app = _app(demo)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        await _return_one_and_choose_email(pilot, screen)
        title = screen.visit[0].title
        assert title and title in _text(screen, "#returned")
        # a tap takes the test pilot a while, so the timeout is shortened only now; any
        # read restarts it (here: an item held to the card reader)
        screen.card_timeout = 0.5
        demo.demo.scan_card(ITEM)
        await until(pilot, lambda: "That was an item" in _text(screen, "#email-text"))
        await until(pilot, lambda: screen.mail is Mail.OFF, timeout=5.0)
        assert screen.visit == [] and _text(screen, "#returned") == ""
        assert not screen.query_one("#receipt").display
        assert not screen.query_one("#email").display
        assert title not in _everything_shown(screen)
        assert "That was an item" not in _everything_shown(screen)


class _Unavailable:
    """Central does not answer (the network is down): what a mailer then says."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Receipt, str]] = []

    def email_receipt(
        self, card: str, receipt: Receipt, *, language: str, receipt_id: str | None = None
    ) -> MailOutcome:
        self.calls.append((card, receipt, language))
        return MailOutcome.UNAVAILABLE


async def test_when_e_mail_is_unavailable_print_or_none_is_offered_in_vietnamese(
    demo: ReturnDemoMachine,
) -> None:
    mailer = _Unavailable()
    app = _app(demo, language="vi", mailer=mailer)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        await _return_one_and_choose_email(pilot, screen)
        returned = screen.visit[0]
        demo.demo.scan_card(WITH_EMAIL)
        await until(pilot, lambda: screen.mail is Mail.OFFER)
        assert "Hiện không gửi được thư điện tử." in _text(screen, "#receipt-question")
        assert screen.query_one("#receipt-print").display
    # what the machine asked central for: the visit's lines, the language, the card
    [(card, receipt, language)] = mailer.calls
    assert card == WITH_EMAIL and language == "vi"
    assert receipt.card_masked.endswith("0001") and WITH_EMAIL not in receipt.card_masked
    assert receipt.library == demo.library_name and receipt.currency == "EUR"
    [line] = receipt.lines
    assert line.kind == "checkin" and line.item == returned.item and line.due is None
    assert line.title == returned.title and str(line.fine) == returned.fine


class _Slow:
    """Central answers only when the test says so (the patron goes on returning meanwhile)."""

    def __init__(self, inner: ReceiptMailer) -> None:
        self.inner = inner
        self.go = threading.Event()
        self.lines: list[int] = []

    def email_receipt(
        self, card: str, receipt: Receipt, *, language: str, receipt_id: str | None = None
    ) -> MailOutcome:
        self.lines.append(len(receipt.lines))
        assert self.go.wait(10)
        return self.inner.email_receipt(card, receipt, language=language, receipt_id=receipt_id)


async def test_an_item_returned_while_sending_stays_for_the_next_receipt(
    demo: ReturnDemoMachine,
) -> None:
    mailer = _Slow(ServiceReceiptMailer(demo.central.service))
    app = _app(demo, mailer=mailer)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, ReturnScreen)
        await _return_one_and_choose_email(pilot, screen)
        demo.demo.scan_card(WITH_EMAIL)
        await until(pilot, lambda: screen.mail is Mail.SENDING)
        assert "Sending" in _text(screen, "#email-text")
        assert not screen.query_one("#email-cancel").display
        await pilot.click("#demo-insert")  # the next item, while central is being asked
        await until(pilot, lambda: len(screen.visit) == 2)
        mailer.go.set()
        await until(pilot, lambda: screen.mail is Mail.OFF)
        assert mailer.lines == [1]  # the e-mail lists the first item only
        assert [r.item for r in screen.visit] == [demo.demo.items[1]]
        await until(pilot, lambda: bool(screen.query_one("#receipt").display))
        assert "on its way" in _text(screen, "#returned")


async def test_without_a_mailer_there_is_no_e_mail_button(demo: ReturnDemoMachine) -> None:
    app = ReturnApp(lambda: ReturnScreen(demo.machine, Translator("en"), demo=demo.demo))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await pilot.pause(0.2)
        assert not screen.query("#receipt-email") and not screen.query("#demo-card")
        assert screen.query("#receipt-none")


def test_kiosk_run_mails_through_central_over_http_only(tmp_path: Path) -> None:
    """``kiosk run``: an HTTP central gets a client with the machine's credentials; a SIP2
    central has no receipt message, so no client and no e-mail button."""
    from kiosk.config import MachineConfig
    from kiosk.ui.screens.return_app import card_reader_name, central_client

    devices = {
        "belt": {"kind": "return_unit", "url": "sim:", "bins": 4},
        "reader": {"kind": "scanner", "url": "sim:"},
        "cards": {"kind": "card_reader", "url": "sim:"},
    }
    http = MachineConfig(
        machine_id="drop-1",
        library="hamburg",
        mode="return",
        devices=devices,
        central={"url": "https://central.example:8700", "secret": "s3cret"},
    )
    client = central_client(http)
    assert client is not None
    try:
        assert str(client.base_url) == "https://central.example:8700"
        assert client.headers["Authorization"] == "Bearer s3cret"
        assert client.headers["X-Kiosk-Machine"] == "drop-1"
    finally:
        client.close()
    assert card_reader_name(http) == "cards"
    sip2 = MachineConfig(
        machine_id="drop-1",
        library="hamburg",
        mode="return",
        devices=devices,
        central={"kind": "sip2", "host": "ils.example", "user": "drop", "password": "pw"},
    )
    assert central_client(sip2) is None
    assert central_client(http.model_copy(update={"central": None})) is None
    no_reader = http.model_copy(
        update={"devices": {k: v for k, v in http.devices.items() if k != "cards"}}
    )
    assert card_reader_name(no_reader) is None


async def test_kiosk_run_e_mails_the_receipt_through_centrals_http_api(tmp_path: Path) -> None:
    """``kiosk run`` in return mode against a real central over HTTP (uvicorn on 127.0.0.1):
    the card comes from the configured card reader (a ``sim:`` one here), the receipt goes
    through :class:`~kiosk.receipt_mail.HttpReceiptMailer` with the machine's secret."""
    from kiosk.central import open_central
    from kiosk.central.security import PinHasher
    from kiosk.central.services import load_fixture
    from kiosk.central.services.circulation import CirculationService
    from kiosk.central.settings import CentralSettings
    from kiosk.clock import SystemClock
    from kiosk.config import MachineConfig
    from kiosk.returns.demo import fixture_path
    from kiosk.ui.screens.return_app import build_return_machine_app
    from tests.central.server import running

    central = open_central(
        f"sqlite:///{tmp_path / 'central.db'}",
        settings=CentralSettings(mail_dir=tmp_path / "mail"),
    )
    load_fixture(fixture_path("hamburg"), central.sessions, PinHasher(central.settings), None)
    secret = CirculationService.add_machine_to(central.sessions, "drop-1", SystemClock().now())
    with running(central) as base:
        config = MachineConfig(
            machine_id="drop-1",
            library="hamburg",
            mode="return",
            devices={
                "belt": {"kind": "return_unit", "url": "sim:", "bins": 4},
                "reader": {"kind": "scanner", "url": "sim:"},
                # The default patterns: Hamburg's cards are a letter and digits
                "cards": {"kind": "card_reader", "url": "sim:"},
            },
            central={"url": base, "secret": secret},
            outbox={"path": str(tmp_path / "queue.db")},
            returns={"bins": DROP_BINS, "journal": str(tmp_path / "returns.db")},
        )
        machine = build_return_machine_app(config)
        try:
            assert machine.reader is not None and machine.client is not None
            machine.sims["belt"].set_cycle_time(0.1)
            app = machine.app
            async with app.run_test(size=SIZE) as pilot:
                screen = app.screen
                assert isinstance(screen, ReturnScreen)
                await until(pilot, lambda: screen.machine.controller.state is State.IDLE)
                machine.sims["belt"].present_item()
                machine.sims["reader"].scan(ITEM)
                await until(pilot, lambda: bool(screen.query_one("#receipt").display))
                await pilot.pause(0.3)
                await pilot.click("#receipt-email")
                await until(pilot, lambda: screen.mail is Mail.CARD)
                machine.reader.simulator.scan(WITH_EMAIL)
                await until(pilot, lambda: screen.mail is Mail.OFF)
                assert "on its way" in _text(screen, "#returned")
        finally:
            machine.close()
    with central.sessions() as s:
        [notice] = s.scalars(select(m.Notice).where(m.Notice.kind == "receipt")).all()
        patron = s.scalar(select(m.Patron).where(m.Patron.barcode == WITH_EMAIL))
    assert patron is not None and notice.patron_id == patron.id
    assert "Tschick" in notice.body  # BH0000000001's title, from the visit
