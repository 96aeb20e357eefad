"""Library cards read at the return machine, for "e-mail my receipt".

A return machine needs no login, so its item scanner (inside the machine, behind the door)
never reads cards. A patron who wants the receipt by e-mail identifies on the machine's own
card reader (a ``[devices.*]`` table with ``kind = "card_reader"``): :class:`CardInput` is that
driver's ``emit``, and hands each card number to whoever listens (the return screen, while it
waits for a card). Without a card reader there is no way to identify, so no e-mail choice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from drivers.events import CardEvent

log = logging.getLogger(__name__)


class CardInput:
    """A card reader driver's ``emit``: card numbers go to ``listeners`` (on the driver's
    thread; a listener must hand them on, e.g. with ``post_message``)."""

    def __init__(self) -> None:
        self.listeners: list[Callable[[str], None]] = []

    def emit(self, event: object) -> None:
        if not isinstance(event, CardEvent):
            return  # faults and status changes are the driver's log's business
        for listener in list(self.listeners):
            try:
                listener(event.card_number)
            except Exception:  # one broken listener must not silence the reader
                log.exception("card listener failed")
