"""The SIP2 ACS in front of a real central store: a whole self-check visit."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kiosk.domain import TxOutcome
from kiosk.sip2.codec import format_date, make
from kiosk.sip2.errors import Sip2ConnectionError
from tests.sip2.conftest import (
    BACKENDS,
    EXPIRED,
    ITEM,
    ITEM2,
    ITEM_BRANCH,
    ITEM_HELD,
    OVERDUE,
    OWES,
    PATRON,
    PIN,
    Site,
)

# every test here runs on SQLite and on PostgreSQL
pytestmark = pytest.mark.parametrize("central", BACKENDS, indirect=True)

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(when: datetime) -> str:
    """What a self-check in Hefei sends: local time, blank zone."""
    return format_date(when.astimezone(SHANGHAI))


def _date(site: Site) -> str:
    return local(site.clock.now())


def checkout(
    site: Site,
    card: str,
    item: str,
    *,
    no_block: str = "N",
    when: str | None = None,
    nb_due: str = " " * 18,
    pin: str | None = PIN,
):
    return make(
        "11",
        [("AO", "HFL"), ("AA", card), ("AB", item), ("AC", ""), ("AD", pin)],
        sc_renewal_policy="N",
        no_block=no_block,
        transaction_date=when or _date(site),
        nb_due_date=nb_due,
    )


def checkin(
    site: Site,
    item: str,
    *,
    no_block: str = "N",
    when: str | None = None,
    returned: str = " " * 18,
    location: str = "main",
):
    return make(
        "09",
        [("AP", location), ("AO", "HFL"), ("AB", item), ("AC", "")],
        no_block=no_block,
        transaction_date=when or _date(site),
        return_date=returned,
    )


def patron_info(site: Site, card: str, summary: str = "  Y       ", language: str = "000"):
    return make(
        "63",
        [("AO", "HFL"), ("AA", card), ("AC", ""), ("AD", PIN)],
        language=language,
        transaction_date=_date(site),
        summary=summary,
    )


async def test_login_is_checked_against_machine_accounts(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, "not-the-secret") is False
        assert await client.login("unknown", site.secret) is False
        assert await client.login(site.machine, site.secret) is True
        status = await client.sc_status()
    assert status.command == "98"
    assert status["online_status"] == "Y"
    assert status["offline_ok"] == "Y"
    assert status["protocol_version"] == "2.00"
    assert status.get("AO") == "HFL"
    assert status.get("AM") == "合肥市图书馆" or status.get("AM")
    assert len(status.get("BX") or "") == 16


async def test_requests_before_login_close_the_connection(site: Site) -> None:
    async with site.client() as client:
        with pytest.raises(Sip2ConnectionError):
            await client.request(checkout(site, PATRON, ITEM))
    assert site.service.item(ITEM).status.value == "available"


async def test_a_whole_visit(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        status = await client.request(
            make(
                "23",
                [("AO", "HFL"), ("AA", PATRON), ("AC", ""), ("AD", PIN)],
                language="000",
                transaction_date=_date(site),
            )
        )
        assert status.command == "24"
        assert status["patron_status"] == " " * 14
        assert status.get("BL") == "Y" and status.get("CQ") == "Y"
        assert status.get("AE") == "Li Lei"
        assert status["language"] == "019"  # Chinese, from the patron's record

        out = await client.request(checkout(site, PATRON, ITEM))
        assert out["ok"] == "1" and out["desensitize"] == "Y"
        assert out.get("AJ") == "红楼梦"
        assert out.get("AH", "").startswith("20261223")  # 30 days (Hefei)
        assert "借阅成功" in (out.get("AF") or "")
        assert site.service.item(ITEM).status.value == "on_loan"

        info = await client.request(patron_info(site, PATRON))
        assert info["charged_items_count"] == "0001"
        assert info.get_all("AU") == [ITEM]

        renewed = await client.request(
            make(
                "29",
                [("AO", "HFL"), ("AA", PATRON), ("AD", PIN), ("AB", ITEM), ("AC", "")],
                third_party_allowed="N",
                no_block="N",
                transaction_date=_date(site),
                nb_due_date=" " * 18,
            )
        )
        assert renewed.command == "30" and renewed["ok"] == "1" and renewed["renewal_ok"] == "Y"

        back = await client.request(checkin(site, ITEM))
        assert back["ok"] == "1" and back["alert"] == "N"
        assert back.get("CL") == "1"  # reshelve bin
        assert site.service.item(ITEM).status.value == "available"

        end = await client.request(
            make("35", [("AO", "HFL"), ("AA", PATRON)], transaction_date=_date(site))
        )
        assert end["end_session"] == "Y"


async def test_patron_status_flags_follow_the_real_blocks(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)

        async def flags(card: str, pin: str) -> tuple[str, list[str]]:
            r = await client.request(
                make(
                    "23",
                    [("AO", "HFL"), ("AA", card), ("AC", ""), ("AD", pin)],
                    language="003",
                    transaction_date=_date(site),
                )
            )
            return r["patron_status"], r.get_all("AF")

        overdue, overdue_af = await flags(OVERDUE, "975310")
        owes, _ = await flags(OWES, "864200")
        expired, _ = await flags(EXPIRED, "135790")
        unknown, unknown_af = await flags("3401019999999", "0000")
    # Hefei: an overdue item blocks borrowing (and holds, renewals do not care)
    assert overdue[0] == "Y" and overdue[6] == "Y" and overdue[5] == " "
    assert any("überfällig" in line for line in overdue_af)  # German, as the 23 asked
    # an unpaid fine blocks borrowing: charge privileges denied + excessive fines
    assert owes[0] == "Y" and owes[10] == "Y" and owes[6] == " "
    assert expired[0] == "Y"
    assert unknown[:4] == "YYYY"
    assert unknown_af


async def test_refused_checkout_says_why_in_the_patrons_language(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        refused = await client.request(checkout(site, OVERDUE, ITEM2, pin="975310"))
        wrong_pin = await client.request(checkout(site, PATRON, ITEM2, pin="000000"))
    assert refused["ok"] == "0" and refused.get("AH") == ""
    assert any("überfällig" in af for af in refused.get_all("AF"))  # patron's language: de
    assert wrong_pin["ok"] == "0"
    assert site.service.item(ITEM2).status.value == "available"


async def test_resent_checkout_after_a_lost_reply_is_applied_once(site: Site) -> None:
    request = checkout(site, PATRON, ITEM)
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        first = await client.request(request)
    # the reply was "lost": the self-check reconnects and resends the same request
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        again = await client.request(request)
    assert first["ok"] == again["ok"] == "1"
    assert first.get("BK") == again.get("BK")
    account = site.service.patron_account(PATRON)
    assert [loan.item for loan in account.loans] == [ITEM]


async def test_resent_renewal_does_not_renew_twice(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        assert (await client.request(checkout(site, PATRON, ITEM)))["ok"] == "1"
        site.clock.advance(timedelta(days=3))
        renew = make(
            "29",
            [("AO", "HFL"), ("AA", PATRON), ("AB", ITEM), ("AD", PIN)],
            third_party_allowed="N",
            no_block="N",
            transaction_date=_date(site),
            nb_due_date=" " * 18,
        )
        first = await client.request(renew)
        second = await client.request(renew)
    assert first["ok"] == second["ok"] == "1"
    loan = site.service.patron_account(PATRON).loans[0]
    assert loan.renewals == 1  # Hefei allows one; the resend did not use it up or fail


async def test_resent_fee_payment_is_charged_once(site: Site) -> None:
    pay = make(
        "37",
        [("BV", "1.50"), ("AO", "HFL"), ("AA", OWES), ("AD", "864200")],
        transaction_date=_date(site),
        fee_type="01",
        payment_type="00",
        currency_type="CNY",
    )
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        first = await client.request(pay)
        second = await client.request(pay)
    assert first["payment_accepted"] == second["payment_accepted"] == "Y"
    assert site.service.patron_account(OWES).balance_owed == 0


async def test_no_block_transactions_are_offline_facts_with_their_dates(site: Site) -> None:
    then = site.clock.now() - timedelta(days=2)
    due = then + timedelta(days=30)
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        # the overdue patron may not borrow online, but offline it already happened
        out = await client.request(
            checkout(
                site,
                OVERDUE,
                ITEM2,
                no_block="Y",
                when=local(then),
                nb_due=local(due),
                pin=None,
            )
        )
        assert out["ok"] == "1"
        returned = then + timedelta(hours=5)
        back = await client.request(
            checkin(
                site,
                ITEM_BRANCH,
                no_block="Y",
                when=local(then),
                returned=local(returned),
            )
        )
        assert back.command == "10"
    loans = {loan.item: loan for loan in site.service.patron_account(OVERDUE).loans}
    assert loans[ITEM2].due == due.date()
    assert loans[ITEM2].checked_out == then
    exceptions = site.service.exceptions()
    assert any(e.item == ITEM2 for e in exceptions)  # broke a rule: staff are told


async def test_checkin_alerts_and_sort_bins(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        # ITEM_HELD is waiting for a hold: hold shelf, alert
        held = await client.request(checkin(site, ITEM_HELD))
        # a branch item returned at main goes home
        transit = await client.request(checkin(site, ITEM_BRANCH))
        unknown = await client.request(checkin(site, "39999999999999"))
    assert held["ok"] == "1" and held["alert"] == "Y"
    assert held.get("CV") == "01" and held.get("CL") == "2"
    assert held.get("CY") and "3401010000004" not in (held.get("CY") or "")
    assert transit["alert"] == "Y" and transit.get("CV") == "04" and transit.get("CL") == "3"
    assert unknown["ok"] == "0" and unknown["alert"] == "Y" and unknown.get("CL") == "4"


async def test_item_information(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        info = await client.request(
            make("17", [("AO", "HFL"), ("AB", ITEM_HELD)], transaction_date=_date(site))
        )
        unknown = await client.request(
            make("17", [("AO", "HFL"), ("AB", "39999999999999")], transaction_date=_date(site))
        )
    assert info.command == "18" and info["circulation_status"] == "03"
    assert info.get("CF") == "0001" and info.get("AJ") == "水浒传"
    assert info.get("CK") == "001" and info.get("AQ") == "main"
    assert unknown["circulation_status"] == "01" and unknown.get_all("AF")


async def test_service_outcome_is_the_same_as_over_http(site: Site) -> None:
    """SIP2 goes through CirculationService.apply: the applied record says so."""
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        out = await client.request(checkout(site, PATRON, ITEM))
    uuid = out.get("BK")
    assert uuid
    from kiosk.domain import Transaction, TxKind

    again = site.service.apply(
        Transaction(
            machine_id="sc-1",
            seq=0,
            kind=TxKind.CHECKOUT,
            occurred_at=site.clock.now(),
            payload={"patron": PATRON, "item": ITEM},
            uuid=uuid,
        )
    )
    assert again.duplicate and again.outcome is TxOutcome.APPLIED


async def test_hold_place_and_cancel(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        placed = await client.request(
            make(
                "15",
                [("BS", "main"), ("AO", "HFL"), ("AA", PATRON), ("AD", PIN), ("AB", ITEM_HELD)],
                hold_mode="+",
                transaction_date=_date(site),
            )
        )
        site.clock.advance(timedelta(seconds=5))
        cancelled = await client.request(
            make(
                "15",
                [("AO", "HFL"), ("AA", PATRON), ("AD", PIN), ("AB", ITEM_HELD)],
                hold_mode="-",
                transaction_date=_date(site),
            )
        )
    assert placed["ok"] == "1", placed.get_all("AF")
    assert placed.get("BS") == "main" and placed.get("AB") == ITEM_HELD
    assert cancelled["ok"] == "1", cancelled.get_all("AF")
    holds = site.service.account(PATRON).holds
    assert not any(h.item == ITEM_HELD and h.status in ("waiting", "ready") for h in holds)


async def test_renew_all(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        for item in (ITEM, ITEM2):
            assert (await client.request(checkout(site, PATRON, item)))["ok"] == "1"
            site.clock.advance(timedelta(seconds=1))
        site.clock.advance(timedelta(days=2))
        renew_all = make(
            "65", [("AO", "HFL"), ("AA", PATRON), ("AD", PIN)], transaction_date=_date(site)
        )
        first = await client.request(renew_all)
        again = await client.request(renew_all)  # a resend renews nothing more
    assert first["ok"] == "1"
    assert first["renewed_count"] == "0002" and first["unrenewed_count"] == "0000"
    assert sorted(first.get_all("BM")) == sorted([ITEM, ITEM2])
    assert again.get_all("BM") == first.get_all("BM")
    assert {loan.renewals for loan in site.service.patron_account(PATRON).loans} == {1}


async def test_requests_that_change_nothing_here(site: Site) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        update = await client.request(
            make("19", [("AO", "HFL"), ("AB", ITEM), ("CH", "x")], transaction_date=_date(site))
        )
        enable = await client.request(
            make("25", [("AO", "HFL"), ("AA", OWES)], transaction_date=_date(site))
        )
        block = await client.request(
            make(
                "01",
                [("AO", "HFL"), ("AL", "card left behind"), ("AA", PATRON)],
                card_retained="N",
                transaction_date=_date(site),
            )
        )
    assert update.command == "20" and update["item_properties_ok"] == "0"
    assert enable.command == "26" and enable["patron_status"][0] == "Y"  # still owes
    assert block.command == "24" and block["patron_status"] == " " * 14  # not blocked
    assert site.service.patron(PATRON).blocked == ""


async def test_checkout_of_an_item_already_on_the_card_renews_when_the_sc_says_so(
    site: Site,
) -> None:
    async with site.client() as client:
        assert await client.login(site.machine, site.secret)
        assert (await client.request(checkout(site, PATRON, ITEM)))["ok"] == "1"
        site.clock.advance(timedelta(days=3))
        plain = await client.request(checkout(site, PATRON, ITEM))
        site.clock.advance(timedelta(seconds=1))
        renewing = checkout(site, PATRON, ITEM)
        renewing.fixed["sc_renewal_policy"] = "Y"
        renewed = await client.request(renewing)
    assert plain["ok"] == "0" and plain["renewal_ok"] == "N"
    assert renewed["ok"] == "1" and renewed["renewal_ok"] == "Y"
    (loan,) = site.service.patron_account(PATRON).loans
    assert loan.renewals == 1


async def test_every_response_passes_pysip2s_strict_decoder(site: Site) -> None:
    """pysip2 validates every fixed field's format (dates, Y/N, counts): a second opinion on
    our wire format from software we did not write."""
    import pysip2

    frames: list[bytes] = []
    async with site.client() as client:
        client.on_exchange = lambda request, response: frames.append(response)
        assert await client.login(site.machine, site.secret)
        await client.sc_status()
        await client.request(
            make(
                "23",
                [("AO", "HFL"), ("AA", PATRON), ("AC", ""), ("AD", PIN)],
                language="000",
                transaction_date=_date(site),
            )
        )
        await client.request(patron_info(site, PATRON, summary="YYYYYY    "))
        await client.request(checkout(site, PATRON, ITEM))
        await client.request(checkout(site, OVERDUE, ITEM2, pin="975310"))
        await client.request(checkin(site, ITEM_HELD))
        await client.request(checkin(site, ITEM))
        await client.request(
            make("17", [("AO", "HFL"), ("AB", ITEM_HELD)], transaction_date=_date(site))
        )
        await client.request(
            make("35", [("AO", "HFL"), ("AA", PATRON)], transaction_date=_date(site))
        )
    assert len(frames) == 10
    for frame in frames:
        decoded = pysip2.decode_message(frame, encoding="utf-8")
        assert decoded.checksum is not None and decoded.sequence_number is not None


async def test_undated_requests_resend_within_the_window_only(site: Site) -> None:
    blank = " " * 18
    renew = make(
        "29",
        [("AO", "HFL"), ("AA", PATRON), ("AB", ITEM), ("AD", PIN)],
        third_party_allowed="N",
        no_block="N",
        transaction_date=blank,
        nb_due_date=blank,
    )
    back = checkin(site, ITEM2, when=blank)
    async with site.client(error_detection=False) as client:
        assert await client.login(site.machine, site.secret)
        assert (await client.request(checkout(site, PATRON, ITEM)))["ok"] == "1"
        site.clock.advance(timedelta(days=2))
        first = await client.request(renew)
        site.clock.advance(timedelta(seconds=20))
        resent = await client.request(renew)  # lost reply: same transaction
        site.clock.advance(timedelta(days=7))
        later = await client.request(renew)  # a new request: Hefei allows one renewal
        returns = [await client.request(back), await client.request(back)]
    assert first["ok"] == resent["ok"] == "1" and first.get("BK") == resent.get("BK")
    assert later["ok"] == "0" and later.get("BK") != first.get("BK")
    assert site.service.patron_account(PATRON).loans[0].renewals == 1
    assert returns[0].get("BK") != returns[1].get("BK")  # undated returns never collapse
