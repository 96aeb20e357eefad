"""The three libraries' profiles, loaded once per test session."""

from __future__ import annotations

import pytest

from kiosk.policy import Profile, load_profile


@pytest.fixture(scope="session")
def hefei() -> Profile:
    return load_profile("hefei")


@pytest.fixture(scope="session")
def hamburg() -> Profile:
    return load_profile("hamburg")


@pytest.fixture(scope="session")
def sanjose() -> Profile:
    return load_profile("sanjose")
