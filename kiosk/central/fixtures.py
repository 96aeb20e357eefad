"""Read and check a fixture file (../shared/fixture-format.md) before anything is stored.

Every problem is collected as one line ``file: table[index].key: message`` (index counted
from 0, as in the TOML array), so a librarian sees them all at once; nothing is loaded
unless the whole file is clean.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, tzinfo
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.domain.money import to_money
from kiosk.domain.vocabulary import (
    FEE_KINDS,
    HOLD_STATUSES,
    SHARED_AUDIENCES,
    SHARED_CATEGORIES,
    SHARED_FORMATS,
)
from kiosk.errors import ConfigError

CATEGORIES = SHARED_CATEGORIES
FORMATS = SHARED_FORMATS
AUDIENCES = SHARED_AUDIENCES
ITEM_STATUSES = ("available", "on_loan", "lost", "missing", "damaged", "in_transit")
LANGUAGES = ("en", "zh_CN", "de", "vi")


@dataclass
class Fixture:
    """A checked fixture: plain dicts with parsed values, ready to insert."""

    library: dict[str, Any]
    patrons: list[dict[str, Any]] = field(default_factory=list)
    items: list[dict[str, Any]] = field(default_factory=list)
    loans: list[dict[str, Any]] = field(default_factory=list)
    holds: list[dict[str, Any]] = field(default_factory=list)
    fees: list[dict[str, Any]] = field(default_factory=list)
    credits: list[dict[str, Any]] = field(default_factory=list)


class FixtureErrors(ConfigError):
    """All the problems of one fixture, one line each."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        super().__init__("\n".join(lines), message_key="error.fixture")


class _Checker:
    def __init__(self, file: str, zone: tzinfo) -> None:
        self.file = file
        self.zone = zone
        self.errors: list[str] = []

    def error(self, where: str, message: str) -> None:
        self.errors.append(f"{self.file}: {where}: {message}")

    def get(
        self,
        entry: dict[str, Any],
        where: str,
        key: str,
        parse: Callable[[Any], Any],
        *,
        required: bool = False,
        default: Any = None,
    ) -> Any:
        if key not in entry or entry[key] is None:
            if required:
                self.error(f"{where}.{key}", "missing")
            return default
        try:
            return parse(entry[key])
        except ValueError as exc:
            self.error(f"{where}.{key}", str(exc))
            return default

    def unknown_keys(self, entry: dict[str, Any], where: str, allowed: set[str]) -> None:
        for key in sorted(set(entry) - allowed):
            self.error(f"{where}.{key}", "unknown key")

    # value parsers -------------------------------------------------------------------
    @staticmethod
    def text(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"not a string: {value!r}")
        return value

    @staticmethod
    def nonempty(value: Any) -> str:
        text = _Checker.text(value).strip()
        if not text:
            raise ValueError("must not be empty")
        return text

    @staticmethod
    def boolean(value: Any) -> bool:
        if not isinstance(value, bool):
            raise ValueError(f"not true or false: {value!r}")
        return value

    @staticmethod
    def count(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"not a whole number >= 0: {value!r}")
        return value

    @staticmethod
    def money(value: Any) -> Decimal:
        amount = to_money(value)
        if amount < 0:
            raise ValueError(f"must not be negative: {value!r}")
        return amount

    @staticmethod
    def day(value: Any) -> date:
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise ValueError(f"not a date: {value!r}")

    def instant(self, value: Any) -> datetime:
        parsed: datetime | None = None
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date):
            parsed = datetime.combine(value, time(12, 0))
        elif isinstance(value, str):
            try:
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                parsed = None
        if parsed is None:
            raise ValueError(f"not a date and time: {value!r}")
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=self.zone)

    @staticmethod
    def one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
        def parse(value: Any) -> str:
            if value not in choices:
                raise ValueError(f"not one of {', '.join(choices)}: {value!r}")
            return str(value)

        return parse


def read_fixture(
    path: Path,
    *,
    extra_categories: tuple[str, ...] = (),
    extra_formats: tuple[str, ...] = (),
    existing_patrons: set[str] | None = None,
    existing_items: set[str] | None = None,
) -> Fixture:
    """Parse and check ``path``; raise :class:`FixtureErrors` listing every problem."""
    name = str(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FixtureErrors([f"{name}: file not found"]) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise FixtureErrors([f"{name}: cannot read: {exc}"]) from exc
    except tomllib.TOMLDecodeError as exc:
        raise FixtureErrors([f"{name}: not valid TOML: {exc}"]) from exc

    zone: tzinfo = ZoneInfo("UTC")
    library_raw = raw.get("library")
    c = _Checker(name, zone)
    if not isinstance(library_raw, dict):
        raise FixtureErrors([f"{name}: library: missing [library] table"])
    tz_name = c.get(library_raw, "library", "timezone", c.nonempty, required=True)
    if tz_name:
        try:
            zone = ZoneInfo(tz_name)
        except (ZoneInfoNotFoundError, ValueError):
            c.error("library.timezone", f"unknown time zone: {tz_name!r}")
    c.zone = zone
    c.unknown_keys(
        library_raw,
        "library",
        {"name", "policy", "timezone", "currency", "branches", "institution_id"},
    )
    lib_name = c.get(library_raw, "library", "name", c.nonempty, required=True) or ""
    branches = c.get(library_raw, "library", "branches", _branches, required=True) or []
    library = {
        "name": lib_name,
        "policy": c.get(library_raw, "library", "policy", c.nonempty, required=True),
        "timezone": tz_name,
        "currency": c.get(library_raw, "library", "currency", _currency, required=True),
        "branches": branches,
        "institution_id": c.get(library_raw, "library", "institution_id", c.nonempty)
        or _institution_id(lib_name),
    }
    known_tables = {"library", "patron", "item", "loan", "hold", "fee", "credit"}
    for key in sorted(set(raw) - known_tables):
        c.error(key, "unknown table")

    fixture = Fixture(library=library)
    categories = CATEGORIES + tuple(extra_categories)
    formats = FORMATS + tuple(extra_formats)
    branch_check = c.one_of(tuple(branches)) if branches else c.nonempty
    patrons_seen = set(existing_patrons or ())
    items_seen = set(existing_items or ())
    patrons_in_file: set[str] = set()
    items_in_file: set[str] = set()

    for index, entry in _entries(c, raw, "patron"):
        where = f"patron[{index}]"
        c.unknown_keys(
            entry,
            where,
            {
                "barcode",
                "pin",
                "name",
                "category",
                "birth_date",
                "expires",
                "email",
                "language",
                "history_opt_in",
                "home_branch",
                "blocked",
            },
        )
        barcode = c.get(entry, where, "barcode", _barcode, required=True)
        if barcode is not None:
            if barcode in patrons_in_file:
                c.error(f"{where}.barcode", f"duplicate patron barcode: {barcode!r}")
            elif barcode in patrons_seen:
                c.error(f"{where}.barcode", f"patron already in the store: {barcode!r}")
            patrons_in_file.add(barcode)
        pin = c.get(entry, where, "pin", _pin)
        fixture.patrons.append(
            {
                "barcode": barcode,
                "pin": pin,
                "name": c.get(entry, where, "name", c.nonempty, required=True),
                "category": c.get(entry, where, "category", c.one_of(categories), required=True),
                "birth_date": c.get(entry, where, "birth_date", c.day),
                "expires": c.get(entry, where, "expires", c.day),
                "email": c.get(entry, where, "email", _email),
                "language": c.get(entry, where, "language", c.one_of(LANGUAGES)),
                "history_opt_in": c.get(entry, where, "history_opt_in", c.boolean, default=False),
                "home_branch": c.get(entry, where, "home_branch", branch_check),
                "blocked": c.get(entry, where, "blocked", c.text, default=""),
            }
        )

    for index, entry in _entries(c, raw, "item"):
        where = f"item[{index}]"
        c.unknown_keys(
            entry,
            where,
            {
                "barcode",
                "title",
                "author",
                "format",
                "audience",
                "collection",
                "owning_branch",
                "price",
                "status",
            },
        )
        barcode = c.get(entry, where, "barcode", _barcode, required=True)
        if barcode is not None:
            if barcode in items_in_file:
                c.error(f"{where}.barcode", f"duplicate item barcode: {barcode!r}")
            elif barcode in items_seen:
                c.error(f"{where}.barcode", f"item already in the store: {barcode!r}")
            items_in_file.add(barcode)
        fixture.items.append(
            {
                "barcode": barcode,
                "title": c.get(entry, where, "title", c.nonempty, required=True),
                "author": c.get(entry, where, "author", c.text),
                "format": c.get(entry, where, "format", c.one_of(formats), required=True),
                "audience": c.get(entry, where, "audience", c.one_of(AUDIENCES), default="adult"),
                "collection": c.get(entry, where, "collection", c.text),
                "owning_branch": c.get(entry, where, "owning_branch", branch_check, required=True),
                "price": c.get(entry, where, "price", c.money),
                "status": c.get(
                    entry, where, "status", c.one_of(ITEM_STATUSES), default="available"
                ),
            }
        )

    known_patrons = patrons_in_file | patrons_seen
    known_items = items_in_file | items_seen
    loaned: set[str] = set()
    for index, entry in _entries(c, raw, "loan"):
        where = f"loan[{index}]"
        c.unknown_keys(entry, where, {"patron", "item", "checked_out", "due", "renewals"})
        patron = c.get(
            entry, where, "patron", _one_of_known(known_patrons, "patron"), required=True
        )
        item = c.get(entry, where, "item", _one_of_known(known_items, "item"), required=True)
        if item is not None:
            if item in loaned:
                c.error(f"{where}.item", f"item already on loan in this fixture: {item!r}")
            loaned.add(item)
        fixture.loans.append(
            {
                "patron": patron,
                "item": item,
                "checked_out": c.get(entry, where, "checked_out", c.instant, required=True),
                "due": c.get(entry, where, "due", c.day),
                "renewals": c.get(entry, where, "renewals", c.count, default=0),
            }
        )

    for index, entry in _entries(c, raw, "hold"):
        where = f"hold[{index}]"
        c.unknown_keys(
            entry,
            where,
            {"patron", "item", "title", "pickup_branch", "placed", "status", "ready_since"},
        )
        item = c.get(entry, where, "item", _one_of_known(known_items, "item"))
        title = c.get(entry, where, "title", c.nonempty)
        if (item is None) == (title is None) and "item" not in entry and "title" not in entry:
            c.error(where, "needs an item or a title")
        elif "item" in entry and "title" in entry:
            c.error(where, "give an item or a title, not both")
        status = c.get(entry, where, "status", c.one_of(HOLD_STATUSES), default="waiting")
        ready_since = c.get(entry, where, "ready_since", c.day)
        if status == "ready" and ready_since is None and "ready_since" not in entry:
            c.error(f"{where}.ready_since", "missing (a ready hold needs it)")
        if status == "ready" and item is None and "item" not in entry:
            c.error(f"{where}.item", "missing (a ready hold names the copy on the shelf)")
        fixture.holds.append(
            {
                "patron": c.get(
                    entry, where, "patron", _one_of_known(known_patrons, "patron"), required=True
                ),
                "item": item,
                "title": title,
                "pickup_branch": c.get(entry, where, "pickup_branch", branch_check, required=True),
                "placed": c.get(entry, where, "placed", c.instant, required=True),
                "status": status,
                "ready_since": ready_since,
            }
        )

    for index, entry in _entries(c, raw, "fee"):
        where = f"fee[{index}]"
        c.unknown_keys(entry, where, {"patron", "kind", "amount", "item", "created"})
        fixture.fees.append(
            {
                "patron": c.get(
                    entry, where, "patron", _one_of_known(known_patrons, "patron"), required=True
                ),
                "kind": c.get(entry, where, "kind", c.one_of(FEE_KINDS), required=True),
                "amount": c.get(entry, where, "amount", c.money, required=True),
                "item": c.get(entry, where, "item", _one_of_known(known_items, "item")),
                "created": c.get(entry, where, "created", c.day),
            }
        )

    for index, entry in _entries(c, raw, "credit"):
        where = f"credit[{index}]"
        c.unknown_keys(entry, where, {"patron", "amount"})
        fixture.credits.append(
            {
                "patron": c.get(
                    entry, where, "patron", _one_of_known(known_patrons, "patron"), required=True
                ),
                "amount": c.get(entry, where, "amount", c.money, required=True),
            }
        )

    if c.errors:
        raise FixtureErrors(c.errors)
    return fixture


def _one_of_known(known: set[str], what: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str):
            raise ValueError(f"not a barcode: {value!r}")
        if value not in known:
            raise ValueError(f"unknown {what}: {value!r}")
        return value

    return parse


def _entries(c: _Checker, raw: dict[str, Any], table: str) -> list[tuple[int, dict[str, Any]]]:
    value = raw.get(table, [])
    if not isinstance(value, list):
        c.error(table, f"must be an array of tables ([[{table}]])")
        return []
    result = []
    for index, entry in enumerate(value):
        if not isinstance(entry, dict):
            c.error(f"{table}[{index}]", "must be a table")
            continue
        result.append((index, entry))
    return result


def _barcode(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        raise ValueError(f"a barcode must be a quoted string: {value!r}")
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a barcode: {value!r}")
    text = value.strip()
    if len(text) > 64 or not text.isprintable() or " " in text:
        raise ValueError(f"not a barcode: {value!r}")
    return text


def _pin(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a PIN must be a quoted string")
    if not value.isdigit() or not 1 <= len(value) <= 32:
        raise ValueError("a PIN must be digits")
    return value


def _email(value: Any) -> str:
    if not isinstance(value, str) or "@" not in value or " " in value.strip():
        raise ValueError(f"not an e-mail address: {value!r}")
    return value.strip()


def _currency(value: Any) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValueError(f"not a currency code: {value!r}")
    return value


def _branches(value: Any) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(b, str) and b for b in value):
        raise ValueError(f"not a list of branch names: {value!r}")
    if len(set(value)) != len(value):
        raise ValueError("branch names repeat")
    return list(value)


def _institution_id(name: str) -> str:
    letters = "".join(word[0] for word in name.split() if word[:1].isalnum()).upper()
    return (letters or "LIB")[:16]
