"""A hypothesis stateful test of the queue's invariants, on a real SQLite file.

A model of what the outbox must hold is kept alongside; after every step the file agrees with
it: nothing committed is lost until delivered and past retention, sequence numbers only
grow, rows are claimed in order and only by the lease holder, a terminal row never changes,
and a fallback contradicted by central leaves exactly one corrective follow-up.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from kiosk.domain import TxOutcome
from kiosk.errors import QueueError
from kiosk.outbox.schema import TERMINAL_STATES, RowState
from kiosk.outbox.store import Delivery, Outbox

OWNERS = ("fwd-a", "fwd-b")


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="outbox-hyp-"))
        self.box = Outbox(self.dir / "q.db", "kiosk-1", min_free_bytes=0)
        self.model: dict[int, dict] = {}  # seq -> {uuid, state, kind, fallback}
        self.holder: str | None = None
        self.max_seq = 0
        self.pruned: set[int] = set()

    def teardown(self) -> None:
        self.box.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def pending(self) -> list[int]:
        return sorted(s for s, r in self.model.items() if r["state"] in ("queued", "sending"))

    def sending(self) -> list[int]:
        return sorted(s for s, r in self.model.items() if r["state"] == "sending")

    # -- rules ---------------------------------------------------------------------------

    @rule(kind=st.sampled_from(["checkout", "checkin", "renew"]))
    def enqueue(self, kind: str) -> None:
        tx = self.box.enqueue(kind, {"patron": "p", "item": "i"})
        assert tx.seq > self.max_seq  # never reused, even after pruning
        self.max_seq = tx.seq
        self.model[tx.seq] = {"uuid": tx.uuid, "state": "queued", "kind": kind, "fallback": None}

    @rule(owner=st.sampled_from(OWNERS), limit=st.integers(1, 5))
    def claim(self, owner: str, limit: int) -> None:
        rows = self.box.claim(owner, limit, 3600)
        if self.holder not in (None, owner):
            assert rows is None
            return
        assert rows is not None
        self.holder = owner
        expected = self.pending()[:limit]
        assert [r.seq for r in rows] == expected
        for r in rows:
            self.model[r.seq]["state"] = "sending"

    @precondition(lambda self: self.holder is not None)
    @rule()
    def lease_lapses(self) -> None:
        self.box.release_lease(self.holder)
        self.holder = None

    @precondition(lambda self: bool(self.sending()))
    @rule(
        outcomes=st.lists(
            st.sampled_from([TxOutcome.APPLIED, TxOutcome.REFUSED, TxOutcome.EXCEPTION]),
            min_size=1,
            max_size=5,
        )
    )
    def deliver(self, outcomes: list[TxOutcome]) -> None:
        seqs = self.sending()[: len(outcomes)]
        pairs = [
            (s, Delivery(self.model[s]["uuid"], o)) for s, o in zip(seqs, outcomes, strict=False)
        ]
        follow_ups = self.box.record(pairs)
        expected = 0
        for seq, delivery in pairs:
            row = self.model[seq]
            row["state"] = {
                TxOutcome.APPLIED: "delivered",
                TxOutcome.REFUSED: "refused",
                TxOutcome.EXCEPTION: "exception",
            }[delivery.outcome]
            fallback = row["fallback"]
            if fallback is True and delivery.outcome is TxOutcome.REFUSED:
                expected += 1
            if (
                fallback is False
                and delivery.outcome is TxOutcome.APPLIED
                and row["kind"] == "checkout"
            ):
                expected += 1
        assert len(follow_ups) == expected
        for seq in follow_ups:
            assert seq > self.max_seq
            self.max_seq = seq
            row = self.box.get(seq)
            self.model[seq] = {
                "uuid": row.uuid,
                "state": "queued",
                "kind": row.kind,
                "fallback": None,
            }

    @precondition(lambda self: bool(self.sending()))
    @rule()
    def transport_fails(self) -> None:
        self.box.requeue(self.sending(), "connection reset")
        for seq in self.sending():
            self.model[seq]["state"] = "queued"

    @precondition(lambda self: bool(self.pending()))
    @rule(data=st.data(), allowed=st.booleans())
    def caller_falls_back(self, data: st.DataObject, allowed: bool) -> None:
        seq = data.draw(st.sampled_from(self.pending()))
        row = self.model[seq]
        if row["fallback"] is not None:
            return
        self.box.fall_back(seq, {"allowed": allowed})
        row["fallback"] = allowed
        if row["state"] == "queued" and not allowed:
            row["state"] = "refused"  # turned away before anything was sent: nothing to send

    @rule()
    def restart(self) -> None:
        """The process dies and comes back: rows in ``sending`` stay and are resent."""
        self.box.close()
        self.box = Outbox(self.dir / "q.db", "kiosk-1", min_free_bytes=0)

    @rule(hours=st.integers(0, 400))
    def prune(self, hours: int) -> None:
        removed = self.box.prune(now=time.time() + hours * 3600)
        if hours * 3600 > self.box.retention.total_seconds():
            newest = max(self.model, default=0)
            gone = [s for s, r in self.model.items() if r["state"] == "delivered" and s != newest]
            assert removed == len(gone)
            for seq in gone:
                del self.model[seq]
                self.pruned.add(seq)
        else:
            assert removed == 0

    @precondition(lambda self: bool(self.model))
    @rule(data=st.data())
    def retry(self, data: st.DataObject) -> None:
        seq = data.draw(st.sampled_from(sorted(self.model)))
        before = self.box.get(seq)
        try:
            self.box.retry(seq)
        except QueueError:
            assert self.box.get(seq) == before  # a refused retry changes nothing
            return
        assert before.state in (RowState.REFUSED, RowState.EXCEPTION)
        self.model[seq]["state"] = "queued"

    # -- invariants ----------------------------------------------------------------------

    @invariant()
    def file_matches_model(self) -> None:
        rows = self.box.rows()
        assert {r.seq: r.state.value for r in rows} == {
            s: r["state"] for s, r in self.model.items()
        }
        assert {r.seq: r.uuid for r in rows} == {s: r["uuid"] for s, r in self.model.items()}
        assert len({r.uuid for r in rows}) == len(rows)
        assert not self.pruned & {r.seq for r in rows}

    @invariant()
    def terminal_rows_carry_an_outcome_or_a_reason(self) -> None:
        for row in self.box.rows(TERMINAL_STATES):
            assert row.outcome is not None or row.last_error or (row.result or {}).get("local")
            assert row.done_at is not None

    @invariant()
    def depth_counts_pending(self) -> None:
        assert self.box.depth() == len(self.pending())


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(
    max_examples=30,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
