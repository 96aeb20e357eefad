# ruff: noqa: E501 - a table of sentences
"""The return screen's words in the four languages.

The same entries are in the message catalogs (``kiosk/i18n/locales``); this table is the
source they were added from, and the screen falls back to it for a key a catalog lacks (a
catalog regenerated without them), so a patron never sees an empty line.
"""

from __future__ import annotations

from typing import Any

from kiosk.i18n import DEFAULT_LANGUAGE, Translator

MESSAGES: dict[str, dict[str, str]] = {
    "returns.title": {
        "en": "24-hour returns",
        "zh_CN": "24小时自助还书",
        "de": "24-Stunden-Rückgabe",
        "vi": "Trả sách 24 giờ",
    },
    "returns.starting": {
        "en": "Starting up, one moment…",
        "zh_CN": "正在启动，请稍候……",
        "de": "Wird gestartet, einen Moment …",
        "vi": "Đang khởi động, vui lòng chờ…",
    },
    "returns.insert_item": {
        "en": "Insert one item at a time, barcode facing up.",
        "zh_CN": "请一次放入一件资料，条码朝上。",
        "de": "Bitte legen Sie ein Medium nach dem anderen ein, Barcode nach oben.",
        "vi": "Vui lòng đưa từng tài liệu một, mã vạch hướng lên trên.",
    },
    "returns.reading": {
        "en": "Reading the barcode…",
        "zh_CN": "正在读取条码……",
        "de": "Barcode wird gelesen …",
        "vi": "Đang đọc mã vạch…",
    },
    "returns.reading_again": {
        "en": "Could not read the barcode; trying again (attempt {attempt}).",
        "zh_CN": "未能读取条码，正在重试（第 {attempt} 次）。",
        "de": "Barcode nicht lesbar; neuer Versuch ({attempt}).",
        "vi": "Không đọc được mã vạch; đang thử lại (lần {attempt}).",
    },
    "returns.try_again": {
        "en": "The barcode could not be read. Please take the item back and try again, or hand it in at the desk.",
        "zh_CN": "无法读取条码。请取回资料后重试，或交至服务台。",
        "de": "Der Barcode ist nicht lesbar. Bitte nehmen Sie das Medium zurück und versuchen Sie es erneut oder geben Sie es an der Theke ab.",
        "vi": "Không đọc được mã vạch. Vui lòng lấy lại tài liệu và thử lại, hoặc gửi tại quầy.",
    },
    "returns.accepted": {
        "en": "Thank you, taking the item in…",
        "zh_CN": "谢谢，正在接收资料……",
        "de": "Danke, das Medium wird eingezogen …",
        "vi": "Cảm ơn, đang nhận tài liệu…",
    },
    "returns.taking_in": {
        "en": "Taking the item in…",
        "zh_CN": "正在传送资料……",
        "de": "Das Medium wird eingezogen …",
        "vi": "Đang đưa tài liệu vào…",
    },
    "returns.cancelled": {
        "en": "The item was taken back; nothing was returned.",
        "zh_CN": "资料已取回，未办理归还。",
        "de": "Das Medium wurde zurückgenommen; nichts wurde zurückgegeben.",
        "vi": "Tài liệu đã được lấy lại; chưa trả gì.",
    },
    "returns.sorting": {
        "en": "Returned. Sorting the item…",
        "zh_CN": "已归还，正在分拣……",
        "de": "Zurückgegeben. Das Medium wird sortiert …",
        "vi": "Đã trả. Đang phân loại tài liệu…",
    },
    "returns.one_at_a_time": {
        "en": "One item at a time, please: take the second item back until the first is through.",
        "zh_CN": "请一次只放一件：请先取回第二件，待第一件通过后再放入。",
        "de": "Bitte nur ein Medium auf einmal: Nehmen Sie das zweite zurück, bis das erste durch ist.",
        "vi": "Vui lòng từng tài liệu một: lấy lại tài liệu thứ hai cho đến khi tài liệu đầu đã qua.",
    },
    "returns.done": {
        "en": "Done. You can insert the next item.",
        "zh_CN": "完成。您可以放入下一件资料。",
        "de": "Fertig. Sie können das nächste Medium einlegen.",
        "vi": "Xong. Bạn có thể đưa tài liệu tiếp theo.",
    },
    "returns.door_obstructed": {
        "en": "Please keep clear of the door.",
        "zh_CN": "请勿遮挡舱门。",
        "de": "Bitte halten Sie die Klappe frei.",
        "vi": "Vui lòng không chắn cửa.",
    },
    "returns.out_of_service": {
        "en": "This return machine is out of service. Please use the desk or another machine. Staff have been told.",
        "zh_CN": "本还书机暂停服务。请到服务台或使用其他机器。已通知工作人员。",
        "de": "Dieser Rückgabeautomat ist außer Betrieb. Bitte nutzen Sie die Theke oder einen anderen Automaten. Das Personal ist informiert.",
        "vi": "Máy trả sách này tạm ngừng hoạt động. Vui lòng đến quầy hoặc dùng máy khác. Nhân viên đã được báo.",
    },
    "returns.emergency_stop": {
        "en": "Emergency stop. The machine will carry on when it is released.",
        "zh_CN": "紧急停止。解除后机器将继续运行。",
        "de": "Not-Aus. Der Automat läuft weiter, sobald er freigegeben ist.",
        "vi": "Dừng khẩn cấp. Máy sẽ tiếp tục khi được nhả ra.",
    },
    "returns.recovering": {
        "en": "Recovering after a restart…",
        "zh_CN": "重启后正在恢复……",
        "de": "Wiederherstellung nach einem Neustart …",
        "vi": "Đang khôi phục sau khi khởi động lại…",
    },
    "returns.returned_title": {
        "en": "Returned: {title}",
        "zh_CN": "已归还：{title}",
        "de": "Zurückgegeben: {title}",
        "vi": "Đã trả: {title}",
    },
    "returns.returned_unknown": {
        "en": "Returned: an item staff will check",
        "zh_CN": "已归还：将由工作人员核查的资料",
        "de": "Zurückgegeben: ein Medium, das das Personal prüft",
        "vi": "Đã trả: tài liệu nhân viên sẽ kiểm tra",
    },
    "returns.fine": {
        "en": "Late fine: {fine}",
        "zh_CN": "逾期罚款：{fine}",
        "de": "Säumnisgebühr: {fine}",
        "vi": "Phí trả trễ: {fine}",
    },
    "returns.hold_note": {
        "en": "Someone is waiting for this item: it goes straight to the hold shelf.",
        "zh_CN": "有读者在等候此资料：它将直接送往预约架。",
        "de": "Jemand wartet auf dieses Medium: es kommt direkt ins Abholregal.",
        "vi": "Có người đang chờ tài liệu này: nó được chuyển thẳng đến kệ giữ chỗ.",
    },
    "returns.offline_note": {
        "en": "Recorded offline; your account will update when the connection is back.",
        "zh_CN": "已离线记录；网络恢复后您的账户将更新。",
        "de": "Offline erfasst; Ihr Konto wird aktualisiert, sobald die Verbindung wieder besteht.",
        "vi": "Đã ghi nhận ngoại tuyến; tài khoản của bạn sẽ cập nhật khi có kết nối lại.",
    },
    "returns.receipt_question": {
        "en": "Would you like a receipt?",
        "zh_CN": "需要回执吗？",
        "de": "Möchten Sie eine Quittung?",
        "vi": "Bạn có muốn lấy biên nhận không?",
    },
    "returns.receipt_print": {
        "en": "Print",
        "zh_CN": "打印",
        "de": "Drucken",
        "vi": "In",
    },
    "returns.receipt_email": {
        "en": "E-mail",
        "zh_CN": "电子邮件",
        "de": "E-Mail",
        "vi": "Thư điện tử",
    },
    "returns.receipt_none": {
        "en": "No receipt",
        "zh_CN": "不需要",
        "de": "Keine Quittung",
        "vi": "Không cần biên nhận",
    },
    "returns.receipt_printed": {
        "en": "Your receipt is printing.",
        "zh_CN": "正在打印回执。",
        "de": "Ihre Quittung wird gedruckt.",
        "vi": "Biên nhận đang được in.",
    },
    "returns.receipt_sent": {
        "en": "Your receipt was sent by e-mail.",
        "zh_CN": "回执已通过电子邮件发送。",
        "de": "Ihre Quittung wurde per E-Mail gesendet.",
        "vi": "Biên nhận đã được gửi qua thư điện tử.",
    },
    "returns.receipt_failed": {
        "en": "The receipt could not be made; please ask at the desk.",
        "zh_CN": "无法生成回执，请到服务台咨询。",
        "de": "Die Quittung konnte nicht erstellt werden; bitte fragen Sie an der Theke.",
        "vi": "Không tạo được biên nhận; vui lòng hỏi tại quầy.",
    },
    "returns.items_returned": {
        "en": "Items returned this visit: {count}",
        "zh_CN": "本次已归还：{count} 件",
        "de": "Bei diesem Besuch zurückgegeben: {count}",
        "vi": "Số tài liệu đã trả lần này: {count}",
    },
    "returns.bins_title": {
        "en": "Bins (items since emptied)",
        "zh_CN": "分拣箱（清空后件数）",
        "de": "Behälter (Medien seit dem Leeren)",
        "vi": "Thùng (số tài liệu từ lần đổ gần nhất)",
    },
    "returns.bin_line": {
        "en": "Bin {bin} {label}: {count}",
        "zh_CN": "{bin} 号箱 {label}：{count}",
        "de": "Behälter {bin} {label}: {count}",
        "vi": "Thùng {bin} {label}: {count}",
    },
    "returns.bin_full": {
        "en": "full",
        "zh_CN": "已满",
        "de": "voll",
        "vi": "đầy",
    },
    "returns.bin_emptied": {
        "en": "Bin emptied",
        "zh_CN": "已清空",
        "de": "Geleert",
        "vi": "Đã đổ",
    },
    "returns.faults_title": {
        "en": "Faults and recoveries",
        "zh_CN": "故障与恢复",
        "de": "Störungen und Behebungen",
        "vi": "Sự cố và khắc phục",
    },
    "returns.resume": {
        "en": "Resume",
        "zh_CN": "恢复运行",
        "de": "Fortsetzen",
        "vi": "Tiếp tục",
    },
    "returns.demo_insert": {
        "en": "Insert an item",
        "zh_CN": "放入资料",
        "de": "Medium einlegen",
        "vi": "Đưa tài liệu",
    },
    "returns.demo_unreadable": {
        "en": "Unreadable item",
        "zh_CN": "条码无法读取",
        "de": "Unlesbares Medium",
        "vi": "Tài liệu không đọc được",
    },
    "returns.demo_jam": {
        "en": "Cause a jam",
        "zh_CN": "制造卡塞",
        "de": "Stau auslösen",
        "vi": "Gây kẹt",
    },
    "returns.demo_take_back": {
        "en": "Take the item back",
        "zh_CN": "取回资料",
        "de": "Medium zurücknehmen",
        "vi": "Lấy lại tài liệu",
    },
    "returns.demo_belt": {
        "en": "Conveyor: {state}",
        "zh_CN": "传送带：{state}",
        "de": "Förderband: {state}",
        "vi": "Băng tải: {state}",
    },
}


class ReturnTranslator:
    """A :class:`Translator` that falls back to :data:`MESSAGES` for the return screen."""

    def __init__(self, base: Translator) -> None:
        self.base = base
        self.language = base.language
        self.currency = base.currency

    def __call__(self, key: str, **params: Any) -> str:
        if self.base.has(key) or key not in MESSAGES:
            return self.base(key, **params)
        texts = MESSAGES[key]
        text = texts.get(self.language) or texts[DEFAULT_LANGUAGE]
        values = {name: self.base.value(value) for name, value in params.items()}
        try:
            return text.format_map(values)
        except (KeyError, IndexError):
            return text
