"""Load a checked fixture into the store: all or nothing, in one database transaction."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from kiosk.central import models as m
from kiosk.central.fixtures import Fixture, FixtureErrors, read_fixture
from kiosk.central.security import PinHasher
from kiosk.domain import Item, ItemStatus, Patron, PatronAccount
from kiosk.errors import ConfigError
from kiosk.policy import Profile, check_checkout, default_pin, load_profile


@dataclass(frozen=True)
class LoadReport:
    patrons: int
    items: int
    loans: int
    holds: int
    fees: int
    credits: int

    def line(self, path: Path) -> str:
        return (
            f"loaded {path}: {self.patrons} patrons, {self.items} items, {self.loans} loans, "
            f"{self.holds} holds, {self.fees} fees, {self.credits} credits"
        )


def profile_for(policy: str, *, relative_to: Path | None = None) -> Profile:
    """``policy`` is a profile name in config/policies/ or a path (relative to the fixture)."""
    if relative_to is not None and (policy.endswith(".toml") or "/" in policy):
        candidate = (relative_to.parent / policy).resolve()
        if candidate.exists():
            return load_profile(str(candidate))
    return load_profile(policy)


def load_fixture(
    path: Path, sessions: sessionmaker[Session], hasher: PinHasher, profile: Profile | None = None
) -> LoadReport:
    """Check ``path`` completely, then store it in one transaction (or nothing)."""
    with sessions() as s:
        library = s.scalar(select(m.Library))
        existing_patrons = set(s.scalars(select(m.Patron.barcode)))
        existing_items = set(s.scalars(select(m.Item.barcode)))
    raw_policy = _peek_policy(path)
    if profile is None and raw_policy:
        try:
            profile = profile_for(raw_policy, relative_to=path)
        except ConfigError as exc:
            raise FixtureErrors([f"{path}: library.policy: {exc}"]) from exc
    extra_categories = tuple(profile.rules.categories) if profile else ()
    extra_formats = tuple(profile.rules.formats) if profile else ()
    fixture = read_fixture(
        path,
        extra_categories=extra_categories,
        extra_formats=extra_formats,
        existing_patrons=existing_patrons,
        existing_items=existing_items,
    )
    if library is not None and library.name != fixture.library["name"]:
        raise FixtureErrors(
            [
                f"{path}: library.name: this store holds {library.name!r}, "
                f"not {fixture.library['name']!r}"
            ]
        )
    assert profile is not None
    policy = fixture.library["policy"]
    if policy.endswith(".toml") or "/" in policy:
        # A profile given as a path is stored absolute: `serve` may run from anywhere.
        candidate = (path.parent / policy).resolve()
        if candidate.exists():
            fixture.library["policy"] = str(candidate)
    try:
        with sessions.begin() as s:
            return _store(s, fixture, hasher, profile, new_library=library is None)
    except IntegrityError as exc:  # a concurrent load won the race
        raise FixtureErrors([f"{path}: conflicts with data already in the store"]) from exc


def _peek_policy(path: Path) -> str | None:
    import tomllib

    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None  # read_fixture reports it
    library = raw.get("library")
    policy = library.get("policy") if isinstance(library, dict) else None
    return policy if isinstance(policy, str) and policy.strip() else None


def _store(
    s: Session, fixture: Fixture, hasher: PinHasher, profile: Profile, *, new_library: bool
) -> LoadReport:
    if new_library:
        s.add(m.Library(**fixture.library))
    patrons: dict[str, m.Patron] = {}
    for entry in fixture.patrons:
        domain = Patron(
            barcode=entry["barcode"],
            name=entry["name"],
            category=entry["category"],
            birth_date=entry["birth_date"],
        )
        default = default_pin(profile, domain)
        pin = entry.pop("pin") or default
        row = m.Patron(
            **entry,
            pin_hash=hasher.hash(pin) if pin else None,
            pin_is_default=bool(pin and default and pin == default),
            failed_pins=0,
        )
        s.add(row)
        patrons[row.barcode] = row
    items: dict[str, m.Item] = {}
    for entry in fixture.items:
        row = m.Item(**entry, current_branch=entry["owning_branch"])
        s.add(row)
        items[row.barcode] = row
    s.flush()
    known_patrons = {**patrons, **_rows(s, m.Patron, _refs(fixture, "patron") - set(patrons))}
    known_items = {**items, **_rows(s, m.Item, _refs(fixture, "item") - set(items))}
    for entry in fixture.loans:
        patron, item = known_patrons[entry["patron"]], known_items[entry["item"]]
        due = entry["due"] or _default_due(profile, patron, item, entry["checked_out"])
        s.add(
            m.Loan(
                patron_id=patron.id,
                item_id=item.id,
                checked_out=entry["checked_out"],
                due=due,
                renewals=entry["renewals"],
            )
        )
        item.status = "on_loan"
    for entry in fixture.holds:
        patron = known_patrons[entry["patron"]]
        item = known_items.get(entry["item"]) if entry["item"] else None
        ready = entry["status"] == "ready"
        s.add(
            m.Hold(
                patron_id=patron.id,
                item_id=item.id if item else None,
                title=entry["title"],
                pickup_branch=entry["pickup_branch"],
                placed=entry["placed"],
                status=entry["status"],
                ready_since=entry["ready_since"],
                ready_item_id=item.id if item and ready else None,
            )
        )
        if ready and item is not None:
            item.status = "on_hold_shelf"
            item.current_branch = entry["pickup_branch"]
    for entry in fixture.fees:
        item = known_items.get(entry["item"]) if entry["item"] else None
        s.add(
            m.Fee(
                patron_id=known_patrons[entry["patron"]].id,
                kind=entry["kind"],
                amount=entry["amount"],
                paid=0,
                item_id=item.id if item else None,
                created=entry["created"],
            )
        )
    for entry in fixture.credits:
        s.add(
            m.CreditEntry(
                patron_id=known_patrons[entry["patron"]].id,
                amount=entry["amount"],
                reason="deposit",
                at=None,
            )
        )
    return LoadReport(
        patrons=len(fixture.patrons),
        items=len(fixture.items),
        loans=len(fixture.loans),
        holds=len(fixture.holds),
        fees=len(fixture.fees),
        credits=len(fixture.credits),
    )


def _refs(fixture: Fixture, key: str) -> set[str]:
    tables = (fixture.loans, fixture.holds, fixture.fees, fixture.credits)
    return {entry[key] for table in tables for entry in table if entry.get(key)}


def _rows(s: Session, model: type[m.Patron] | type[m.Item], barcodes: set[str]) -> dict:
    if not barcodes:
        return {}
    return {row.barcode: row for row in s.scalars(select(model).where(model.barcode.in_(barcodes)))}


def _default_due(profile: Profile, patron: m.Patron, item: m.Item, checked_out):
    decision = check_checkout(
        profile,
        PatronAccount(
            patron=Patron(barcode=patron.barcode, name=patron.name, category=patron.category)
        ),
        Item(
            barcode=item.barcode, title=item.title, format=item.format, status=ItemStatus.AVAILABLE
        ),
        checked_out,
    )
    if decision.due is None:
        raise FixtureErrors([f"loan of {item.barcode}: no due date given and the profile has none"])
    return decision.due
