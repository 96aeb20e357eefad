"""Online orders delivered to the home or a pickup point, and courier returns (Hefei)."""

from __future__ import annotations

from decimal import Decimal

from kiosk.domain.money import ZERO
from kiosk.policy.decision import Decision, Reason, decide, reason
from kiosk.policy.profile import DeliveryFee, Profile


def _by_items(table: tuple[DeliveryFee, ...], items: int) -> Decimal | None:
    """The fee of the first row whose item count is at least ``items`` (rows ascending)."""
    for row in sorted(table, key=lambda r: r.items):
        if items <= row.items:
            return row.fee
    return None


def check_delivery(
    profile: Profile, items: int, *, to: str = "home", district: str | None = None
) -> Decision:
    """An online order of ``items`` to ``home`` or a ``pickup_point``: allowed, and its fee."""
    delivery = profile.delivery
    reasons: list[Reason] = []
    fee = ZERO
    if not delivery.enabled:
        reasons.append(reason("delivery_not_offered"))
    if items < 1 or items > delivery.max_items_per_order:
        reasons.append(reason("delivery_too_many_items", limit=delivery.max_items_per_order))
    if to == "home":
        if district is not None and delivery.districts and district not in delivery.districts:
            reasons.append(reason("delivery_district", district=district))
        fee = _by_items(delivery.home, items) or ZERO
    elif to == "pickup_point":
        fee = delivery.pickup_point_fee
    else:
        raise ValueError(f"unknown delivery destination {to!r}")
    return decide("delivery", reasons, fee=fee, owed=fee, rule_version=profile.version)


def check_courier_return(profile: Profile, items_booked: int) -> Decision:
    """A courier return pickup: the fee by items booked, paid when booked, never refunded."""
    delivery = profile.delivery
    reasons: list[Reason] = []
    if not delivery.enabled or not delivery.courier_return:
        reasons.append(reason("delivery_not_offered"))
    if items_booked < 1 or items_booked > delivery.max_items_per_order:
        reasons.append(reason("delivery_too_many_items", limit=delivery.max_items_per_order))
    fee = _by_items(delivery.courier_return, items_booked) or ZERO
    return decide("courier_return", reasons, fee=fee, owed=fee, rule_version=profile.version)
