"""Applying transactions: exactly once, in order, online as requests, offline as facts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from kiosk.central import models as m
from kiosk.domain import TxOutcome

from .fixtures_data import HAMBURG, HEFEI, SANJOSE
from .helpers import state, tx

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
WANG, LI, ZHAO, OLD, EXPIRED = (
    "3401010000001",
    "3401010000002",
    "3401010000003",
    "1234567890123",
    "3401010000005",
)
HONGLOU, XIYOU, SANGUO, SHUIHU, WEICHENG, HUOZHE, PINGFAN = (
    f"312340000123{n}" for n in (45, 46, 47, 48, 49, 50, 51)
)


def test_online_checkout_applies_with_policy_due_date(load) -> None:
    central = load(HEFEI)
    result = central.service.apply(tx("checkout", NOW, patron=WANG, item=HONGLOU))
    assert result.outcome is TxOutcome.APPLIED and not result.duplicate
    assert result.result["due"].isoformat() == "2026-12-23"  # 30 days (Hefei)
    assert central.service.item_status(HONGLOU).status == "on_loan"


def test_online_checkout_refused_changes_nothing(load) -> None:
    central = load(HEFEI)
    before = state(central)
    # Li has an overdue loan: Hefei refuses; an old card is refused too.
    for card in (LI, OLD):
        result = central.service.apply(tx("checkout", NOW, patron=card, item=XIYOU))
        assert result.outcome is TxOutcome.REFUSED
        assert result.reasons
    after = state(central)
    assert after["loans"] == before["loans"] and after["items"] == before["items"]
    codes = {
        r.code for r in central.service.apply(tx("checkout", NOW, patron=LI, item=XIYOU)).reasons
    }
    assert "overdue_items" in codes


def test_same_uuid_twice_returns_first_outcome_and_changes_nothing(load) -> None:
    central = load(HEFEI)
    t = tx("checkout", NOW, patron=WANG, item=HONGLOU)
    first = central.service.apply(t)
    snapshot = state(central)
    again = central.service.apply(t)
    assert again.duplicate is True
    assert again.outcome is first.outcome and again.result == {
        k: (v.isoformat() if hasattr(v, "isoformat") else str(v) if isinstance(v, Decimal) else v)
        for k, v in first.result.items()
    }
    assert state(central) == snapshot


def _batch():
    base = NOW
    return [
        tx("checkout", base, seq=1, patron=WANG, item=HONGLOU),
        tx("checkout", base + timedelta(minutes=1), seq=2, patron=WANG, item=XIYOU),
        tx("checkin", base + timedelta(minutes=2), seq=3, item=WEICHENG),  # Li's overdue loan
        tx("pay_fee", base + timedelta(minutes=3), seq=4, patron=LI, amount="1.00"),
        tx("checkout", base + timedelta(minutes=4), seq=5, patron=ZHAO, item=SANGUO),
        tx("renew", base + timedelta(minutes=5), seq=6, patron=WANG, item=XIYOU),
        tx("checkin", base + timedelta(minutes=6), seq=7, item=SANGUO),
        tx("checkout", base + timedelta(minutes=7), seq=8, patron=LI, item=SHUIHU),
    ]


def test_replaying_a_batch_twice_leaves_one_application(load, open_store, tmp_path) -> None:
    central = load(HEFEI)
    batch = _batch()
    first = central.service.apply_batch(batch)
    once = state(central)
    second = central.service.apply_batch(batch)
    assert state(central) == once
    assert all(r.duplicate for r in second)
    assert [r.outcome for r in second] == [r.outcome for r in first]


def test_batch_cut_off_halfway_and_resent_is_one_application(load, tmp_path) -> None:
    reference = load(HEFEI, name="ref.toml")
    batch = _batch()
    reference.service.apply_batch(batch)
    expected = state(reference)
    # A fresh store of the same library: half the batch arrived, then the whole was resent.
    from sqlalchemy import delete

    with reference.sessions.begin() as s:
        for model in (
            m.TxException,
            m.AppliedTransaction,
            m.LoanHistory,
            m.Loan,
            m.Hold,
            m.Fee,
            m.CreditEntry,
            m.PatronSession,
            m.Notice,
            m.JobRun,
            m.Patron,
            m.Item,
            m.Library,
        ):
            s.execute(delete(model))
    from kiosk.central.security import PinHasher
    from kiosk.central.services import load_fixture

    path = tmp_path / "again.toml"
    path.write_text(HEFEI, encoding="utf-8")
    load_fixture(path, reference.sessions, PinHasher(reference.settings))
    reference.service.apply_batch(batch[:4])
    results = reference.service.apply_batch(batch)
    assert [r.duplicate for r in results] == [True] * 4 + [False] * 4
    assert state(reference) == expected


def test_machine_sequence_order_is_applied_not_arrival_order(load) -> None:
    central = load(HEFEI)
    checkout = tx("checkout", NOW, seq=10, patron=WANG, item=HONGLOU)
    checkin = tx("checkin", NOW + timedelta(hours=1), seq=11, item=HONGLOU)
    # Sent in the wrong order: central sorts a machine's transactions by seq.
    out = central.service.apply_batch([checkin, checkout])
    assert [r.uuid for r in out] == [checkin.uuid, checkout.uuid]
    assert all(r.outcome is TxOutcome.APPLIED for r in out)
    assert central.service.item_status(HONGLOU).status in ("available", "in_transit")
    with central.sessions() as s:
        assert s.scalar(select(m.Machine.last_seq).where(m.Machine.name == "kiosk-1")) is None


def test_offline_checkout_breaking_rules_is_recorded_with_exception(load) -> None:
    central = load(HEFEI)
    result = central.service.apply(
        tx("checkout", NOW, mode="offline", patron=EXPIRED, item=HONGLOU, due="2026-12-20")
    )
    assert result.outcome is TxOutcome.EXCEPTION
    assert "card_expired" in {r.code for r in result.reasons}
    loans = state(central)["loans"]
    assert (EXPIRED, HONGLOU, "2026-12-20", 0) in loans  # the machine's due date is kept
    (exception,) = central.service.exceptions()
    assert exception.kind == "checkout" and exception.reasons[0].code
    assert exception.patron and EXPIRED not in exception.patron  # masked for staff lists


def test_offline_checkout_of_item_reserved_for_other_requeues_the_hold(load) -> None:
    central = load(SANJOSE)
    ana, minh = "21197000000011", "21197000000029"
    grapes_king, grapes_almaden = "31197000000015", "31197000000049"
    # Ana returns her copy: Minh's title hold traps it on the hold shelf at king.
    back = central.service.apply(tx("checkin", NOW, item=grapes_king, branch="king"))
    assert back.result["destination"] == "hold_shelf"
    assert back.result["pickup_branch"] == "king"
    # Offline, an educator walks out with the copy set aside for Minh.
    out = central.service.apply(
        tx(
            "checkout",
            NOW + timedelta(hours=2),
            mode="offline",
            patron="21197000000037",
            item=grapes_king,
        )
    )
    assert out.outcome is TxOutcome.EXCEPTION
    assert "reserved_for_other" in {r.code for r in out.reasons}
    holds = state(central)["holds"]
    assert (minh, None, "The Grapes of Wrath", "waiting", "None") in holds
    # The next copy of the title fills the hold again.
    central.service.apply(tx("checkout", NOW, patron=ana, item=grapes_almaden))
    back = central.service.apply(
        tx("checkin", NOW + timedelta(hours=3), item=grapes_almaden, branch="king")
    )
    assert back.result["destination"] == "hold_shelf"


def test_fine_uses_the_machine_return_time_not_arrival(load, clock) -> None:
    central = load(HEFEI)
    # Li's loan was due 2026-10-31; the return machine took it on 2026-11-10 (offline) and
    # the transaction only arrives weeks later.
    clock.advance(timedelta(days=30))
    returned = datetime(2026, 11, 10, 3, 0, tzinfo=UTC)
    result = central.service.apply(tx("checkin", returned, mode="offline", item=WEICHENG))
    assert result.outcome is TxOutcome.APPLIED
    assert result.result["fine"] == Decimal("1.00")  # 10 days x 0.10 CNY
    fees = state(central)["fees"]
    assert (LI, "overdue", "1.00", "0.00", False) in fees


def test_history_link_removed_on_return_unless_opted_in(load) -> None:
    central = load(HEFEI)
    svc = central.service
    svc.apply(tx("checkout", NOW, patron=WANG, item=HONGLOU))
    svc.apply(tx("checkout", NOW, patron=ZHAO, item=XIYOU))
    svc.apply(tx("checkin", NOW + timedelta(days=1), item=HONGLOU))
    svc.apply(tx("checkin", NOW + timedelta(days=1), item=XIYOU))
    s = state(central)
    assert s["history"] == [(ZHAO, XIYOU)]  # Zhao opted in; Wang did not
    assert not any(loan[1] in (HONGLOU, XIYOU) for loan in s["loans"])


def test_renew_and_renewal_limit(load) -> None:
    central = load(HEFEI)
    svc = central.service
    svc.apply(tx("checkout", NOW, patron=WANG, item=HONGLOU))
    first = svc.apply(tx("renew", NOW + timedelta(days=10), patron=WANG, item=HONGLOU))
    assert first.outcome is TxOutcome.APPLIED
    second = svc.apply(tx("renew", NOW + timedelta(days=11), patron=WANG, item=HONGLOU))
    assert second.outcome is TxOutcome.REFUSED
    assert "renewal_limit" in {r.code for r in second.reasons}


def test_hold_fee_taken_from_credit_then_owed_and_deposit(load) -> None:
    central = load(HAMBURG)
    svc = central.service
    greta = "A0000001"
    placed = svc.apply(
        tx("place_hold", NOW, patron=greta, item="M0000001", pickup_branch="zentrale")
    )
    assert placed.outcome is TxOutcome.APPLIED
    assert placed.result["fee"] == Decimal("2.00") and placed.result["credit_used"] == Decimal(
        "2.00"
    )
    assert svc.account(greta).credit == "8.00"
    # E-media holds are free.
    free = svc.apply(tx("place_hold", NOW, patron=greta, item="M0000003", pickup_branch="zentrale"))
    assert free.result["fee"] == Decimal("0.00")
    # Day cards may not place holds.
    refused = svc.apply(
        tx("place_hold", NOW, patron="A0000003", item="M0000002", pickup_branch="zentrale")
    )
    assert refused.outcome is TxOutcome.REFUSED
    assert "hold_not_allowed_for_card" in {r.code for r in refused.reasons}
    # Cancel the first hold.
    cancel = svc.apply(tx("cancel_hold", NOW, patron=greta, hold_id=placed.result["hold_id"]))
    assert cancel.outcome is TxOutcome.APPLIED
    assert [h.id for h in svc.account(greta).holds] == [free.result["hold_id"]]


def test_hamburg_hold_only_when_no_copy_is_on_the_pickup_shelf(load) -> None:
    """Items on loan, or on the shelf only at another branch, can be reserved (Hamburg)."""
    central = load(HAMBURG)
    svc = central.service
    greta = "A0000001"
    # "Der Vorleser" stands on the shelf at Altona: no hold for pickup there, nothing charged.
    there = svc.apply(tx("place_hold", NOW, patron=greta, item="M0000002", pickup_branch="altona"))
    assert there.outcome is TxOutcome.REFUSED
    assert [r.code for r in there.reasons] == ["available_at_pickup"]
    assert dict(there.reasons[0].params) == {"branch": "altona"}
    assert svc.account(greta).credit == "10.00"
    # A title hold is refused the same way while a copy of the title is free at pickup.
    title = svc.apply(
        tx("place_hold", NOW, patron="A0000002", title="Der Vorleser", pickup_branch="altona")
    )
    assert [r.code for r in title.reasons] == ["available_at_pickup"]
    # The same copy may be reserved for pickup at another branch (it is sent there).
    elsewhere = svc.apply(
        tx("place_hold", NOW, patron=greta, item="M0000002", pickup_branch="zentrale")
    )
    assert elsewhere.outcome is TxOutcome.APPLIED
    # Once that copy is claimed by Greta's hold it is no longer free: a second hold is fine.
    again = svc.apply(
        tx("place_hold", NOW, patron="A0000002", item="M0000002", pickup_branch="altona")
    )
    assert again.outcome is TxOutcome.APPLIED


def test_pay_fee_reduces_balance(load) -> None:
    central = load(HEFEI)
    svc = central.service
    svc.apply(tx("checkin", NOW, item=WEICHENG))
    assert svc.account(LI).balance == "2.30"
    paid = svc.apply(tx("pay_fee", NOW, patron=LI, amount="2.30"))
    assert paid.outcome is TxOutcome.APPLIED
    assert svc.account(LI).balance == "0.00"
    over = svc.apply(tx("pay_fee", NOW, patron=LI, amount="5.00"))
    assert over.outcome is TxOutcome.REFUSED


def test_unknown_card_and_item_are_refused_online_and_recorded_offline(load) -> None:
    central = load(HEFEI)
    svc = central.service
    online = svc.apply(tx("checkout", NOW, patron="3401019999999", item=HONGLOU))
    assert online.outcome is TxOutcome.REFUSED
    assert online.reasons[0].code == "unknown_card"
    offline = svc.apply(tx("checkin", NOW, mode="offline", item="39999999999999"))
    assert offline.outcome is TxOutcome.EXCEPTION
    assert offline.result["destination"] == "staff"
    assert len(svc.exceptions()) == 1


def test_change_pin_checks_old_pin_and_strength(load) -> None:
    central = load(HEFEI)
    svc = central.service
    weak = svc.apply(tx("change_pin", NOW, patron=WANG, old_pin="19850312", new_pin="123456"))
    assert weak.outcome is TxOutcome.REFUSED
    wrong = svc.apply(tx("change_pin", NOW, patron=WANG, old_pin="000000", new_pin="482915"))
    assert wrong.outcome is TxOutcome.REFUSED and wrong.reasons[0].code == "wrong_pin"
    ok = svc.apply(tx("change_pin", NOW, patron=WANG, old_pin="19850312", new_pin="482915"))
    assert ok.outcome is TxOutcome.APPLIED
    login = svc.login(WANG, "482915")
    assert login.pin_change_required is False
    with central.sessions() as s:
        stored = s.scalars(select(m.AppliedTransaction.reply)).all()
    assert "482915" not in repr(stored) and "19850312" not in repr(stored)


def test_offline_facts_over_the_limit_or_blocked_become_exceptions(load) -> None:
    central = load(HEFEI)
    svc = central.service
    items = [HONGLOU, XIYOU, SANGUO, SHUIHU, HUOZHE]
    for n, item in enumerate(items):
        assert (
            svc.apply(tx("checkout", NOW, patron=WANG, item=item)).outcome is TxOutcome.APPLIED
        ), n
    sixth = svc.apply(tx("checkout", NOW, mode="offline", patron=WANG, item=PINGFAN))
    assert sixth.outcome is TxOutcome.EXCEPTION
    assert "max_loans" in {r.code for r in sixth.reasons}
    assert len([loan for loan in state(central)["loans"] if loan[0] == WANG]) == 6
    online = svc.apply(tx("renew", NOW + timedelta(days=40), patron=WANG, item=HONGLOU))
    assert online.outcome is TxOutcome.REFUSED
    assert "item_overdue" in {r.code for r in online.reasons}


def test_hold_credit_deposit_rules(load) -> None:
    central = load(HAMBURG)
    svc = central.service
    greta = "A0000001"
    at_machine = svc.apply(tx("deposit_credit", NOW, patron=greta, amount="10.00"))
    assert at_machine.outcome is TxOutcome.REFUSED
    assert "in_person_only" in {r.code for r in at_machine.reasons}
    wrong = svc.apply(tx("deposit_credit", NOW, patron=greta, amount="5.00", in_person=True))
    assert "deposit_amount" in {r.code for r in wrong.reasons}
    ok = svc.apply(tx("deposit_credit", NOW, patron=greta, amount="10.00", in_person=True))
    assert ok.outcome is TxOutcome.APPLIED and ok.result["credit"] == Decimal("20.00")
    assert svc.account(greta).credit == "20.00"


def test_two_machines_racing_for_one_copy_get_one_loan(load) -> None:
    """Concurrent batches (threads, separate connections): row locks decide, no lost update."""
    import threading

    central = load(HEFEI)
    svc = central.service
    results = {}
    barrier = threading.Barrier(2)

    def machine(name: str, card: str) -> None:
        barrier.wait()
        results[name] = svc.apply_batch(
            [tx("checkout", NOW, machine=name, patron=card, item=HONGLOU)]
        )[0]

    threads = [
        threading.Thread(target=machine, args=("kiosk-a", WANG)),
        threading.Thread(target=machine, args=("kiosk-b", ZHAO)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    outcomes = sorted(r.outcome.value for r in results.values())
    assert outcomes == ["applied", "refused"]
    loser = next(r for r in results.values() if r.outcome is TxOutcome.REFUSED)
    assert loser.reasons[0].code == "item_on_loan"
    assert len([loan for loan in state(central)["loans"] if loan[1] == HONGLOU]) == 1


def test_checkin_of_a_copy_on_the_hold_shelf_keeps_it_for_its_patron(load) -> None:
    central = load(SANJOSE)
    svc = central.service
    first = svc.apply(tx("checkin", NOW, item="31197000000015", branch="king"))
    again = svc.apply(
        tx("checkin", NOW + timedelta(minutes=5), item="31197000000015", branch="king")
    )
    assert first.result["destination"] == again.result["destination"] == "hold_shelf"
    assert again.result["hold_id"] == first.result["hold_id"]
    ready = [h for h in state(central)["holds"] if h[3] == "ready"]
    assert len(ready) == 1


def test_snapshot_reflects_changes_unless_a_ttl_is_set(load, clock) -> None:
    from kiosk.central import CentralSettings
    from kiosk.central.services import CirculationService

    from .conftest import FAST

    central = load(HEFEI)
    fresh = central.service
    cached = CirculationService(
        central.sessions,
        central.profile,
        clock,
        CentralSettings(**{**FAST.model_dump(), "snapshot_ttl_s": 60}),
    )
    assert fresh.snapshot()["patrons"][WANG]["loans"] == 0
    assert cached.snapshot()["patrons"][WANG]["loans"] == 0
    fresh.apply(tx("checkout", NOW, patron=WANG, item=HONGLOU))
    assert fresh.snapshot()["patrons"][WANG]["loans"] == 1
    assert cached.snapshot()["patrons"][WANG]["loans"] == 0  # served from its cache
    snap = fresh.snapshot()
    assert snap["blocked"][OLD] == ["old_card_prefix"]
    assert snap["patrons"][LI]["overdue"] == 1 and snap["patrons"][LI]["balance"] == "0.00"


def test_snapshot_lists_copies_kept_for_holds(load) -> None:
    central = load(SANJOSE)
    svc = central.service
    assert svc.snapshot()["holds"] == {}  # Minh's title hold has no copy yet
    svc.apply(tx("checkin", NOW, item="31197000000015", branch="king"))
    held = svc.snapshot()["holds"]["31197000000015"]
    assert held["status"] == "ready" and held["pickup_branch"] == "king"
    assert held["patron"] == "21197000000029" and held["patron_alias"].endswith("0029")
