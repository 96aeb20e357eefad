"""Offline mode: the cache fetched from a real central, and decisions made from it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from kiosk.domain import TxMode
from kiosk.outbox import Backoff, Forwarder, HttpTarget, Mode, Outbox, RowState
from kiosk.outbox.offline import OfflineCache, OfflineDecider
from tests.outbox.conftest import BLOCKED, HELD_ITEM, HOLDER, ITEMS, PATRONS, CentralServer


@pytest.fixture
def cached(central: CentralServer, tmp_path: Path):
    secret = central.add_machine("kiosk-1")
    box = Outbox(tmp_path / "queue.db", "kiosk-1", min_free_bytes=0)
    target = HttpTarget(central.base_url, "kiosk-1", secret, timeout_s=3, connect_timeout_s=1)
    cache = OfflineCache(box)
    forwarder = Forwarder(
        box,
        target,
        cache=cache,
        wait_s=0.3,
        idle_poll_s=0.05,
        heartbeat_every_s=0.2,
        backoff=Backoff(base_s=0.02, max_s=0.2),
    )
    assert cache.ages() == {"policy": None, "snapshot": None}
    assert forwarder.probe()  # online with an empty queue: fetch the cache, heartbeat
    yield box, cache, forwarder
    forwarder.stop()
    box.close()


def test_cache_is_fetched_and_aged(cached) -> None:
    _, cache, _ = cached
    ages = cache.ages()
    assert all(age is not None and 0 <= age < 30 for age in ages.values())
    assert cache.ages(now=time.time() + 600)["snapshot"] >= 600
    assert cache.profile().name == "hefei"
    snapshot, _ = cache.get("snapshot")
    assert BLOCKED in snapshot["blocked"] and HELD_ITEM in snapshot["holds"]


def test_offline_decisions_use_the_policy_over_the_cache(cached) -> None:
    _, cache, _ = cached
    decide = OfflineDecider(cache)
    login = decide.login(PATRONS[0])
    assert login["allowed"] and login["pin_verifiable"] is False and "pin_required" in login
    assert not decide.login(BLOCKED)["allowed"]
    assert "staff_block" in {r["code"] for r in decide.login(BLOCKED)["reasons"]}
    assert decide.login("3401019999999")["reasons"][0]["code"] == "unknown_card"
    ok = decide.checkout(PATRONS[0], ITEMS[0])
    assert ok["allowed"] and ok["due"] and ok["source"] == "offline"
    blocked = decide.checkout(BLOCKED, ITEMS[1])
    assert not blocked["allowed"]
    assert "staff_block" in {r["code"] for r in blocked["reasons"]}
    held = decide.checkout(PATRONS[0], HELD_ITEM)
    assert not held["allowed"]
    assert {r["code"] for r in held["reasons"]} == {"reserved_for_other"}
    assert decide.checkout(HOLDER, HELD_ITEM)["allowed"]
    limit = decide.checkout(PATRONS[0], ITEMS[2], items_this_visit=1000)
    assert "offline_limit" in {r["code"] for r in limit["reasons"]}
    assert decide.checkout("3401019999999", ITEMS[0])["reasons"][0]["code"] == "unknown_card"
    back = decide.checkin(ITEMS[0])
    assert back["allowed"] and back["destination"] == "reshelve"
    # A copy someone waits for goes to the hold shelf, offline as online.
    snapshot, _ = cache.get("snapshot")
    snapshot["holds"][ITEMS[0]] = {"patron": HOLDER, "pickup_branch": "main", "status": "waiting"}
    cache.store({"snapshot": snapshot})
    assert decide.checkin(ITEMS[0])["destination"] == "hold_shelf"


def test_without_a_cache_offline_checkout_is_refused_and_returns_accepted(
    tmp_path: Path,
) -> None:
    with Outbox(tmp_path / "q.db", "kiosk-1", min_free_bytes=0) as box:
        decide = OfflineDecider(OfflineCache(box))
        refused = decide.checkout(PATRONS[0], ITEMS[0])
        assert not refused["allowed"] and refused["reasons"][0]["code"] == "no_offline_policy"
        assert decide.checkin(ITEMS[0])["allowed"]


def test_outage_offline_checkout_then_delivered_as_a_fact(cached, central: CentralServer) -> None:
    box, cache, forwarder = cached
    decide = OfflineDecider(cache)
    modes: list[Mode] = []
    forwarder.on_mode_change(lambda event: modes.append(event.mode))
    forwarder.start()
    central.stop()
    payload = {"patron": PATRONS[3], "item": ITEMS[7]}
    got = forwarder.submit(
        "checkout", payload, decide_offline=lambda: decide.checkout(PATRONS[3], ITEMS[7])
    )
    assert got.source == "offline" and got.allowed and got.decision["due"]
    blocked = forwarder.submit(
        "checkout",
        {"patron": BLOCKED, "item": ITEMS[8]},
        decide_offline=lambda: decide.checkout(BLOCKED, ITEMS[8]),
    )
    assert not blocked.allowed  # a blocked patron is not let through offline
    assert forwarder.mode is Mode.OFFLINE
    central.start()
    deadline = time.monotonic() + 20
    # The mode flips before the listeners hear of it: wait for the listener, not the flag.
    while (box.depth() or modes[-1:] != [Mode.ONLINE]) and time.monotonic() < deadline:
        time.sleep(0.05)
    row = box.get(got.transaction.seq)
    # Sent as the offline fact it became (whether the machine answered before the first
    # attempt or during one that then failed).
    assert row.mode == TxMode.OFFLINE and row.state is RowState.DELIVERED, row
    # Central records the due date printed on the patron's receipt, not one of its own.
    assert row.payload["due"] == str(got.decision["due"])
    applied = central.applied("kiosk-1")
    assert [u for u, _, _ in applied] == [row.uuid]  # the refused one was never sent
    assert modes[-2:] == [Mode.OFFLINE, Mode.ONLINE]
