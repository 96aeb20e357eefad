"""The machine's online questions answered by an ILS over SIP2 (``central.kind = "sip2"``).

A kiosk asks who a card belongs to and whether its PIN is right, what the patron has on loan,
and whether a barcode is an item. With central's HTTP API these are ``/v1/patrons/login``,
``/account`` and ``/items``; against an existing library system they are SIP2 63 (patron
information) and 17 (item information). The answers come back in the session's own types
(:mod:`kiosk.backend`), so the session does not know which kind of central it has.
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from kiosk.backend import (
    AccountInfo,
    FeeInfo,
    HoldInfo,
    LoanInfo,
    LoginReply,
    LoginStatus,
    PatronView,
    ReasonView,
    mask_card,
)
from kiosk.sip2.codec import Message, format_date, make, parse_date
from kiosk.sip2.errors import Sip2Error
from kiosk.sip2.link import Sip2Link
from kiosk.sip2.screen import LANGUAGE_OF_SIP

log = logging.getLogger("kiosk.sip2.lookups")

#: Patron status flags (by position) that name a block the session knows by a reason code.
FLAG_REASONS: dict[int, str] = {
    0: "sip2_charge_denied",
    4: "staff_block",
    5: "max_loans",
    6: "overdue_items",
    10: "fees_owed",
    11: "fees_owed",
    13: "fees_owed",
}


class Sip2Lookups:
    """Patron login, account and item questions over a :class:`Sip2Link`."""

    def __init__(self, link: Sip2Link) -> None:
        self.link = link
        self.zone = ZoneInfo(link.settings.timezone)

    def _now(self) -> str:
        return format_date(datetime.now(self.zone))

    def _patron_information(self, card: str, pin: str | None, summary: str) -> Message:
        s = self.link.settings
        return self.link.request(
            make(
                "63",
                [
                    ("AO", s.institution),
                    ("AA", card),
                    ("AC", s.terminal_password),
                    ("AD", pin),
                    ("BP", "1" if summary.strip() else None),
                    ("BQ", "50" if summary.strip() else None),
                ],
                language="000",
                transaction_date=self._now(),
                summary=summary,
            )
        )

    def login(self, card: str, pin: str | None) -> LoginReply:
        try:
            response = self._patron_information(card, pin, " " * 10)
        except Sip2Error as error:
            log.warning("SIP2 patron information failed: %s", error)
            return LoginReply(LoginStatus.UNAVAILABLE, offline=True)
        if response.get("BL") == "N":
            return LoginReply(LoginStatus.UNKNOWN_CARD)
        if pin is not None and response.get("CQ") == "N":
            return LoginReply(LoginStatus.WRONG_PIN)
        flags = response.fixed.get("patron_status", "")
        screen = " / ".join(response.get_all("AF"))
        notices: list[ReasonView] = []
        for position, code in FLAG_REASONS.items():
            seen = {n.code for n in notices}
            if position < len(flags) and flags[position] == "Y" and code not in seen:
                notices.append(ReasonView(code, params={"screen_message": screen}))
        language = LANGUAGE_OF_SIP.get(response.fixed.get("language", "000"))
        patron = PatronView(
            card_masked=mask_card(card),
            name=response.get("AE") or "",
            language=language,
            has_email=bool(response.get("BE")),
        )
        return LoginReply(LoginStatus.OK, patron=patron, notices=tuple(notices))

    def account(self, card: str) -> AccountInfo | None:
        """Loans (with titles and due dates from 17), holds and fees; None when unreachable."""
        try:
            response = self._patron_information(card, None, "YYYYYY    ")
            loans = []
            overdue = set(response.get_all("AT"))
            for item in response.get_all("AU"):
                info = self._item(item)
                due = _due(info.get("AH") or "", self.zone) if info is not None else None
                title = (info.get("AJ") if info is not None else None) or item
                loans.append(
                    LoanInfo(item=item, title=title, due=due or date.min, overdue=item in overdue)
                )
        except Sip2Error as error:
            log.warning("SIP2 account lookup failed: %s", error)
            return None
        holds = [
            HoldInfo(title=title, status=status, pickup_branch="")
            for code, status in (("AS", "ready"), ("CD", "waiting"))
            for title in response.get_all(code)
        ]
        fees = [
            FeeInfo(kind="fee", outstanding=_amount(text), title=text)
            for text in response.get_all("AV")
        ]
        return AccountInfo(
            loans=tuple(loans),
            holds=tuple(holds),
            fees=tuple(fees),
            balance=_amount(response.get("BV") or "0"),
            currency=response.get("BH") or self.link.settings.currency or "EUR",
        )

    def _item(self, barcode: str) -> Message | None:
        s = self.link.settings
        response = self.link.request(
            make(
                "17",
                [("AO", s.institution), ("AB", barcode), ("AC", s.terminal_password)],
                transaction_date=self._now(),
            )
        )
        return response if response.get("AJ") else None

    def item_exists(self, barcode: str) -> bool | None:
        try:
            return self._item(barcode) is not None
        except Sip2Error:
            return None

    def end_visit(self, card: str) -> None:
        """End Patron Session (35), so the ILS forgets the login; a failure changes nothing."""
        s = self.link.settings
        try:
            self.link.request(
                make(
                    "35",
                    [("AO", s.institution), ("AA", card), ("AC", s.terminal_password)],
                    transaction_date=self._now(),
                )
            )
        except Sip2Error as error:
            log.info("SIP2 end patron session failed: %s", error)

    def close(self) -> None:
        self.link.close()


def _amount(text: str) -> Decimal:
    """The first number in a fee text (``1.50 overdue …``); 0 when there is none."""
    for token in text.replace(",", ".").split():
        try:
            return Decimal(token.strip("$€¥£"))
        except InvalidOperation:
            continue
    return Decimal("0")


def _due(text: str, zone: ZoneInfo) -> date | None:
    text = text.strip()
    if len(text) == 18:
        try:
            parsed = parse_date(text, zone)  # type: ignore[arg-type]
        except Sip2Error:
            parsed = None
        if parsed is not None:
            return parsed.date()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        return None
