"""SVG snapshots of the return machine's "scan your library card" prompt (e-mail receipt).

The controller is real but not running (no board thread, a fixed clock); the screen is
shown one returned item by the same message the controller's thread posts, so the picture
does not depend on timing. Update with ``--snapshot-update`` and look at the SVGs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from kiosk.backend import Receipt
from kiosk.config.returns import ReturnsConfig
from kiosk.i18n import Translator
from kiosk.receipt_mail import MailOutcome
from kiosk.returns.controller import Notice, ReturnController, Returned, State, Step
from kiosk.returns.journal import Journal
from kiosk.ui.screens.return_screen import Mail, ReturnApp, ReturnScreen
from tests.returns.helpers import MemoryCheckin, RecordingBoard, clock
from tests.ui.conftest import SIZE


class _Machine:
    def __init__(self, controller: ReturnController) -> None:
        self.controller = controller

    def post(self, event: object) -> None:
        return None


class _NeverCalled:
    def email_receipt(
        self, card: str, receipt: Receipt, *, language: str, receipt_id: str | None = None
    ) -> MailOutcome:
        raise AssertionError("the prompt is shown before any card")


@pytest.mark.parametrize("language", ["en", "de"])
def test_return_email_prompt(snap_compare, tmp_path: Path, language: str) -> None:
    controller = ReturnController(
        ReturnsConfig(),
        RecordingBoard(),
        MemoryCheckin(),
        Journal(tmp_path / "returns.db"),
        clock=clock(),
    )
    screen = ReturnScreen(
        _Machine(controller),
        Translator(language, currency="EUR"),
        print_receipt=lambda receipt: True,
        mailer=_NeverCalled(),
        staff=False,
    )
    app = ReturnApp(lambda: screen)
    returned = Returned("BH0000000009", "Homo faber", "1.50", 1, "reshelve")

    async def run_before(pilot: Pilot) -> None:
        await pilot.pause()
        screen.post_message(
            ReturnScreen.Changed(Step(State.IDLE, Notice("returns.done"), returned))
        )
        await pilot.pause(0.1)
        await pilot.click("#receipt-email")
        await pilot.pause(0.35)  # let the tapped button's press effect end
        assert screen.mail is Mail.CARD

    try:
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
    finally:
        controller.journal.close()
