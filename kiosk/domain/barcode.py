"""Barcode handling as a configurable chain: normalise, then validate; first matching rule wins.

In the spirit of the filter/validator chains of commercial self-checks. Each
:class:`BarcodeRule` first normalises what the scanner sent (whitespace, an AIM symbology
identifier, Codabar start/stop characters A–D, a legacy prefix, padding) and then validates
it (length, prefix, allowed characters, a check digit). A rule says whether it matches a
patron card or an item, so a card scanned where an item is expected is recognised and said so.

Check digits of 14-digit Codabar library barcodes (first digit 2 for patrons, 3 for items,
4 digits institution, 8 serial, 1 check): published examples disagree on which positions are
doubled, so the variant is chosen per rule:

- ``codabar_mod10``: double the digits in odd positions from the left (1st, 3rd …), subtract
  9 from products of 10 or more, add the even-position digits; check = (10 − sum mod 10) mod
  10. For 14 digits this equals Luhn.
- ``codabar_mod10_even``: the same, doubling the even positions instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from stdnum import ean, isbn, luhn
from stdnum.exceptions import ValidationError as StdnumError

_CODABAR_GUARDS = "ABCD"
_AIM_ID = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_CHARSETS = {
    "digits": re.compile(r"^[0-9]+$"),
    "alnum": re.compile(r"^[0-9A-Za-z]+$"),
    "printable": re.compile(r"^[\x21-\x7e]+$"),
}


class BarcodeKind(StrEnum):
    PATRON = "patron"
    ITEM = "item"


class CheckDigit(StrEnum):
    NONE = "none"
    CODABAR_MOD10 = "codabar_mod10"
    CODABAR_MOD10_EVEN = "codabar_mod10_even"
    LUHN = "luhn"
    EAN13 = "ean13"
    ISBN = "isbn"


class BarcodeRule(BaseModel):
    """One link of the chain: how to clean a scan, and what a valid one looks like."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: BarcodeKind
    # normalise
    strip_aim: bool = True
    """Drop a leading AIM symbology identifier (``]F0`` for Codabar)."""
    strip_codabar: bool = False
    """Drop Codabar start/stop characters A–D when both ends carry one."""
    uppercase: bool = False
    add_prefix: str = ""
    """A legacy prefix to add when the scan lacks it (only to scans ``add_prefix_below`` long)."""
    add_prefix_below: int | None = Field(default=None, ge=1, le=64)
    pad_to: int | None = Field(default=None, ge=1, le=64)
    """Left-pad to this length with ``pad_char``."""
    pad_char: str = Field(default="0", min_length=1, max_length=1)
    # validate
    prefixes: tuple[str, ...] = ()
    """The value must start with one of these (none: any)."""
    length: int | None = Field(default=None, ge=1, le=64)
    min_length: int = Field(default=1, ge=1, le=64)
    max_length: int = Field(default=64, ge=1, le=128)
    charset: str = "alnum"
    """``digits``, ``alnum``, ``printable``, or a regular expression the whole value matches."""
    check: CheckDigit = CheckDigit.NONE
    on_bad_check: Literal["reject", "next"] = "reject"
    """A scan of this rule's shape with a wrong check digit is refused (``reject``, the
    default: a misread must not slip through a later, looser rule) or tried on (``next``)."""

    @model_validator(mode="after")
    def _consistent(self) -> BarcodeRule:
        if self.min_length > self.max_length:
            raise ValueError("min_length is larger than max_length")
        if self.charset not in _CHARSETS:
            try:
                re.compile(self.charset)
            except re.error as exc:
                raise ValueError(f"charset is not a regular expression: {exc}") from exc
        return self

    def normalise(self, raw: str) -> str:
        value = "".join(raw.split())
        if self.strip_aim and _AIM_ID.match(value):
            value = value[3:]
        if (
            self.strip_codabar
            and len(value) >= 2
            and value[0].upper() in _CODABAR_GUARDS
            and value[-1].upper() in _CODABAR_GUARDS
        ):
            value = value[1:-1]
        if self.uppercase:
            value = value.upper()
        if (
            self.add_prefix
            and not value.startswith(self.add_prefix)
            and (self.add_prefix_below is None or len(value) < self.add_prefix_below)
        ):
            value = self.add_prefix + value
        if self.pad_to is not None and len(value) < self.pad_to:
            value = value.rjust(self.pad_to, self.pad_char)
        return value

    def problem(self, value: str) -> str | None:
        """Why ``value`` does not fit this rule (a reason code), or None when it does."""
        if not value:
            return "barcode_empty"
        if self.length is not None and len(value) != self.length:
            return "barcode_length"
        if not self.min_length <= len(value) <= self.max_length:
            return "barcode_length"
        if self.prefixes and not value.startswith(self.prefixes):
            return "barcode_prefix"
        pattern = _CHARSETS.get(self.charset) or re.compile(self.charset)
        if not pattern.fullmatch(value):
            return "barcode_characters"
        if not check_digit_ok(value, self.check):
            return "barcode_check_digit"
        return None


def codabar_check_digit(body: str, *, double_even: bool = False) -> int:
    """The mod-10 check digit of a Codabar library barcode's first 13 digits."""
    total = 0
    for position, char in enumerate(body, start=1):
        digit = int(char)
        doubled = (position % 2 == 0) if double_even else (position % 2 == 1)
        if doubled:
            digit *= 2
            if digit >= 10:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def check_digit_ok(value: str, check: CheckDigit) -> bool:
    match check:
        case CheckDigit.NONE:
            return True
        case CheckDigit.CODABAR_MOD10 | CheckDigit.CODABAR_MOD10_EVEN:
            if not value.isdigit() or len(value) < 2:
                return False
            expected = codabar_check_digit(
                value[:-1], double_even=check is CheckDigit.CODABAR_MOD10_EVEN
            )
            return int(value[-1]) == expected
        case CheckDigit.LUHN:
            return luhn.is_valid(value)
        case CheckDigit.EAN13:
            return len(value) == 13 and ean.is_valid(value)
        case CheckDigit.ISBN:
            try:
                isbn.validate(value)
            except StdnumError:
                return False
            return True
    return False  # pragma: no cover - every enum member is handled above


@dataclass(frozen=True, slots=True)
class BarcodeResult:
    """What a scan turned out to be."""

    raw: str
    value: str
    kind: BarcodeKind | None
    """None: no rule matched, or the chain has no rules (kind unknown)."""
    rule: str | None = None
    error: str | None = None
    """A reason code (``barcode_check_digit``, ``patron_card_as_item`` …); None when valid."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message_key(self) -> str:
        return f"reason.{self.error}" if self.error else "barcode.ok"


# The further a rule got before failing, the more telling its complaint.
_PROBLEM_RANK = {
    "barcode_empty": 0,
    "barcode_length": 1,
    "barcode_prefix": 2,
    "barcode_characters": 3,
    "barcode_check_digit": 4,
}


class BarcodeChain:
    """Rules tried in order; the first that matches decides the value and the kind."""

    def __init__(self, rules: Iterable[BarcodeRule] = ()) -> None:
        self.rules = tuple(rules)

    def classify(self, raw: str) -> BarcodeResult:
        cleaned = "".join(raw.split())
        if not cleaned:
            return BarcodeResult(raw, "", None, error="barcode_empty")
        if not self.rules:
            if _AIM_ID.match(cleaned):
                cleaned = cleaned[3:]
            bad = None if _CHARSETS["printable"].fullmatch(cleaned) else "barcode_characters"
            return BarcodeResult(raw, cleaned, None, error=bad)
        best: tuple[int, str, str] | None = None
        for rule in self.rules:
            value = rule.normalise(raw)
            problem = rule.problem(value)
            if problem is None:
                return BarcodeResult(raw, value, rule.kind, rule.name)
            if problem == "barcode_check_digit" and rule.on_bad_check == "reject":
                return BarcodeResult(raw, value, None, rule.name, problem)
            rank = _PROBLEM_RANK[problem]
            # A check-digit failure only counts when the rest of the rule fits.
            if best is None or rank > best[0]:
                best = (rank, problem, value)
        assert best is not None
        _, problem, value = best
        if problem != "barcode_check_digit":
            problem = "barcode_unrecognised"
        return BarcodeResult(raw, value, None, error=problem)

    def expect(self, raw: str, kind: BarcodeKind | str) -> BarcodeResult:
        """Classify a scan where ``kind`` is expected, naming a card scanned as an item."""
        wanted = BarcodeKind(kind)
        result = self.classify(raw)
        if not result.ok:
            return result
        if result.kind is None:
            return BarcodeResult(result.raw, result.value, wanted, result.rule)
        if result.kind is not wanted:
            error = "patron_card_as_item" if wanted is BarcodeKind.ITEM else "item_as_patron_card"
            return BarcodeResult(result.raw, result.value, result.kind, result.rule, error)
        return result
