"""The diverter position an item passed at, and what a board power cycle leaves behind."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from drivers.events import BoardReset, ItemPassedDiverter
from drivers.link import SerialSettings
from drivers.returnunit import Conveyor, ReturnUnit, ReturnUnitSettings
from drivers.sim.port import PtyPort
from drivers.sim.returnunit import ReturnUnitSim

from .conftest import Events, wait_until

CYCLE = 0.4


class EagerBoard(ReturnUnitSim):
    """A board whose diverter eye reports an item passing right behind the DIVERT ``OK``
    (an item already at the flap when the host switches it)."""

    def _line(self, line: str) -> None:
        super()._line(line)
        if line.split()[1:2] == ["DIVERT"]:
            self.event("EYE DIVERTER 1")
            self.event("EYE DIVERTER 0")


class SlowSender(ReturnUnit):
    """The sending thread wakes late after an acknowledgement (a busy machine)."""

    def _result(self, pending, attempts):  # type: ignore[no-untyped-def]
        time.sleep(0.3)
        return super()._result(pending, attempts)


@pytest.fixture
def eager(tmp_path) -> Iterator[ReturnUnitSim]:
    with EagerBoard(PtyPort(link=tmp_path / "io"), cycle_time=CYCLE) as sim:
        yield sim


def test_item_passed_diverter_names_the_acknowledged_position(eager, events: Events) -> None:
    settings = ReturnUnitSettings(ack_timeout=1.0, retries=1, jam_timeout=5)
    with SlowSender("return", SerialSettings(eager.path), events.put, settings) as unit:
        assert unit.link.wait_connected(3)
        future = unit.divert(3)
        passed = events.wait_for(ItemPassedDiverter, timeout=3)
        assert passed.bin == 3
        assert future.result(3).ok


@pytest.fixture
def sim(tmp_path) -> Iterator[ReturnUnitSim]:
    with ReturnUnitSim(PtyPort(link=tmp_path / "io"), cycle_time=CYCLE, bin_capacity=3) as sim:
        yield sim


def test_power_cycle_keeps_what_is_physically_there(sim, events: Events) -> None:
    settings = ReturnUnitSettings(ack_timeout=0.25, retries=3, jam_timeout=5)
    with ReturnUnit("return", SerialSettings(sim.path), events.put, settings) as unit:
        assert unit.link.wait_connected(3)
        assert unit.divert(2).result(5).ok
        assert unit.run_conveyor().result(5).ok
        sim.present_item()
        assert events.wait_for(ItemPassedDiverter, timeout=5).bin == 2
        assert wait_until(lambda: sim.bin_counts[2] == 1)
        sim.bin_full(3)
        sim.present_item()  # a second item on the belt when the power goes
        assert wait_until(lambda: any(i.stage != "intake" for i in sim.items), timeout=3)
        on_belt = len(sim.items)
        sim.power_cycle()
        events.wait_for(BoardReset)
        assert len(sim.items) == on_belt == 1
        assert sim.bin_counts[2] == 1 and sim.full[3]
        status = unit.query_status().result(5)
        assert status.fields["CONV"] == "STOP" and status.fields["DIVERT"] == "1"
        assert status.fields["BINS"].split(",")[2] == "1"
        assert (unit.conveyor, unit.diverter) == (Conveyor.STOP, 1)
        # the host restarts the belt: the item still arrives, in the homed bin
        assert unit.run_conveyor().result(5).ok
        assert events.wait_for(ItemPassedDiverter, timeout=5).bin == 1
        assert wait_until(lambda: sim.bin_counts[1] == 1)
