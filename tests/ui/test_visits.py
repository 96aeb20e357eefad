"""Full visits through the real app and a real central store, in every language and library."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable

from kiosk.i18n import LANGUAGES, Translator
from kiosk.session import State
from kiosk.ui.demo_data import pick_cast
from kiosk.ui.screens.dialogs import RenewOfferDialog
from kiosk.ui.screens.finish import FinishScreen
from kiosk.ui.screens.goodbye import GoodbyeScreen
from kiosk.ui.screens.items import ItemsScreen
from kiosk.ui.screens.pin import PinScreen
from kiosk.ui.screens.welcome import WelcomeScreen
from tests.ui.conftest import LIBRARIES, SIZE
from tests.ui.helpers import card, enter_pin, feedback, scan, settle, texts

# Every library and every language, each language at least once with two libraries.
CASES = [
    ("hefei", "zh_CN"),
    ("hefei", "en"),
    ("hamburg", "de"),
    ("hamburg", "vi"),
    ("sanjose", "en"),
    ("sanjose", "zh_CN"),
]
assert {lang for _, lang in CASES} == set(LANGUAGES)
assert {lib for lib, _ in CASES} == set(LIBRARIES)


@pytest.mark.parametrize(("library", "language"), CASES)
async def test_full_checkout_visit(make_kiosk, library: str, language: str) -> None:
    kiosk = make_kiosk(library)
    cast = pick_cast(library)
    app = kiosk.app
    t = Translator(language, currency=kiosk.backend.currency)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.click(f"#lang-{language}")
        await pilot.pause()
        assert t("ui.welcome_scan_card") in texts(app)

        await card(pilot, app, cast.borrower)
        assert isinstance(app.screen, PinScreen)
        assert t("ui.pin_title") in texts(app)
        await enter_pin(pilot, app, cast.borrower_pin)
        assert isinstance(app.screen, ItemsScreen), feedback(app)
        patron = app.session.patron
        assert patron is not None and cast.borrower not in texts(app)  # card masked
        assert patron.card_masked[-4:] == cast.borrower[-4:]

        # two items borrowed: titles and due dates on the list
        for code in cast.available[:2]:
            await scan(pilot, app, code)
        table = app.screen.query_one("#rows", DataTable)
        assert table.row_count == 2, (feedback(app), app.session.rows)
        first = table.get_row_at(0)
        assert first[0] == cast.titles[cast.available[0]]
        row = app.session.rows[0]
        assert row.ok and row.due is not None
        assert first[1] == t.date(row.due)
        assert t("ui.status_borrowed") in first[2]
        assert feedback(app) == t("checkout.ok", due=app.session.rows[1].due)

        # the same item again at once: ignored as a double scan
        await scan(pilot, app, cast.available[1])
        assert table.row_count == 2 and feedback(app) == t("scan.duplicate")

        # an item reserved for someone else: refused, leave it at the desk
        await scan(pilot, app, cast.reserved)
        assert table.row_count == 3
        assert feedback(app) == t("reason.reserved_for_other")

        # an unknown barcode: refused with words, not a code
        await scan(pilot, app, cast.unknown)
        assert feedback(app) == t("reason.unknown_item")

        # an item already on the card: renewal offered
        await scan(pilot, app, cast.on_loan_to_borrower)
        assert isinstance(app.screen, RenewOfferDialog)
        await pilot.click("#renew-yes")
        await settle(pilot, app)
        assert app.session.state is State.ITEMS
        renewed = app.session.rows[-1]
        assert renewed.item == cast.on_loan_to_borrower
        assert table.row_count == 5

        await pilot.click("#finish")
        await settle(pilot, app)
        assert isinstance(app.screen, FinishScreen)
        await pilot.click("#receipt-print")
        await settle(pilot, app)
        assert isinstance(app.screen, GoodbyeScreen), (app.session.state, feedback(app))
        assert t("receipt.print_done") in texts(app)
        applied = sum(1 for r in kiosk.session.rows or [] if r.ok)
        assert applied == 0  # forgotten already
        assert kiosk.receipts[0][0] == "print" and kiosk.receipts[0][1] >= 2

        await pilot.click("#body")
        await settle(pilot, app)
        assert isinstance(app.screen, WelcomeScreen)
        # the next patron starts in the machine's language and sees nothing of the last
        assert app.language == "en"
        assert patron.name not in texts(app)

    # central holds the loans
    account = kiosk.backend.account(cast.borrower)
    assert account is not None
    borrowed = {loan.item for loan in account.loans}
    assert set(cast.available[:2]) <= borrowed
    assert cast.reserved not in borrowed


@pytest.mark.parametrize("library", ["hamburg"])
async def test_patron_language_applies_after_login(make_kiosk, library: str) -> None:
    kiosk = make_kiosk(library)
    cast = pick_cast(library)
    app = kiosk.app
    async with app.run_test(size=SIZE) as pilot:
        await card(pilot, app, cast.borrower)
        await enter_pin(pilot, app, cast.borrower_pin)
        expected = cast.languages[cast.borrower]
        assert app.language == expected
        name = app.session.patron.name
        assert Translator(expected)("ui.items_title", name=name) in texts(app)


@pytest.mark.parametrize("library", ["hamburg"])
async def test_hold_pickup_and_blocked_card(make_kiosk, library: str) -> None:
    kiosk = make_kiosk(library)
    cast = pick_cast(library)
    app = kiosk.app
    t = Translator("en", currency=kiosk.backend.currency)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#lang-en")
        await card(pilot, app, cast.pickup)
        await enter_pin(pilot, app, cast.pickup_pin)
        await pilot.click("#open-pickup")
        await pilot.pause(0.3)
        assert t("ui.pickup_title") in texts(app)
        assert cast.titles[cast.ready_for_pickup] in texts(app)
        await pilot.click("#back")
        await pilot.pause(0.1)
        await scan(pilot, app, cast.ready_for_pickup)  # borrowing the hold collects it
        row = app.session.rows[-1]
        assert row.ok and row.item == cast.ready_for_pickup
        await pilot.click("#finish")
        await settle(pilot, app)
        await pilot.click("#receipt-email")
        await settle(pilot, app)
        # Central e-mailed it to the address on file; the machine never saw the address.
        (mail,) = kiosk.mails()
        assert mail["X-Kiosk-Notice"] == "receipt" and "@" in mail["To"]
        body = mail.get_content()
        assert cast.titles[cast.ready_for_pickup] in body
        assert t("ui.receipt_heading") in mail["Subject"]
        assert kiosk.receipts == []  # nothing was printed
        await pilot.click("#body")
        await settle(pilot, app)
        # a staff-blocked card: logged in, every reason shown before any scan
        await card(pilot, app, cast.blocked)
        await enter_pin(pilot, app, cast.pins[cast.blocked])
        assert Translator("de")("reason.staff_block") in texts(app)  # the patron's language
    account = kiosk.backend.account(cast.pickup)
    assert account is not None
    assert cast.ready_for_pickup in {loan.item for loan in account.loans}
    assert all(h.item != cast.ready_for_pickup for h in account.holds if h.status == "ready")


async def test_pin_pad_keeps_fast_repeated_digits(make_kiosk) -> None:
    kiosk = make_kiosk("hefei")
    app = kiosk.app
    async with app.run_test(size=SIZE) as pilot:
        await card(pilot, app, pick_cast("hefei").borrower)
        for digit in "99990":
            await pilot.click(f"#pin-{digit}")  # no pause: taps as fast as Pilot can
        display = app.screen.query_one("#pin-display")
        assert str(display.render()).count("●") == 5
        assert "9" not in str(display.render())  # masked
