"""Power loss at each step of the cycle, over the real pty board: after the restart the
item's check-in is in the outbox exactly once and the item ends in exactly one bin."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from kiosk.returns.controller import State, Step
from kiosk.returns.journal import Stage
from tests.returns.conftest import Rig

HOLD = "31000000000002"  # a cached hold: sorted to bin 2 unless recovery sends it to staff


def _stop_at(rig: Rig, state: State) -> threading.Event:
    reached = threading.Event()

    def listener(step: Step) -> None:
        if step.state is state:
            reached.set()

    rig.machine.controller.listeners.append(listener)
    return reached


@pytest.mark.parametrize(
    ("state", "bin_expected"),
    [
        (State.READING, None),
        (State.OPENING_DOOR, 3),
        (State.INTAKE, 3),
        (State.TRANSPORT, 3),
        (State.CLOSING_DOOR, 2),
    ],
)
def test_power_loss_at_each_step(
    make_rig: Callable[..., Rig], state: State, bin_expected: int | None
) -> None:
    rig = make_rig(cycle=0.4, read_timeout=3.0)
    rig.start()
    reached = _stop_at(rig, state)
    if state is State.READING:
        rig.sim.present_item()  # the scan never comes before the power goes
    else:
        rig.return_item(HOLD)
    assert reached.wait(10), f"never reached {state}"
    rig.sim.power_cycle_keeping_items()
    rig.restart()
    if bin_expected is None:
        rig.wait_state(State.IDLE)
        rig.sim.take_back()  # never accepted: the patron still has it
        assert rig.checkins() == {}
        assert rig.machine.controller.journal.cycles() == []
        return
    rig.wait_for(
        lambda: (
            rig.state is State.IDLE
            and all(c.stage is Stage.DONE for c in rig.machine.controller.journal.cycles())
        ),
        what="recovered cycle finished",
    )
    assert rig.checkins() == {HOLD: 1}
    assert dict(rig.sim.dropped) == {bin_expected: 1}
    [cycle] = rig.machine.controller.journal.cycles()
    assert cycle.bin == bin_expected
    if state is not State.CLOSING_DOOR:
        kinds = [f.kind for f in rig.machine.controller.journal.faults()]
        assert "restart_mid_cycle" in kinds
    # and the machine works normally afterwards
    rig.return_item("31000000000001")
    rig.wait_for(lambda: rig.sim.dropped[1] == 1 and rig.state is State.IDLE)


def test_software_restart_while_the_belt_runs_on(make_rig: Callable[..., Rig]) -> None:
    """The controller dies but the board keeps the belt running: the item drops into its
    chosen bin unseen; the recovery flush finds nothing and says which bin to check."""
    rig = make_rig(cycle=0.4)
    rig.start()
    reached = _stop_at(rig, State.TRANSPORT)
    rig.return_item(HOLD)
    assert reached.wait(10)
    rig.machine.stop()
    rig.wait_for(lambda: rig.sim.dropped[2] == 1, what="drop while the controller is down")
    rig.restart()
    rig.wait_for(
        lambda: (
            rig.state is State.IDLE
            and all(c.stage is Stage.DONE for c in rig.machine.controller.journal.cycles())
        ),
        timeout=15,
    )
    assert rig.checkins() == {HOLD: 1}
    [cycle] = rig.machine.controller.journal.cycles()
    assert cycle.bin == 2
    [fault] = [f for f in rig.machine.controller.journal.faults() if f.kind == "item_unconfirmed"]
    assert "bin 2" in fault.detail


def test_board_power_cycle_without_a_software_restart(make_rig: Callable[..., Rig]) -> None:
    rig = make_rig(cycle=0.4)
    rig.start()
    reached = _stop_at(rig, State.TRANSPORT)
    rig.return_item(HOLD)
    assert reached.wait(10)
    rig.sim.power_cycle_keeping_items()  # the board announces HELLO: the controller recovers
    rig.wait_for(lambda: rig.sim.dropped[3] == 1 and rig.state is State.IDLE)
    assert rig.checkins() == {HOLD: 1}
    assert rig.machine.controller.journal.cycles()[0].bin == 3
