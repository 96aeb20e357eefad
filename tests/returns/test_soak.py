"""5,000 simulated returns with random faults: every item in exactly one bin, one check-in.

Four return machines (each its own simulated I/O board and scanner on pty ports, drivers,
outbox and journal) run side by side, 1,250 returns each, with the mechanics scaled down
about 1000x from a real sorter's 1.5-3 s per item.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from collections.abc import Callable

import pytest

from kiosk.returns.journal import Stage
from tests.returns.conftest import Rig
from tests.returns.soak import Soak, SoakResult, check_every_item_once, soak_snapshot

COUNT = int(os.environ.get("KIOSK_SOAK_RETURNS", "5000"))
MACHINES = 4
CYCLE = 0.002


@pytest.mark.slow
def test_soak_random_faults(make_rig: Callable[..., Rig]) -> None:
    snapshot = soak_snapshot(COUNT)
    share = COUNT // MACHINES
    rigs = []
    for m in range(MACHINES):
        rig = make_rig(
            cycle=CYCLE,
            sub=f"m{m}",
            poll=0.0005,
            read_timeout=0.08,
            read_attempts=3,
            jam_timeout=0.2,
            reverse_seconds=0.004,
            transport_timeout=0.5,
            door_timeout=0.3,
        )
        rig.snapshot = snapshot
        rig.ack_timeout = 0.1  # a lost reply is resent soon, so a reversal cannot run on
        rig.start()
        rigs.append(rig)
    results: list[SoakResult | BaseException] = [RuntimeError("not run")] * MACHINES

    def run(m: int) -> None:
        try:
            results[m] = Soak(rigs[m], seed=m).run(share, first=m * share)
        except BaseException as exc:  # reported by the main thread
            results[m] = exc

    threads = [threading.Thread(target=run, args=(m,)) for m in range(MACHINES)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    faults: Counter[str] = Counter()
    restarts = 0
    roles: set[str | None] = set()
    for m, rig in enumerate(rigs):
        check_every_item_once(rig, share, first=m * share)
        result = results[m]
        assert isinstance(result, SoakResult)
        faults.update(result.faults)
        restarts += result.restarts
        journal = rig.machine.controller.journal
        roles |= {c.role for c in journal.cycles() if c.stage is Stage.DONE}
    assert sum(faults.values()) > share * MACHINES * 0.05
    assert restarts > 0 and faults["power_loss"] + faults["restart"] == restarts
    assert {"hold_shelf", "transit", "reshelve", "staff"} <= roles
    seconds = max(r.seconds for r in results if isinstance(r, SoakResult))
    print(
        f"soak: {share * MACHINES} returns on {MACHINES} machines in {seconds:.1f} s, "
        f"faults {dict(faults)}"
    )
