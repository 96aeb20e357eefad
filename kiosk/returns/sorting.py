"""Which bin an item goes to: the check-in's destination, mapped through the bin rules."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from kiosk.config.returns import BinConfig, BinRole, ReturnsConfig
from kiosk.returns.ports import CheckinOutcome

_ROLE_OF_DESTINATION = {
    "hold_shelf": BinRole.HOLD_SHELF,
    "transit": BinRole.TRANSIT,
    "reshelve": BinRole.RESHELVE,
    "staff": BinRole.STAFF,
}


@dataclass(frozen=True, slots=True)
class BinChoice:
    bin: int | None
    """None: no bin can take the item now (its bin and the overflow are full)."""
    role: BinRole
    """The role the item was sorted to (before any overflow)."""
    overflow: bool = False
    reason: str = ""
    """Why the item went where it did (``unknown_item``, ``alert:damaged`` …), for the log."""


def sort_role(outcome: CheckinOutcome) -> tuple[BinRole, str]:
    """The bin role for a check-in outcome, with the reason for the log."""
    if not outcome.known:
        return BinRole.STAFF, "unknown_item"
    if outcome.alert:
        return BinRole.STAFF, f"alert:{outcome.alert}"
    role = _ROLE_OF_DESTINATION.get(outcome.destination)
    if role is None:
        return BinRole.STAFF, f"unknown_destination:{outcome.destination}"
    return role, outcome.destination


def _reshelve_bin(config: ReturnsConfig, outcome: CheckinOutcome) -> BinConfig | None:
    candidates = [b for b in config.bins if b.role is BinRole.RESHELVE]
    fmt, coll = outcome.format, outcome.collection
    # most specific first: a bin that names the collection, then the format, then catch-all
    for b in candidates:
        if b.collections and coll in b.collections and (not b.formats or fmt in b.formats):
            return b
    for b in candidates:
        if b.formats and fmt in b.formats and not b.collections:
            return b
    for b in candidates:
        if not b.formats and not b.collections:
            return b
    return None


def choose_bin(
    config: ReturnsConfig, outcome: CheckinOutcome, full: Collection[int] = ()
) -> BinChoice:
    """The bin for ``outcome``; a full bin sends the item to the overflow bin if there is one.

    A role without a bin of its own (no transit bin configured, no reshelve bin for a DVD)
    goes to the staff bin.
    """
    role, reason = sort_role(outcome)
    target: BinConfig | None
    target = _reshelve_bin(config, outcome) if role is BinRole.RESHELVE else config.first(role)
    if target is None:
        role, reason = BinRole.STAFF, f"no_bin_for:{role.value}"
        target = config.first(BinRole.STAFF)
    assert target is not None
    if target.number not in full:
        return BinChoice(target.number, role, reason=reason)
    overflow = next(
        (b for b in config.bins if b.role is BinRole.OVERFLOW and b.number not in full), None
    )
    if overflow is not None:
        return BinChoice(overflow.number, role, overflow=True, reason=f"{reason}:bin_full")
    return BinChoice(None, role, reason=f"{reason}:bin_full")


def unreadable_choice(config: ReturnsConfig, full: Collection[int] = ()) -> BinChoice:
    """An item accepted without a readable barcode goes to staff (or the overflow)."""
    staff = config.staff_bin
    if staff not in full:
        return BinChoice(staff, BinRole.STAFF, reason="unreadable")
    overflow = next(
        (b for b in config.bins if b.role is BinRole.OVERFLOW and b.number not in full), None
    )
    if overflow is not None:
        return BinChoice(overflow.number, BinRole.STAFF, overflow=True, reason="unreadable")
    return BinChoice(None, BinRole.STAFF, reason="unreadable:bin_full")


def intake_possible(config: ReturnsConfig, full: Collection[int]) -> bool:
    """Whether a new item can be taken: every role's bin has room, or an overflow has."""
    if any(b.role is BinRole.OVERFLOW and b.number not in full for b in config.bins):
        return True
    return not any(b.number in full for b in config.bins)
