"""Screen messages (AF) in the patron's language, and SIP2's language codes.

The words come from the product's i18n catalogs (:class:`kiosk.i18n.Translator`); the few
SIP2-only sentences the catalogs lack (hold placed, payment recorded, sorter hints) come from
the short table below, and anything else from the policy's English gloss of the reason.
A screen message is plain text: the SIP2 field delimiter and CR never appear in it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from kiosk.i18n import Translator, normalise_language
from kiosk.policy import REASON_CODES

#: Keys this module uses -> the catalog's key for the same sentence.
CATALOG_KEY: dict[str, str] = {
    "item_on_loan": "reason.on_loan_to_other",
    "already_on_loan": "reason.already_on_loan_to_patron",
    "invalid_amount": "reason.invalid_amount",
}

#: SIP2 2.00 language codes (fixed field "language", 3 digits) for the product's languages.
SIP_LANGUAGE: dict[str, str] = {
    "en": "001",
    "fr": "002",
    "de": "003",
    "it": "004",
    "nl": "005",
    "sv": "006",
    "fi": "007",
    "es": "008",
    "da": "009",
    "pt": "010",
    "no": "012",
    "he": "013",
    "ja": "014",
    "ru": "015",
    "ar": "016",
    "pl": "017",
    "el": "018",
    "zh": "019",
    "ko": "020",
}
LANGUAGE_OF_SIP: dict[str, str] = {code: lang for lang, code in SIP_LANGUAGE.items()}
LANGUAGE_OF_SIP["024"] = "en"  # "United Kingdom"
LANGUAGE_OF_SIP["027"] = "zh"  # "Taiwanese"

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "hold.ok": "Hold placed.",
        "hold.cancelled": "Hold cancelled.",
        "fee.ok": "Payment recorded.",
        "not_supported": "This cannot be done at this machine. Please ask at the desk.",
        "transit": "This item goes to another branch.",
        "staff": "This item needs staff attention.",
        "hold_fee": "A hold fee was charged: {amount}.",
        "unknown_hold": "No such hold on this card.",
    },
    "de": {
        "hold.ok": "Vorbestellung aufgegeben.",
        "hold.cancelled": "Vorbestellung storniert.",
        "fee.ok": "Zahlung verbucht.",
        "not_supported": "Das geht an diesem Automaten nicht. Bitte fragen Sie an der Theke.",
        "transit": "Dieses Medium geht an eine andere Bücherhalle.",
        "staff": "Dieses Medium muss vom Personal geprüft werden.",
        "hold_fee": "Eine Vorbestellgebühr wurde berechnet: {amount}.",
        "unknown_hold": "Diese Vorbestellung gibt es auf dieser Karte nicht.",
    },
    "zh": {
        "hold.ok": "预约成功。",
        "hold.cancelled": "预约已取消。",
        "fee.ok": "缴费已记录。",
        "not_supported": "本机无法办理此业务，请到服务台咨询。",
        "transit": "此图书将送往其他馆。",
        "staff": "此图书需要工作人员处理。",
        "hold_fee": "已收取预约费：{amount}。",
        "unknown_hold": "此读者证没有该预约。",
    },
    "vi": {
        "hold.ok": "Đã đặt giữ.",
        "hold.cancelled": "Đã hủy đặt giữ.",
        "fee.ok": "Đã ghi nhận thanh toán.",
        "not_supported": "Không thể thực hiện việc này tại máy. Vui lòng hỏi tại quầy.",
        "transit": "Tài liệu này sẽ được chuyển đến chi nhánh khác.",
        "staff": "Tài liệu này cần nhân viên xử lý.",
        "hold_fee": "Đã thu phí đặt giữ: {amount}.",
        "unknown_hold": "Thẻ này không có yêu cầu đặt giữ đó.",
    },
}


@cache
def _translator(language: str, currency: str) -> Translator:
    return Translator(language, currency=currency)


def base_language(language: str | None) -> str:
    """``zh_CN`` -> ``zh``; ``None`` -> ``en``."""
    if not language:
        return "en"
    return language.replace("-", "_").split("_", 1)[0].lower()


def sip_language(language: str | None) -> str:
    """The 3-digit SIP2 code of a language tag (``000`` when SIP2 has none, e.g. Vietnamese)."""
    return SIP_LANGUAGE.get(base_language(language), "000") if language else "000"


def text(
    key: str,
    language: str | None,
    params: Mapping[str, Any] | None = None,
    *,
    currency: str = "EUR",
) -> str:
    """The screen text for a message key or reason code in ``language``."""
    params = dict(params or {})
    code = key.removeprefix("reason.")
    lang = base_language(language)
    own = _TEXT.get(lang, {}).get(code)
    if own is None:
        translator = _translator(normalise_language(language), currency)
        for candidate in (CATALOG_KEY.get(code), key, f"reason.{code}"):
            if candidate and (
                translator.has(candidate) or _translator("en", currency).has(candidate)
            ):
                try:
                    return clean(translator(candidate, **params))
                except (KeyError, IndexError, ValueError):
                    break
    for table in (_TEXT.get(lang, {}), _TEXT["en"]):
        template = table.get(code) or table.get(key)
        if template:
            try:
                return clean(template.format(**params))
            except (KeyError, IndexError, ValueError):
                return clean(template)
    gloss = REASON_CODES.get(code)
    if gloss:
        return clean(gloss[0].upper() + gloss[1:] + ".")
    return clean(code.replace("_", " "))


def clean(words: str, delimiter: str = "|") -> str:
    """Remove what a SIP2 field cannot carry."""
    return words.replace(delimiter, "/").replace("\r", " ").replace("\n", " ")[:255]
