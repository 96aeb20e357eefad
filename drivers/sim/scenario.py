"""Scenario files: a simulator's actions in order, with pauses, written in TOML.

.. code-block:: toml

    [[step]]
    action = "scan"            # any name in the simulator's ACTIONS
    code = "31234000012345"    # the action's parameters
    after = 0.5                # seconds to wait before this step (default 0)
    repeat = 2                 # run it this many times (default 1)
"""

from __future__ import annotations

import inspect
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drivers.sim.base import Simulator


class ScenarioError(ValueError):
    """A scenario file is unreadable or names an action the simulator does not have."""


@dataclass(frozen=True)
class Step:
    action: str
    params: dict[str, Any] = field(default_factory=dict)
    after: float = 0.0
    repeat: int = 1


def parse_steps(data: dict[str, Any], actions: tuple[str, ...], source: str = "") -> list[Step]:
    where = f"{source}: " if source else ""
    raw_steps = data.get("step", [])
    if not isinstance(raw_steps, list):
        raise ScenarioError(f"{where}'step' must be an array of tables ([[step]])")
    steps = []
    for index, raw in enumerate(raw_steps, 1):
        if not isinstance(raw, dict) or "action" not in raw:
            raise ScenarioError(f"{where}step {index}: needs an 'action'")
        params = dict(raw)
        action = str(params.pop("action"))
        after = params.pop("after", 0.0)
        repeat = params.pop("repeat", 1)
        if action not in actions:
            raise ScenarioError(
                f"{where}step {index}: unknown action {action!r} (one of: {', '.join(actions)})"
            )
        if not isinstance(after, int | float) or after < 0:
            raise ScenarioError(f"{where}step {index}: 'after' must be seconds >= 0")
        if not isinstance(repeat, int) or repeat < 1:
            raise ScenarioError(f"{where}step {index}: 'repeat' must be a whole number >= 1")
        steps.append(Step(action, params, float(after), repeat))
    return steps


def load_scenario(path: str | Path, actions: tuple[str, ...]) -> list[Step]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from exc
    return parse_steps(data, actions, str(path))


def check_steps(sim: Simulator, steps: list[Step]) -> None:
    """Fail before running if a step's parameters do not fit its action."""
    for index, step in enumerate(steps, 1):
        try:
            inspect.signature(getattr(sim, step.action)).bind(**step.params)
        except TypeError as exc:
            raise ScenarioError(f"step {index} ({step.action}): {exc}") from exc


def run_steps(
    sim: Simulator, steps: list[Step], *, on_step: Callable[[Step], None] | None = None
) -> None:
    check_steps(sim, steps)
    for step in steps:
        for _ in range(step.repeat):
            if step.after:
                time.sleep(step.after)
            if on_step is not None:
                on_step(step)
            getattr(sim, step.action)(**step.params)
