"""A mangled profile never crashes the loader: it loads, or fails with one ConfigError line."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.errors import ConfigError
from kiosk.policy import Profile, find_profile, load_profile

BASES = {
    name: tomllib.loads(find_profile(name).read_text("utf-8")) for name in ("hefei", "sanjose")
}

junk = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.lists(st.integers(-5, 5), max_size=3),
    st.dictionaries(st.sampled_from(["x", "loan_days", "fee"]), st.integers(-3, 3), max_size=2),
    st.dates(),
)


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(data, dict):
        return [leaf for key, value in data.items() for leaf in _leaves(value, (*path, key))]
    if isinstance(data, list):
        return [leaf for i, value in enumerate(data) for leaf in _leaves(value, (*path, i))]
    return [path]


def _replace(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for step in path[:-1]:
        data = data[step]
    data[path[-1]] = value


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from(sorted(BASES)), st.data(), junk)
def test_mangled_profile_loads_or_fails_with_one_line(
    tmp_path: Path, name: str, data: st.DataObject, value: Any
) -> None:
    import copy

    doc = copy.deepcopy(BASES[name])
    leaf = data.draw(st.sampled_from(_leaves(doc)))
    _replace(doc, leaf, value)
    path = tmp_path / "mangled.toml"
    path.write_text(tomli_w.dumps(doc), encoding="utf-8")
    try:
        profile = load_profile(path)
    except ConfigError as error:
        assert "\n" not in str(error)
        assert str(error).startswith(str(path))
    else:
        assert isinstance(profile, Profile)
