"""Message catalogs (gettext ``.po`` files read with Babel) and locale-aware formatting.

Code names a message key (``reason.max_loans``, ``ui.finish``); the catalogs in
``locales/<lang>/LC_MESSAGES/kiosk.po`` hold the whole sentence with named placeholders, so
no sentence is ever built by concatenation. Dates and money are formatted with Babel for the
chosen language.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal

log = logging.getLogger(__name__)

LOCALES_DIR = Path(__file__).parent / "locales"
DOMAIN = "kiosk"
DEFAULT_LANGUAGE = "en"
LANGUAGES: dict[str, str] = {
    "en": "English",
    "zh_CN": "简体中文",
    "de": "Deutsch",
    "vi": "Tiếng Việt",
}
"""Supported languages, each named in itself (a language button is never translated)."""

_FORMATTER = string.Formatter()


@cache
def load_messages(language: str) -> Mapping[str, str]:
    """The catalog of one language: message key -> text (translated entries only)."""
    path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    return {
        str(message.id): str(message.string)
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def placeholders(text: str) -> set[str]:
    """The named placeholders of a catalog text (``{due}`` -> ``due``)."""
    return {name for _, name, _, _ in _FORMATTER.parse(text) if name}


def normalise_language(value: str | None) -> str:
    """Map ``zh``, ``zh-CN``, ``de_DE`` … to a supported catalog; English otherwise."""
    if not value:
        return DEFAULT_LANGUAGE
    cleaned = value.replace("-", "_")
    if cleaned in LANGUAGES:
        return cleaned
    base = cleaned.split("_")[0].lower()
    for code in LANGUAGES:
        if code.split("_")[0] == base:
            return code
    return DEFAULT_LANGUAGE


class _Params(dict[str, str]):
    """Missing placeholders render empty rather than failing in front of a patron."""

    def __missing__(self, key: str) -> str:
        log.warning("message parameter %r missing", key)
        return ""


class Translator:
    """One language's words, dates and money."""

    def __init__(self, language: str = DEFAULT_LANGUAGE, *, currency: str = "EUR") -> None:
        self.language = normalise_language(language)
        self.locale = Locale.parse(self.language)
        self.currency = currency
        self._messages = load_messages(self.language)
        self._fallback = load_messages(DEFAULT_LANGUAGE)

    def has(self, key: str) -> bool:
        return key in self._messages

    def __call__(self, key: str, **params: Any) -> str:
        """The text for ``key`` with ``params`` filled in (dates and money localised)."""
        text = self._messages.get(key) or self._fallback.get(key)
        if text is None:
            log.warning("no message for key %r", key)
            if key.startswith("reason."):
                text = self._messages.get("reason.unknown") or self._fallback["reason.unknown"]
            else:
                return ""
        values = _Params({name: self.value(value) for name, value in params.items()})
        return text.format_map(values)

    def value(self, value: Any) -> str:
        if isinstance(value, datetime):
            return format_datetime(value, format="medium", locale=self.locale)
        if isinstance(value, date):
            return self.date(value)
        if isinstance(value, Decimal):
            return self.money(value)
        if isinstance(value, float):
            return format_decimal(value, locale=self.locale)
        return str(value)

    def date(self, value: date) -> str:
        return format_date(value, format="medium", locale=self.locale)

    def money(self, amount: Decimal, currency: str | None = None) -> str:
        return format_currency(amount, currency or self.currency, locale=self.locale)

    def reason(self, reason: Any) -> str:
        """A refusal's sentence, from anything with ``message_key`` and ``params``."""
        return self(reason.message_key, **dict(getattr(reason, "params", {}) or {}))


__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "Translator",
    "load_messages",
    "normalise_language",
    "placeholders",
]
