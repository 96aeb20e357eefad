"""The return machine's section of the machine configuration (``[returns]``).

Bins are data: each physical bin has a number (as the I/O board counts them, from 1) and a
role. The controller (:mod:`kiosk.returns`) sorts by role; reshelve bins may be narrowed to
formats or collections, so a library can split books from DVDs without code.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator


class BinRole(StrEnum):
    HOLD_SHELF = "hold_shelf"
    """Items that fill a hold: a slip with the patron's alias is printed for them."""
    TRANSIT = "transit"
    """Items owned by, or to be picked up at, another branch."""
    STAFF = "staff"
    """Exceptions: unknown, damaged, alerts from central, not returnable offline, unreadable."""
    RESHELVE = "reshelve"
    """Back to the shelves; narrowed by ``formats`` / ``collections`` when given."""
    OVERFLOW = "overflow"
    """Takes any item whose own bin is full."""


class BinConfig(BaseModel):
    """One physical bin."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    number: int = Field(ge=1, le=32)
    """The bin's number on the I/O board (the diverter position)."""
    role: BinRole
    label: str = ""
    """What staff call it ("Hold shelf", "DVDs"); shown on the technician screen."""
    formats: tuple[str, ...] = ()
    """Reshelve bins only: item formats that go here (empty: any format)."""
    collections: tuple[str, ...] = ()
    """Reshelve bins only: collections that go here (empty: any collection)."""


def _default_bins() -> tuple[BinConfig, ...]:
    return (
        BinConfig(number=1, role=BinRole.RESHELVE, label="Reshelve"),
        BinConfig(number=2, role=BinRole.HOLD_SHELF, label="Hold shelf"),
        BinConfig(number=3, role=BinRole.STAFF, label="Staff"),
    )


class ReturnsConfig(BaseModel):
    """How the 24-hour return machine sorts and recovers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    bins: tuple[BinConfig, ...] = Field(default_factory=_default_bins)
    """The sort bins. A staff bin is required; hold shelf, transit and overflow are optional
    (without them such items go to the staff bin)."""
    read_timeout: float = Field(default=2.0, gt=0)
    """Seconds to wait for a barcode read once an item is presented."""
    read_attempts: int = Field(default=3, ge=1, le=10)
    """Reads tried before the item counts as unreadable."""
    unreadable_to_staff: bool = False
    """Accept an unreadable item into the staff bin instead of asking the patron to retry."""
    jam_timeout: float = Field(default=3.0, gt=0)
    """A photo-eye blocked this long while the belt runs is a jam."""
    jam_retries: int = Field(default=3, ge=0, le=10)
    """Reverse-and-retry attempts before the machine stops and alerts a technician."""
    reverse_seconds: float = Field(default=0.5, gt=0)
    """How long the belt runs backwards to free a jam."""
    transport_timeout: float = Field(default=8.0, gt=0)
    """Seconds from the belt starting to the item passing the diverter eye before the
    controller treats the item as stuck."""
    door_timeout: float = Field(default=4.0, gt=0)
    """Seconds for the door to report open or closed."""
    door_retries: int = Field(default=3, ge=0, le=10)
    """Close attempts after an obstruction before the machine goes out of service."""
    take_back_timeout: float = Field(default=30.0, gt=0)
    """Seconds to wait for a refused item to be taken back before alerting staff."""
    print_hold_slips: bool = True
    """Print a slip (patron alias, pickup branch) for items going to the hold shelf."""
    receipt_seconds: float = Field(default=30.0, gt=0, le=3600)
    """How long the receipt question waits for a touch before "Are you still there?" counts
    down (``[ui] warning_seconds``) and the visit ends without a receipt: what one patron
    returned is not left on screen for the next."""
    journal: str = "returns.db"
    """The cycle journal (SQLite): the item in the machine, bin counters, fault log.
    A relative path is taken under the machine's data directory."""

    @model_validator(mode="after")
    def _check_bins(self) -> ReturnsConfig:
        numbers = [b.number for b in self.bins]
        duplicates = sorted({n for n in numbers if numbers.count(n) > 1})
        if duplicates:
            raise ValueError(f"bin numbers must be unique; repeated: {duplicates}")
        if not any(b.role is BinRole.STAFF for b in self.bins):
            raise ValueError("a bin with role 'staff' is required (exceptions must go somewhere)")
        for b in self.bins:
            if (b.formats or b.collections) and b.role is not BinRole.RESHELVE:
                raise ValueError(f"bin {b.number}: formats/collections apply to reshelve bins")
        return self

    def bin(self, number: int) -> BinConfig | None:
        return next((b for b in self.bins if b.number == number), None)

    def first(self, role: BinRole) -> BinConfig | None:
        return next((b for b in self.bins if b.role is role), None)

    @property
    def staff_bin(self) -> int:
        staff = self.first(BinRole.STAFF)
        assert staff is not None  # guaranteed by the validator
        return staff.number

    @property
    def bin_count(self) -> int:
        """Diverter positions the board needs (the highest bin number)."""
        return max(b.number for b in self.bins)
