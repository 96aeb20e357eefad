"""Scenario files: the shipped examples are valid, and a scenario drives a simulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from drivers.events import ScanEvent
from drivers.link import SerialSettings
from drivers.scanner import BarcodeScanner
from drivers.sim.printer import PrinterSim
from drivers.sim.returnunit import ReturnUnitSim
from drivers.sim.scanner import ScannerSim
from drivers.sim.scenario import ScenarioError, check_steps, load_scenario, parse_steps, run_steps

from .conftest import Events, wait_until

SCENARIOS = Path(__file__).resolve().parents[2] / "drivers" / "sim" / "scenarios"
SIMULATORS = {"scanner": ScannerSim, "return-unit": ReturnUnitSim, "printer": PrinterSim}


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_shipped_scenarios_are_valid(path: Path) -> None:
    kind = next(k for k in SIMULATORS if path.name.startswith(k))
    simulator = SIMULATORS[kind]
    steps = load_scenario(path, simulator.ACTIONS)
    assert steps
    with simulator() as sim:
        check_steps(sim, steps)  # every parameter fits its action


def test_scenario_drives_the_driver(events: Events) -> None:
    steps = parse_steps(
        {
            "step": [
                {"action": "scan", "code": "31234000012345"},
                {"action": "garbage", "count": 5, "after": 0.05},
                {"action": "scan", "code": "31234000099999", "after": 0.05, "repeat": 2},
            ]
        },
        ScannerSim.ACTIONS,
    )
    with ScannerSim() as sim, BarcodeScanner("s", SerialSettings(sim.path), events.put) as drv:
        assert drv.link.wait_connected(3)
        run_steps(sim, steps)
        events.wait_for(ScanEvent, code="31234000012345")
        events.wait_for(ScanEvent, code="31234000099999")
        assert wait_until(lambda: drv.rejected == 1 and drv.duplicates_dropped == 1)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"step": [{"code": "1"}]}, "needs an 'action'"),
        ({"step": [{"action": "fly"}]}, "unknown action 'fly'"),
        ({"step": [{"action": "scan", "after": -1}]}, "'after' must be seconds"),
        ({"step": [{"action": "scan", "repeat": 0}]}, "'repeat' must be"),
        ({"step": {"action": "scan"}}, "must be an array of tables"),
    ],
)
def test_bad_scenarios_say_which_step(data, message) -> None:
    with pytest.raises(ScenarioError, match=message):
        parse_steps(data, ScannerSim.ACTIONS)


def test_wrong_parameters_are_caught_before_running() -> None:
    steps = parse_steps({"step": [{"action": "scan", "barcode": "1"}]}, ScannerSim.ACTIONS)
    with ScannerSim() as sim, pytest.raises(ScenarioError, match="step 1 \\(scan\\)"):
        check_steps(sim, steps)


def test_unreadable_scenario_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[step]\n", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(bad, ScannerSim.ACTIONS)
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(tmp_path / "none.toml", ScannerSim.ACTIONS)
