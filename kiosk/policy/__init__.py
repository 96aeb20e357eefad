"""Circulation rules: pure functions from (profile, state, now) to a :class:`Decision`.

The public names are listed in docs/policy-api.md; central, the machine's offline mode, the
session and SIP2 all call them. No I/O except :func:`load_profile`.
"""

from kiosk.policy.cards import check_emedia, check_login, check_pin, default_pin, pin_locked_until
from kiosk.policy.circulation import check_checkin, check_checkout, check_renew
from kiosk.policy.decision import (
    OK_MESSAGE_KEYS,
    REASON_CODES,
    Decision,
    Destination,
    Reason,
)
from kiosk.policy.delivery import check_courier_return, check_delivery
from kiosk.policy.fines import (
    due_soon_notice_date,
    fine_for,
    is_billable,
    lost_item_charge,
    overdue_days,
)
from kiosk.policy.holds import (
    check_deposit_credit,
    check_pay_fee,
    check_pickup,
    check_place_hold,
    hold_expired,
    hold_fee,
    pickup_deadline,
)
from kiosk.policy.loader import available_profiles, find_profile, load_profile
from kiosk.policy.profile import PinMode, Profile, RenewalBasis, RuleSet

__all__ = [
    "OK_MESSAGE_KEYS",
    "REASON_CODES",
    "Decision",
    "Destination",
    "PinMode",
    "Profile",
    "Reason",
    "RenewalBasis",
    "RuleSet",
    "available_profiles",
    "check_checkin",
    "check_checkout",
    "check_courier_return",
    "check_delivery",
    "check_deposit_credit",
    "check_emedia",
    "check_login",
    "check_pay_fee",
    "check_pickup",
    "check_pin",
    "check_place_hold",
    "check_renew",
    "default_pin",
    "due_soon_notice_date",
    "find_profile",
    "fine_for",
    "hold_expired",
    "hold_fee",
    "is_billable",
    "load_profile",
    "lost_item_charge",
    "overdue_days",
    "pickup_deadline",
    "pin_locked_until",
]
