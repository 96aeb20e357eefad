"""Every message in every language, with the same placeholders; no key missing from code."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from kiosk.i18n import LANGUAGES, Translator, load_messages, normalise_language, placeholders
from kiosk.policy.decision import REASON_CODES

ROOT = Path(__file__).resolve().parents[2]


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    english = load_messages("en")
    assert len(english) > 150
    for language in LANGUAGES:
        messages = load_messages(language)
        assert set(messages) == set(english), language
        for key, text in english.items():
            assert placeholders(messages[key]) == placeholders(text), (language, key)


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_translations_are_not_english_copies(language: str) -> None:
    english = load_messages("en")
    messages = load_messages(language)

    def words(text: str) -> str:
        return re.sub(r"\{[a-z_]+\}|[^A-Za-z]", "", text)

    same = [k for k, v in messages.items() if v == english[k] and len(words(v)) > 8]
    assert same == [], same


def test_every_policy_reason_has_words() -> None:
    for language in LANGUAGES:
        messages = load_messages(language)
        missing = [code for code in REASON_CODES if f"reason.{code}" not in messages]
        assert missing == [], (language, missing)


def test_every_key_named_in_code_exists() -> None:
    english = load_messages("en")
    pattern = re.compile(
        r"""["']((?:ui|tech|demo|login|scan|items|returns|renew|finish|"""
        r"""receipt|visit|mode|service|checkout|checkin|reason)\.[a-z_]+)["']"""
    )
    sources = [ROOT / "kiosk" / "session.py", *sorted((ROOT / "kiosk" / "ui").rglob("*.py"))]
    named = {m for path in sources for m in pattern.findall(path.read_text("utf-8"))}
    assert named, "the pattern found no keys"
    assert sorted(named - set(english)) == []


def test_dates_and_money_follow_the_language() -> None:
    due = date(2026, 12, 23)
    assert Translator("en", currency="USD")("checkout.ok", due=due) == "Borrowed. Due Dec 23, 2026."
    assert Translator("de")("checkout.ok", due=due) == "Ausgeliehen. Rückgabe bis 23.12.2026."
    assert "2026年12月23日" in Translator("zh_CN")("checkout.ok", due=due)
    assert Translator("de", currency="EUR").money(Decimal("13.00")) == "13,00\xa0€"
    assert Translator("zh_CN", currency="CNY").money(Decimal("0.10")) == "¥0.10"


def test_unknown_reason_falls_back_to_a_sentence() -> None:
    t = Translator("vi")
    assert t("reason.something_new") == load_messages("vi")["reason.unknown"]
    assert t("ui.no_such_label") == ""


def test_missing_parameter_renders_empty_not_a_crash() -> None:
    assert Translator("en")("login.wrong_pin") == "Wrong PIN.  tries left."


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("zh", "zh_CN"),
        ("zh-CN", "zh_CN"),
        ("de_DE", "de"),
        ("vi", "vi"),
        ("fr", "en"),
        (None, "en"),
    ],
)
def test_language_names_normalise(given: str | None, expected: str) -> None:
    assert normalise_language(given) == expected
