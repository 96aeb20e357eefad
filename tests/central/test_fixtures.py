"""Loading fixtures: all or nothing, one clear line per error, duplicates refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from kiosk.central import models as m
from kiosk.central.fixtures import FixtureErrors
from kiosk.central.security import PinHasher
from kiosk.central.services import load_fixture

from .conftest import REPO
from .fixtures_data import HAMBURG, HEFEI, SANJOSE


def _count(central, model) -> int:
    with central.sessions() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_hefei_fixture_loads_with_hashed_pins_and_default_pin_flag(load) -> None:
    central = load(HEFEI)
    assert _count(central, m.Patron) == 5
    assert _count(central, m.Item) == 7
    with central.sessions() as s:
        wang = s.scalar(select(m.Patron).where(m.Patron.barcode == "3401010000001"))
        li = s.scalar(select(m.Patron).where(m.Patron.barcode == "3401010000002"))
        lent = s.scalar(select(m.Item).where(m.Item.barcode == "31234000012349"))
    # No PIN in the fixture: Hefei's default (birth date) is hashed and flagged.
    assert wang.pin_hash.startswith("$argon2id$") and "19850312" not in wang.pin_hash
    assert wang.pin_is_default is True
    assert li.pin_is_default is False
    assert lent.status == "on_loan"


@pytest.mark.parametrize("text", [HAMBURG, SANJOSE])
def test_other_libraries_load(load, text) -> None:
    central = load(text)
    assert _count(central, m.Patron) == 3
    assert _count(central, m.Loan) >= 1


def test_loan_without_due_gets_the_profile_loan_period(load) -> None:
    central = load(HAMBURG)
    with central.sessions() as s:
        loan = s.scalar(select(m.Loan))
    assert loan.due.isoformat() > "2026-11-01"


def test_bad_fixture_reports_every_error_and_loads_nothing(open_store, tmp_path: Path) -> None:
    central = open_store(policy="hefei")
    bad = HEFEI.replace('email = "li@example.org"', 'expires = "2026-13-01"').replace(
        'format = "book"\nowning_branch = "yueshufang-1"', 'format = "scroll"\nowning_branch = "x"'
    )
    path = tmp_path / "fixture.toml"
    path.write_text(bad, encoding="utf-8")
    with pytest.raises(FixtureErrors) as info:
        load_fixture(path, central.sessions, PinHasher(central.settings))
    lines = info.value.lines
    assert f"{path}: patron[1].expires: not a date: '2026-13-01'" in lines
    assert any(line.startswith(f"{path}: item[3].format: not one of") for line in lines)
    assert any(line.startswith(f"{path}: item[3].owning_branch: not one of") for line in lines)
    assert all("\n" not in line for line in lines)
    assert _count(central, m.Patron) == 0 and _count(central, m.Item) == 0


def test_duplicates_are_errors_not_overwrites(load, tmp_path: Path) -> None:
    central = load(HEFEI)
    path = tmp_path / "again.toml"
    path.write_text(HEFEI, encoding="utf-8")
    with pytest.raises(FixtureErrors) as info:
        load_fixture(path, central.sessions, PinHasher(central.settings))
    assert any("patron already in the store: '3401010000001'" in line for line in info.value.lines)
    assert any("item already in the store: '31234000012345'" in line for line in info.value.lines)
    assert _count(central, m.Patron) == 5

    twice = HEFEI + '\n[[item]]\nbarcode = "31234000012345"\ntitle = "x"\nformat = "book"\n'
    twice += 'owning_branch = "main"\n'
    path.write_text(twice, encoding="utf-8")
    with pytest.raises(FixtureErrors) as info:
        load_fixture(path, central.sessions, PinHasher(central.settings))
    assert any("item[7].barcode: duplicate item barcode" in line for line in info.value.lines)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("not toml [", "not valid TOML"),
        ('[library]\nname = "X"\n', "library.policy: missing"),
        (
            HEFEI.replace('checked_out = "2026-10-01T10:00:00"', 'checked_out = "soon"'),
            "loan[0].checked_out: not a date and time: 'soon'",
        ),
        (HEFEI.replace('item = "31234000012349"', 'item = "nope"'), "loan[0].item: unknown item"),
        (
            HEFEI + '\n[[fee]]\npatron = "3401010000001"\nkind = "fine"\namount = "x"\n',
            "fee[0].kind: not one of",
        ),
    ],
)
def test_each_kind_of_error_is_one_line(open_store, tmp_path: Path, text, expected) -> None:
    central = open_store(policy="hefei")
    path = tmp_path / "f.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FixtureErrors) as info:
        load_fixture(path, central.sessions, PinHasher(central.settings))
    assert any(expected in line for line in info.value.lines), info.value.lines


@pytest.mark.parametrize("library", ["hefei", "hamburg", "sanjose"])
def test_demo_fixture_loads(open_store, library: str) -> None:
    central = open_store()
    path = REPO / "config" / "demo" / f"{library}.toml"
    report = load_fixture(path, central.sessions, PinHasher(central.settings))
    assert report.patrons >= 24 and report.items >= 200
    assert central.profile.name == library
    with central.sessions() as s:
        formats = set(s.scalars(select(m.Item.format).distinct()))
        categories = set(s.scalars(select(m.Patron.category).distinct()))
    rules = central.profile.rules
    assert formats >= set(rules.formats)
    assert categories >= set(rules.categories)


def test_policy_given_as_a_relative_path_is_stored_absolute(open_store, tmp_path: Path) -> None:
    policies = tmp_path / "rules"
    policies.mkdir()
    (policies / "hefei.toml").write_text(
        (REPO / "config" / "policies" / "hefei.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    path = tmp_path / "fixture.toml"
    path.write_text(HEFEI.replace('policy = "hefei"', 'policy = "rules/hefei.toml"'), "utf-8")
    central = open_store()
    load_fixture(path, central.sessions, PinHasher(central.settings))
    stored = central.library.policy
    assert Path(stored).is_absolute() and Path(stored).exists()
    assert central.profile.name == "hefei"
