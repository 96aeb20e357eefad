"""The transaction UUID a SIP2 request maps to (docs/sip2-interop.md, "Exactly once")."""

from __future__ import annotations

from kiosk.sip2.acs import transaction_uuid
from kiosk.sip2.codec import decode, encode, make


def _checkout(date: str, item: str = "31234000012345", pin: str = "1234"):
    return make(
        "11",
        [("AO", "HFL"), ("AA", "3401010000002"), ("AB", item), ("AC", "x"), ("AD", pin)],
        sc_renewal_policy="N",
        no_block="N",
        transaction_date=date,
        nb_due_date=" " * 18,
    )


def test_a_resend_maps_to_the_same_transaction() -> None:
    first = _checkout("20261123    100000")
    resent = decode(encode(first, sequence=4))
    assert transaction_uuid("sc-1", first) == transaction_uuid("sc-1", resent)
    # the error-detection trailer and the passwords do not take part
    assert transaction_uuid("sc-1", first) == transaction_uuid(
        "sc-1", _checkout("20261123    100000", pin="other")
    )


def test_real_requests_differ() -> None:
    base = transaction_uuid("sc-1", _checkout("20261123    100000"))
    assert base != transaction_uuid("sc-1", _checkout("20261123    100001"))
    assert base != transaction_uuid("sc-1", _checkout("20261123    100000", item="x"))
    assert base != transaction_uuid("sc-2", _checkout("20261123    100000"))


def test_blank_dates_fall_back_to_the_sequence_number() -> None:
    blank = " " * 18
    first = decode(encode(_checkout(blank), sequence=1))
    resend = decode(encode(_checkout(blank), sequence=1))
    following = decode(encode(_checkout(blank), sequence=2))
    assert transaction_uuid("sc-1", first) == transaction_uuid("sc-1", resend)
    assert transaction_uuid("sc-1", first) != transaction_uuid("sc-1", following)


def test_recent_requests_window() -> None:
    from datetime import UTC, datetime, timedelta

    from kiosk.sip2.acs import RecentRequests

    recent = RecentRequests(timedelta(minutes=10), limit=3)
    t0 = datetime(2026, 11, 23, tzinfo=UTC)
    first = recent.uuid_for("k", t0)
    assert recent.uuid_for("k", t0 + timedelta(minutes=9)) == first  # a resend
    assert recent.uuid_for("k", t0 + timedelta(minutes=30)) != first  # a new request
    for n in range(10):  # bounded memory
        recent.uuid_for(f"other{n}", t0 + timedelta(minutes=40))
    assert len(recent._seen) <= 3
