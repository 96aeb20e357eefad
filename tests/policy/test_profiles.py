"""Profiles: found by name or path, validated, versioned; broken ones fail with one clear line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.errors import ConfigError
from kiosk.policy import available_profiles, find_profile, load_profile
from kiosk.policy.profile import SHARED_AUDIENCES, SHARED_CATEGORIES, SHARED_FORMATS

BROKEN = Path(__file__).parent / "broken"
LIBRARIES = ["hefei", "hamburg", "sanjose"]

# file -> (the key named in the message, a fragment saying what is wrong)
EXPECTED = {
    "unknown_key": ("loan_limit", "unknown key"),
    "bad_timezone": ("timezone", "unknown time zone 'Asia/Hefei'"),
    "negative_fine": ("rules.fines.per_day", "must not be negative"),
    "missing_shared_format": ("rules.formats", "hotspot"),
    "bad_money": ("rules.fines.cap_per_item", "not an amount of money"),
    "bad_pin_mode": ("pin.mode", "'sometimes'"),
    "bad_currency": ("currency", "'yuan'"),
    "changes_out_of_order": ("changes", "date order"),
    "bad_toml": ("", "not valid TOML"),
    "zero_loan_days": ("rules.formats.book.loan_days", "greater than or equal to 1"),
    "version_written": ("version", "set by the loader"),
    "bad_fee_kind": ("rules.loans.blocking_fee_kinds.1", "'parking'"),
    "missing_name": ("name", "required key is missing"),
    "bad_check_digit_rule": ("barcodes.rules.0.check", "'mod97'"),
    "bad_change_value": ("changes.0.rules.fines.per_day", "not an amount of money"),
    "change_unknown_key": ("changes.0.rules.fines.per_dya", "unknown key"),
    "pin_lengths_swapped": ("pin", "min_length is larger than max_length"),
    "string_for_number": ("rules.loans.max_items", "valid integer"),
}


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kiosk.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).parents[2],
    )


@pytest.mark.parametrize("name", LIBRARIES)
def test_each_library_profile_loads_by_name_and_by_path(name: str) -> None:
    by_name = load_profile(name)
    by_path = load_profile(find_profile(name))
    assert by_name.name == name
    assert by_name.version == by_path.version
    assert len(by_name.version) == 16


@pytest.mark.parametrize("name", LIBRARIES)
def test_every_profile_accepts_the_shared_names(name: str) -> None:
    profile = load_profile(name)
    for period_start, _, rules in profile.rule_set_periods():
        assert set(SHARED_CATEGORIES) <= set(rules.categories), period_start
        assert set(SHARED_FORMATS) <= set(rules.formats), period_start
        assert set(SHARED_AUDIENCES) <= set(rules.audiences), period_start


def test_version_changes_with_the_file(tmp_path: Path) -> None:
    source = find_profile("hefei").read_text(encoding="utf-8")
    copy = tmp_path / "hefei-copy.toml"
    copy.write_text(source, encoding="utf-8")
    same = load_profile(copy).version
    copy.write_text(source.replace('per_day = "0.10"', 'per_day = "0.20"'), encoding="utf-8")
    assert load_profile(copy).version != same
    assert same == load_profile("hefei").version


def test_unknown_name_lists_the_known_profiles() -> None:
    with pytest.raises(ConfigError) as caught:
        load_profile("atlantis")
    assert "atlantis" in str(caught.value)
    assert "hefei" in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such profile file"):
        load_profile(tmp_path / "gone.toml")


def test_available_profiles_lists_the_three_libraries() -> None:
    assert set(LIBRARIES) <= set(available_profiles())


def test_profile_dir_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        find_profile("sanjose")
        .read_text(encoding="utf-8")
        .replace('name = "sanjose"', 'name = "branchtest"')
    )
    (tmp_path / "branchtest.toml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("KIOSK_POLICY_DIR", str(tmp_path))
    assert load_profile("branchtest").name == "branchtest"


def test_at_least_ten_broken_profiles_are_kept() -> None:
    files = sorted(p.stem for p in BROKEN.glob("*.toml"))
    assert len(files) >= 10
    assert set(files) == set(EXPECTED)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_broken_profile_fails_to_load_naming_file_and_key(stem: str) -> None:
    key, fragment = EXPECTED[stem]
    path = BROKEN / f"{stem}.toml"
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert f": {key}: " in message if key else True
    assert fragment in message
    assert "\n" not in message
    assert caught.value.exit_code == 2


@pytest.mark.parametrize("name", LIBRARIES)
def test_cli_check_passes_on_the_library_profiles(name: str) -> None:
    result = kiosk("policy", "check", name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"{name}: ok")


@pytest.mark.parametrize("stem", ["unknown_key", "bad_toml", "bad_change_value", "missing_name"])
def test_cli_check_fails_with_one_clear_line(stem: str) -> None:
    path = BROKEN / f"{stem}.toml"
    result = kiosk("policy", "check", str(path))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert str(path) in lines[0]
    assert EXPECTED[stem][1] in lines[0]
    assert "Traceback" not in result.stderr


def test_cli_explain_reads_like_the_rules_page() -> None:
    result = kiosk("policy", "explain", "sanjose")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "San José Public Library" in text
    assert "Late fine 0.25 USD per item per calendar day, at most 5.00 USD per item." in text
    assert "Rules from 2020-03-17 (closure)" in text
    assert "educator: never pays late fines; loans of 6 weeks; 1 renewal(s)" in text


def test_cli_explain_hamburg_and_hefei() -> None:
    hamburg = kiosk("policy", "explain", "hamburg").stdout
    assert "Hold credit: deposits of exactly 10.00 EUR" in hamburg
    assert "Holds on emedia cost 0.00 EUR." in hamburg
    hefei = kiosk("policy", "explain", "hefei").stdout
    assert "Accepted card numbers start 340101… (alliance), 5513401… (credit)" in hefei
    assert "Home delivery, up to 3 items: 6.00 CNY." in hefei


def test_cli_explain_of_a_broken_profile_is_one_line() -> None:
    result = kiosk("policy", "explain", str(BROKEN / "bad_timezone.toml"))
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name", LIBRARIES)
def test_profiles_are_shipped_as_package_data(name: str) -> None:
    from kiosk.policy import loader

    shipped = loader._PACKAGE_DIR / f"{name}.toml"
    assert shipped.read_bytes() == find_profile(name).read_bytes()


@pytest.mark.parametrize("name", LIBRARIES)
def test_profile_survives_json_for_the_offline_machines(name: str) -> None:
    """Central serves the profile as JSON (GET /v1/policy); a machine rebuilds it exactly."""
    import json
    from datetime import date

    from kiosk.policy import Profile

    profile = load_profile(name)
    rebuilt = Profile.model_validate(json.loads(json.dumps(profile.model_dump(mode="json"))))
    assert rebuilt == profile
    assert rebuilt.version == profile.version
    for day in (date(2020, 1, 1), date(2020, 5, 1), date(2026, 11, 23)):
        assert rebuilt.rule_set(day) == profile.rule_set(day)


def test_cli_explain_on_a_day_shows_the_rules_in_force() -> None:
    closure = kiosk("policy", "explain", "sanjose", "--on", "2020-05-01").stdout
    assert "Rules in force on 2020-05-01 (closure)" in closure
    assert "lucky_day: 3 weeks, 3 renewal(s)" in closure
    assert "No daily late fine." in closure
    assert closure.count("Rules") == 1
    today = kiosk("policy", "explain", "sanjose", "--on", "2026-11-23").stdout
    assert "(reopening)" in today
    assert "lucky_day: 1 week, 0 renewal(s)" in today
    bad = kiosk("policy", "explain", "sanjose", "--on", "2020-13-01")
    assert bad.returncode == 2
    assert bad.stderr.strip() == "kiosk: --on: not a date (YYYY-MM-DD): '2020-13-01'"


def test_explain_says_any_unpaid_fee_blocks_in_hefei() -> None:
    from kiosk.policy.explain import explain

    text = explain(load_profile("hefei"))
    assert "Any unpaid fee blocks borrowing." in text
    assert "A patron with an overdue item cannot borrow." in text
    assert "A renewal counts from the day of renewal." in text


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_broken_profile_message_points_at_the_line(stem: str) -> None:
    key, _ = EXPECTED[stem]
    path = BROKEN / f"{stem}.toml"
    with pytest.raises(ConfigError) as caught:
        load_profile(path)
    where = str(caught.value).split(": ", 1)[0]
    if where == str(path):  # no line: a missing key, or a file that is not TOML at all
        assert stem in ("missing_name", "bad_toml")
        return
    line = int(where.rsplit(":", 1)[1])
    text = path.read_text(encoding="utf-8").splitlines()[line - 1]
    last_name = next(part for part in reversed(key.split(".")) if not part.isdigit())
    assert last_name in text, (line, text)


def test_key_line_follows_tables_and_arrays_of_tables() -> None:
    from kiosk.policy.loader import key_line

    text = find_profile("sanjose").read_text(encoding="utf-8")
    lines = text.splitlines()
    second = key_line(text, "changes.1.rules.fines.per_day")
    first = key_line(text, "changes.0.rules.fines.per_day")
    base = key_line(text, "rules.fines.per_day")
    assert len({first, second, base}) == 3
    assert first is not None and second is not None and base is not None
    assert lines[first - 1].startswith('per_day = "0.00"')
    assert lines[second - 1].startswith('per_day = "0.25"')
    assert base < first < second
    hotspot = key_line(text, "rules.formats.hotspot.loan_days")
    assert hotspot is not None and lines[hotspot - 1].startswith("hotspot = {")
    assert key_line(text, "no.such.key") is None
