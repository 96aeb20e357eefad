"""Names that fixtures and profiles share (../shared/fixture-format.md).

A fixture written for one library loads wherever that library's profile is used, so every
profile must accept these; a profile may define more.
"""

from __future__ import annotations

from kiosk.domain.models import FeeKind, HoldStatus

SHARED_CATEGORIES = (
    "adult",
    "teen",
    "child",
    "educator",
    "student",
    "school",
    "nursery",
    "day",
    "staff",
)
SHARED_FORMATS = (
    "book",
    "video",
    "dvd",
    "cd",
    "magazine",
    "hotspot",
    "lucky_day",
    "linkplus",
    "emedia",
    "boardgame",
)
SHARED_AUDIENCES = ("adult", "teen", "child")
FEE_KINDS = tuple(kind.value for kind in FeeKind)
HOLD_STATUSES = tuple(status.value for status in HoldStatus)
