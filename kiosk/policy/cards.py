"""Cards and PINs: who may log in, what blocks a card, whether a PIN is good enough."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from kiosk.domain.models import Patron
from kiosk.policy.decision import Decision, Reason, decide, reason
from kiosk.policy.profile import PinMode, Profile, RuleSet
from kiosk.policy.terms import library_today


def card_reasons(
    profile: Profile, rules: RuleSet, patron: Patron, today: date, action: str
) -> list[Reason]:
    """Refusals that come from the card itself for ``action`` (login, checkout, renew, hold)."""
    reasons: list[Reason] = []
    prefixes = profile.cards.prefixes
    if prefixes and not any(patron.barcode.startswith(p.prefix) for p in prefixes):
        reasons.append(reason("old_card_prefix", accepted=[p.prefix for p in prefixes]))
    if patron.category not in rules.categories:
        reasons.append(reason("card_category_unknown", category=patron.category))
    if (
        patron.expires is not None
        and patron.expires < today
        and action in profile.cards.expired_blocks
    ):
        reasons.append(reason("card_expired", expires=patron.expires))
    if patron.blocked and action != "login":
        reasons.append(reason("staff_block", note=patron.blocked))
    return reasons


def pin_change_required(profile: Profile, patron: Patron) -> bool:
    """A patron still on a weak default PIN (Hefei: the birth date) is asked to change it."""
    pin = profile.pin
    return pin.default != "none" and pin.default_is_weak and patron.pin_is_default


def check_login(
    profile: Profile,
    patron: Patron,
    now: datetime,
    *,
    offline: bool = False,
    refused_without_pin: bool = False,
) -> Decision:
    """May this card log in? Blocks it will meet later come back as ``notices``.

    ``pin_required``: always in ``mandatory`` mode, never in ``none``; in ``optional`` mode
    the machine first tries without a PIN and asks for one when the library system refused
    that (``refused_without_pin=True``).
    """
    today = library_today(profile, now)
    rules = profile.rule_set(today)
    reasons = card_reasons(profile, rules, patron, today, "login")
    notices: list[Reason] = []
    if patron.blocked:
        notices.append(reason("staff_block", note=patron.blocked))
    if (
        patron.expires is not None
        and patron.expires < today
        and "login" not in profile.cards.expired_blocks
    ):
        notices.append(reason("card_expired", expires=patron.expires))
    return decide(
        "login",
        reasons,
        pin_required=_pin_required(profile.pin.mode, refused_without_pin),
        pin_change_required=pin_change_required(profile, patron),
        notices=tuple(notices),
        rule_version=profile.version,
    )


def check_emedia(profile: Profile, patron: Patron, now: datetime) -> Decision:
    """May this card use e-resources? (San José: not with an expired card.)"""
    today = library_today(profile, now)
    reasons = card_reasons(profile, profile.rule_set(today), patron, today, "emedia")
    return decide("emedia", reasons, rule_version=profile.version)


def _pin_required(mode: PinMode, refused_without_pin: bool) -> bool:
    match mode:
        case PinMode.MANDATORY:
            return True
        case PinMode.OPTIONAL:
            return refused_without_pin
        case _:
            return False


def default_pin(profile: Profile, patron: Patron) -> str | None:
    """The PIN a new card gets, when the library has a rule for it."""
    if profile.pin.default == "birth_date" and patron.birth_date is not None:
        return patron.birth_date.strftime("%Y%m%d")
    return None


def _trivial(pin: str) -> bool:
    if len(set(pin)) == 1:
        return True
    if not pin.isdigit():
        return False
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    return steps in ({1}, {9})


def check_pin(profile: Profile, pin: str, patron: Patron | None = None) -> Decision:
    """Is ``pin`` acceptable as a new PIN? Every problem is listed."""
    rules = profile.pin
    reasons: list[Reason] = []
    if not pin.isdigit():
        reasons.append(reason("pin_digits"))
    if not rules.min_length <= len(pin) <= rules.max_length:
        reasons.append(reason("pin_length", min=rules.min_length, max=rules.max_length))
    if pin in rules.weak or (rules.refuse_trivial and _trivial(pin)):
        reasons.append(reason("pin_weak"))
    if patron is not None and rules.default_is_weak and pin == default_pin(profile, patron):
        reasons.append(reason("pin_default"))
    return decide("pin", reasons, rule_version=profile.version)


def pin_locked_until(
    profile: Profile, failed_attempts: int, last_failure: datetime | None, now: datetime
) -> datetime | None:
    """When a card locked by wrong PINs opens again; None when it is not locked now."""
    if last_failure is None or failed_attempts < profile.pin.max_attempts:
        return None
    until = last_failure + timedelta(minutes=profile.pin.lockout_minutes)
    return until if now < until else None
