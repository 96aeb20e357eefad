"""What central tells a return machine about an item: format and collection, online (in the
checkin result) and offline (the snapshot's bounded ``items`` map)."""

from __future__ import annotations

from datetime import UTC, datetime

from kiosk.config.returns import BinConfig, BinRole, ReturnsConfig
from kiosk.domain import TxOutcome
from kiosk.outbox.store import Delivery
from kiosk.returns.outbox_checkin import _from_delivery, offline_decision
from kiosk.returns.ports import CheckinRequest
from kiosk.returns.sorting import choose_bin

from .fixtures_data import SANJOSE
from .helpers import tx

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PICTURE_BOOK = "31197000000056"
WITH_COLLECTION = (
    SANJOSE
    + f"""
[[item]]
barcode = "{PICTURE_BOOK}"
title = "Where the Wild Things Are"
format = "book"
audience = "child"
collection = "Picture books"
owning_branch = "king"
"""
)
BINS = ReturnsConfig(
    bins=(
        BinConfig(number=1, role=BinRole.RESHELVE, collections=("Picture books",)),
        BinConfig(number=2, role=BinRole.RESHELVE, formats=("hotspot",)),
        BinConfig(number=3, role=BinRole.RESHELVE),
        BinConfig(number=4, role=BinRole.HOLD_SHELF),
        BinConfig(number=5, role=BinRole.STAFF),
    )
)


def _bin(result: dict) -> int | None:
    request = CheckinRequest(item="x", tx_uuid="u", occurred_at=NOW)
    outcome = _from_delivery(request, Delivery("u", TxOutcome.APPLIED, result=result), False)
    return choose_bin(BINS, outcome).bin


def test_checkin_result_carries_format_and_collection_and_sorts_by_them(load) -> None:
    svc = load(WITH_COLLECTION).service
    picture = svc.apply(tx("checkin", NOW, item=PICTURE_BOOK, branch="king")).result
    assert picture["format"] == "book"
    assert picture["collection"] == "Picture books"
    hotspot = svc.apply(tx("checkin", NOW, item="31197000000023", branch="king")).result
    assert hotspot["format"] == "hotspot"
    assert hotspot["collection"] is None
    plain = svc.apply(tx("checkin", NOW, item="31197000000031", branch="king")).result
    assert plain["destination"] == "reshelve"
    # the return machine's bins: collection first, then format, then the catch-all
    assert _bin(picture) == 1
    assert _bin(hotspot) == 2
    assert _bin(plain) == 3
    assert svc.item("31197000000023").format == "hotspot"
    assert svc.item(PICTURE_BOOK).collection == "Picture books"


def test_snapshot_lists_only_items_whose_format_matters_offline(load) -> None:
    svc = load(WITH_COLLECTION).service
    items = svc.snapshot()["items"]
    # San José's hotspots may be neither lent nor returned offline; books behave as the
    # machine's default and are left out to keep the snapshot small.
    assert items == {"31197000000023": {"format": "hotspot"}}
    decision = offline_decision("31197000000023", {"items": items})
    assert decision["format"] == "hotspot"


def test_offline_checkout_uses_the_snapshot_format(load) -> None:
    from kiosk.outbox.offline import _item

    svc = load(WITH_COLLECTION).service
    snapshot = svc.snapshot()
    assert _item("31197000000023", snapshot).format == "hotspot"
    assert _item("31197000000015", snapshot).format == "book"
