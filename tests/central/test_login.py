"""PINs: argon2id with an optional pepper, lockout, the Hefei default PIN, nothing logged."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from kiosk.central import CentralSettings
from kiosk.central import models as m
from kiosk.central.errors import CentralError
from kiosk.central.security import PinHasher

from .conftest import FAST
from .fixtures_data import HEFEI

WANG, LI, OLD, EXPIRED = "3401010000001", "3401010000002", "1234567890123", "3401010000005"


def test_login_returns_session_and_flags_default_pin(load) -> None:
    central = load(HEFEI)
    result = central.service.login(WANG, "19850312")
    assert result.session and result.pin_change_required is True
    assert result.patron.card_masked.endswith("0001") and WANG not in result.patron.card_masked
    assert central.service.login(LI, "246813").pin_change_required is False
    central.service.check_session(WANG, result.session)
    with pytest.raises(CentralError) as info:
        central.service.check_session(LI, result.session)
    assert info.value.code == "session_invalid"


def test_session_expires(load, clock) -> None:
    central = load(HEFEI)
    result = central.service.login(LI, "246813")
    clock.advance(timedelta(minutes=16))
    with pytest.raises(CentralError) as info:
        central.service.check_session(LI, result.session)
    assert info.value.code == "session_invalid"


def test_five_wrong_pins_lock_the_card_for_fifteen_minutes(load, clock) -> None:
    central = load(HEFEI)
    svc = central.service
    for left in (4, 3, 2, 1):
        with pytest.raises(CentralError) as info:
            svc.login(LI, "000000")
        assert info.value.code == "wrong_pin" and info.value.params["attempts_left"] == left
    with pytest.raises(CentralError) as info:
        svc.login(LI, "000000")
    assert info.value.code == "card_locked" and info.value.status == 423
    # Even the right PIN is refused while locked.
    with pytest.raises(CentralError) as info:
        svc.login(LI, "246813")
    assert info.value.code == "card_locked"
    clock.advance(timedelta(minutes=15, seconds=1))
    assert svc.login(LI, "246813").session


def test_card_reasons_and_missing_pin(load) -> None:
    central = load(HEFEI)
    with pytest.raises(CentralError) as info:
        central.service.login(OLD, "135790")
    assert info.value.code == "old_card_prefix" and info.value.status == 403
    with pytest.raises(CentralError) as info:
        central.service.login(LI, None)
    assert info.value.code == "pin_required"
    with pytest.raises(CentralError) as info:
        central.service.login("3401019999999", "123456")
    assert info.value.code == "unknown_card"


def test_pins_are_argon2id_and_pepper_changes_the_hash() -> None:
    plain = PinHasher(FAST)
    peppered = PinHasher(
        CentralSettings(**{**FAST.model_dump(), "pin_pepper": SecretStr("s3cret")})
    )
    h1, h2 = plain.hash("246813"), peppered.hash("246813")
    assert h1.startswith("$argon2id$") and h2.startswith("$argon2id$")
    assert plain.verify(h1, "246813") and peppered.verify(h2, "246813")
    # Without the pepper a stolen hash does not verify the PIN.
    assert not plain.verify(h2, "246813")
    assert not peppered.verify(h2, "246814")


def test_production_defaults_are_owasp_argon2id() -> None:
    settings = CentralSettings()
    assert settings.argon2_memory_kib >= 19 * 1024 and settings.argon2_time_cost >= 2
    assert settings.pin_max_attempts is None  # the profile decides unless overridden


def test_lockout_is_configurable(load, clock) -> None:
    central = load(HEFEI)
    from kiosk.central.services import CirculationService

    strict = CirculationService(
        central.sessions,
        central.profile,
        clock,
        CentralSettings(**{**FAST.model_dump(), "pin_max_attempts": 2, "pin_lock_minutes": 60}),
    )
    with pytest.raises(CentralError):
        strict.login(LI, "000000")
    with pytest.raises(CentralError) as info:
        strict.login(LI, "000000")
    assert info.value.code == "card_locked"
    clock.advance(timedelta(minutes=30))
    with pytest.raises(CentralError) as info:
        strict.login(LI, "246813")
    assert info.value.code == "card_locked"
    clock.advance(timedelta(minutes=31))
    assert strict.login(LI, "246813").session


def test_no_pin_or_token_in_logs(load, caplog) -> None:
    central = load(HEFEI)
    caplog.set_level(logging.DEBUG)
    for _ in range(5):
        with pytest.raises(CentralError):
            central.service.login(LI, "975311")
    session = central.service.login(WANG, "19850312").session
    text = caplog.text
    assert "locked" in text  # the lockout is logged …
    for secret in ("975311", "19850312", "246813", session, LI):
        assert secret not in text  # … without the PIN, the token or the full card number
    with central.sessions() as s:
        stored = s.scalar(select(m.PatronSession.token_hash))
    assert stored != session and len(stored) == 64
