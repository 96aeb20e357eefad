"""Notice texts in the four product languages (en, zh_CN, de, vi).

Notices are e-mails written by central, so their words live here rather than in the UI's
catalogs; a missing language falls back to English.
"""

from __future__ import annotations

from typing import Any

TEMPLATES: dict[str, dict[str, tuple[str, str]]] = {
    "due_soon": {
        "en": (
            "{library}: due soon: {title}",
            'Dear {name},\n\n"{title}" is due on {due}. Please return or renew it by then.\n',
        ),
        "zh_CN": (
            "{library}：即将到期：{title}",
            "{name}，您好：\n\n《{title}》将于 {due} 到期，请按时归还或续借。\n",
        ),
        "de": (
            "{library}: Leihfrist endet bald: {title}",
            "Guten Tag {name},\n\n„{title}“ ist am {due} fällig. Bitte geben Sie es bis dahin "
            "zurück oder verlängern Sie es.\n",
        ),
        "vi": (
            "{library}: sắp đến hạn: {title}",
            'Kính gửi {name},\n\n"{title}" đến hạn vào {due}. Vui lòng trả hoặc gia hạn '
            "trước ngày đó.\n",
        ),
    },
    "hold_ready": {
        "en": (
            "{library}: ready for pickup: {title}",
            'Dear {name},\n\n"{title}" is ready for pickup at {pickup_branch}. '
            "Please collect it by {pickup_by}.\n",
        ),
        "zh_CN": (
            "{library}：预约已到馆：{title}",
            "{name}，您好：\n\n您预约的《{title}》已在 {pickup_branch} 可取，请于 {pickup_by} "
            "前领取。\n",
        ),
        "de": (
            "{library}: Vorbestellung abholbereit: {title}",
            "Guten Tag {name},\n\n„{title}“ liegt in {pickup_branch} für Sie bereit. "
            "Bitte holen Sie es bis zum {pickup_by} ab.\n",
        ),
        "vi": (
            "{library}: sẵn sàng để nhận: {title}",
            'Kính gửi {name},\n\n"{title}" đã sẵn sàng tại {pickup_branch}. '
            "Vui lòng nhận trước {pickup_by}.\n",
        ),
    },
    "hold_expired": {
        "en": (
            "{library}: hold expired: {title}",
            'Dear {name},\n\nYour hold on "{title}" was not collected by {pickup_by} '
            "and has expired.\n",
        ),
        "zh_CN": (
            "{library}：预约已过期：{title}",
            "{name}，您好：\n\n您预约的《{title}》未在 {pickup_by} 前领取，预约已失效。\n",
        ),
        "de": (
            "{library}: Vorbestellung verfallen: {title}",
            "Guten Tag {name},\n\n„{title}“ wurde nicht bis zum {pickup_by} abgeholt; "
            "die Vorbestellung ist verfallen.\n",
        ),
        "vi": (
            "{library}: yêu cầu giữ sách đã hết hạn: {title}",
            'Kính gửi {name},\n\n"{title}" không được nhận trước {pickup_by} nên yêu cầu '
            "đã hết hạn.\n",
        ),
    },
    "billed": {
        "en": (
            "{library}: billed for an overdue item: {title}",
            'Dear {name},\n\n"{title}" was due on {due}. You have been billed {amount}. '
            "The bill is cleared when the item comes back.\n",
        ),
        "zh_CN": (
            "{library}：逾期图书账单：{title}",
            "{name}，您好：\n\n《{title}》已于 {due} 到期，现向您收取 {amount}。"
            "归还图书后账单将被撤销。\n",
        ),
        "de": (
            "{library}: Rechnung für ein überfälliges Medium: {title}",
            "Guten Tag {name},\n\n„{title}“ war am {due} fällig. Wir berechnen {amount}. "
            "Die Rechnung entfällt, wenn das Medium zurückkommt.\n",
        ),
        "vi": (
            "{library}: hóa đơn cho tài liệu quá hạn: {title}",
            'Kính gửi {name},\n\n"{title}" đến hạn vào {due}. Bạn bị tính {amount}. '
            "Hóa đơn sẽ được hủy khi tài liệu được trả lại.\n",
        ),
    },
}


def render(kind: str, language: str | None, **params: Any) -> tuple[str, str, str]:
    """(language used, subject, body) for a notice; unknown languages fall back to English."""
    texts = TEMPLATES[kind]
    lang = language if language in texts else "en"
    subject, body = texts[lang]
    return lang, subject.format(**params), body.format(**params)
