"""The SIP2 2.00 message table: fixed fields with their widths, and the field identifiers.

Layouts follow the 3M "Standard Interchange Protocol v2.00" document. Field identifiers a
message lists are the ones the standard names for it (``required`` marks those it says are
always present); the codec keeps any other identifier it meets, in order, so extensions and
vendor fields survive a decode/encode round trip.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MessageSpec:
    command: str
    name: str
    fixed: tuple[tuple[str, int], ...]
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def fixed_length(self) -> int:
        return sum(width for _, width in self.fixed)


DATE = ("transaction_date", 18)
LANGUAGE = ("language", 3)
PATRON_STATUS = ("patron_status", 14)
_SCREEN = ("AF", "AG")

MESSAGES: dict[str, MessageSpec] = {
    spec.command: spec
    for spec in (
        # --- requests (self-check -> ACS) ---
        MessageSpec(
            "93", "login", (("uid_algorithm", 1), ("pwd_algorithm", 1)), ("CN", "CO"), ("CP",)
        ),
        MessageSpec(
            "99",
            "sc_status",
            (("status_code", 1), ("max_print_width", 3), ("protocol_version", 4)),
        ),
        MessageSpec("97", "request_acs_resend", ()),
        MessageSpec("23", "patron_status", (LANGUAGE, DATE), ("AO", "AA", "AC", "AD")),
        MessageSpec(
            "63",
            "patron_information",
            (LANGUAGE, DATE, ("summary", 10)),
            ("AO", "AA"),
            ("AC", "AD", "BP", "BQ"),
        ),
        MessageSpec(
            "11",
            "checkout",
            (("sc_renewal_policy", 1), ("no_block", 1), DATE, ("nb_due_date", 18)),
            ("AO", "AA", "AB", "AC"),
            ("CH", "AD", "BO", "BI"),
        ),
        MessageSpec(
            "09",
            "checkin",
            (("no_block", 1), DATE, ("return_date", 18)),
            ("AP", "AO", "AB", "AC"),
            ("CH", "BI"),
        ),
        MessageSpec(
            "29",
            "renew",
            (("third_party_allowed", 1), ("no_block", 1), DATE, ("nb_due_date", 18)),
            ("AO", "AA"),
            ("AD", "AB", "AJ", "AC", "CH", "BO"),
        ),
        MessageSpec("65", "renew_all", (DATE,), ("AO", "AA"), ("AD", "AC", "BO")),
        MessageSpec(
            "15",
            "hold",
            (("hold_mode", 1), DATE),
            ("AO", "AA"),
            ("BW", "BS", "BY", "AD", "AB", "AJ", "AC", "BO"),
        ),
        MessageSpec("17", "item_information", (DATE,), ("AO", "AB"), ("AC",)),
        MessageSpec("19", "item_status_update", (DATE,), ("AO", "AB", "CH"), ("AC",)),
        MessageSpec("35", "end_patron_session", (DATE,), ("AO", "AA"), ("AC", "AD")),
        MessageSpec(
            "37",
            "fee_paid",
            (DATE, ("fee_type", 2), ("payment_type", 2), ("currency_type", 3)),
            ("BV", "AO", "AA"),
            ("AC", "AD", "CG", "BK"),
        ),
        MessageSpec("25", "patron_enable", (DATE,), ("AO", "AA"), ("AC", "AD")),
        MessageSpec("01", "block_patron", (("card_retained", 1), DATE), ("AO", "AL", "AA", "AC")),
        # --- responses (ACS -> self-check) ---
        MessageSpec("94", "login_response", (("ok", 1),)),
        MessageSpec(
            "98",
            "acs_status",
            (
                ("online_status", 1),
                ("checkin_ok", 1),
                ("checkout_ok", 1),
                ("acs_renewal_policy", 1),
                ("status_update_ok", 1),
                ("offline_ok", 1),
                ("timeout_period", 3),
                ("retries_allowed", 3),
                ("date_time_sync", 18),
                ("protocol_version", 4),
            ),
            ("AO", "BX"),
            ("AM", "AN", *_SCREEN),
        ),
        MessageSpec("96", "request_sc_resend", ()),
        MessageSpec(
            "24",
            "patron_status_response",
            (PATRON_STATUS, LANGUAGE, DATE),
            ("AO", "AA", "AE"),
            ("BL", "CQ", "BH", "BV", *_SCREEN),
        ),
        MessageSpec(
            "64",
            "patron_information_response",
            (
                PATRON_STATUS,
                LANGUAGE,
                DATE,
                ("hold_items_count", 4),
                ("overdue_items_count", 4),
                ("charged_items_count", 4),
                ("fine_items_count", 4),
                ("recall_items_count", 4),
                ("unavailable_holds_count", 4),
            ),
            ("AO", "AA", "AE"),
            (
                "BZ",
                "CA",
                "CB",
                "BL",
                "CQ",
                "BH",
                "BV",
                "CC",
                "AS",
                "AT",
                "AU",
                "AV",
                "BU",
                "CD",
                "BD",
                "BE",
                "BF",
                *_SCREEN,
            ),
        ),
        MessageSpec(
            "12",
            "checkout_response",
            (("ok", 1), ("renewal_ok", 1), ("magnetic_media", 1), ("desensitize", 1), DATE),
            ("AO", "AA", "AB", "AJ", "AH"),
            ("BT", "CI", "BH", "BV", "CK", "CH", "BK", *_SCREEN),
        ),
        MessageSpec(
            "10",
            "checkin_response",
            (("ok", 1), ("resensitize", 1), ("magnetic_media", 1), ("alert", 1), DATE),
            ("AO", "AB", "AQ"),
            ("AJ", "CL", "AA", "CK", "CH", "CV", "CT", "CS", "CR", "CY", "DA", *_SCREEN),
        ),
        MessageSpec(
            "30",
            "renew_response",
            (("ok", 1), ("renewal_ok", 1), ("magnetic_media", 1), ("desensitize", 1), DATE),
            ("AO", "AA", "AB", "AJ", "AH"),
            ("BT", "CI", "BH", "BV", "CK", "CH", "BK", *_SCREEN),
        ),
        MessageSpec(
            "66",
            "renew_all_response",
            (("ok", 1), ("renewed_count", 4), ("unrenewed_count", 4), DATE),
            ("AO",),
            ("BM", "BN", *_SCREEN),
        ),
        MessageSpec(
            "16",
            "hold_response",
            (("ok", 1), ("available", 1), DATE),
            ("AO", "AA"),
            ("BW", "BR", "BS", "AB", "AJ", *_SCREEN),
        ),
        MessageSpec(
            "18",
            "item_information_response",
            (("circulation_status", 2), ("security_marker", 2), ("fee_type", 2), DATE),
            ("AB", "AJ"),
            (
                "CF",
                "AH",
                "CJ",
                "CM",
                "BG",
                "BH",
                "BV",
                "CK",
                "AQ",
                "AP",
                "CH",
                "CL",
                "CS",
                "CR",
                "CT",
                "CV",
                "CY",
                "DA",
                *_SCREEN,
            ),
        ),
        MessageSpec(
            "20",
            "item_status_update_response",
            (("item_properties_ok", 1), DATE),
            ("AB",),
            ("AJ", "CH", *_SCREEN),
        ),
        MessageSpec(
            "36",
            "end_session_response",
            (("end_session", 1), DATE),
            ("AO", "AA"),
            _SCREEN,
        ),
        MessageSpec(
            "38",
            "fee_paid_response",
            (("payment_accepted", 1), DATE),
            ("AO", "AA"),
            ("BK", *_SCREEN),
        ),
        MessageSpec(
            "26",
            "patron_enable_response",
            (PATRON_STATUS, LANGUAGE, DATE),
            ("AO", "AA", "AE"),
            ("BL", "CQ", *_SCREEN),
        ),
    )
}

#: Request command -> the command of its response.
RESPONSE_TO: dict[str, str] = {
    "93": "94",
    "99": "98",
    "97": "96",
    "23": "24",
    "63": "64",
    "11": "12",
    "09": "10",
    "29": "30",
    "65": "66",
    "15": "16",
    "17": "18",
    "19": "20",
    "35": "36",
    "37": "38",
    "25": "26",
    "01": "24",
}

#: Field identifiers with a short name: the standard's, then the common 3M/sorter extensions.
FIELD_NAMES: dict[str, str] = {
    "AA": "patron_identifier",
    "AB": "item_identifier",
    "AC": "terminal_password",
    "AD": "patron_password",
    "AE": "personal_name",
    "AF": "screen_message",
    "AG": "print_line",
    "AH": "due_date",
    "AJ": "title_identifier",
    "AL": "blocked_card_msg",
    "AM": "library_name",
    "AN": "terminal_location",
    "AO": "institution_id",
    "AP": "current_location",
    "AQ": "permanent_location",
    "AS": "hold_items",
    "AT": "overdue_items",
    "AU": "charged_items",
    "AV": "fine_items",
    "AY": "sequence_number",
    "AZ": "checksum",
    "BD": "home_address",
    "BE": "email_address",
    "BF": "home_phone_number",
    "BG": "owner",
    "BH": "currency_type",
    "BI": "cancel",
    "BK": "transaction_id",
    "BL": "valid_patron",
    "BM": "renewed_items",
    "BN": "unrenewed_items",
    "BO": "fee_acknowledged",
    "BP": "start_item",
    "BQ": "end_item",
    "BR": "queue_position",
    "BS": "pickup_location",
    "BT": "fee_type",
    "BU": "recall_items",
    "BV": "fee_amount",
    "BW": "expiration_date",
    "BX": "supported_messages",
    "BY": "hold_type",
    "BZ": "hold_items_limit",
    "CA": "overdue_items_limit",
    "CB": "charged_items_limit",
    "CC": "fee_limit",
    "CD": "unavailable_hold_items",
    "CF": "hold_queue_length",
    "CG": "fee_identifier",
    "CH": "item_properties",
    "CI": "security_inhibit",
    "CJ": "recall_date",
    "CK": "media_type",
    "CL": "sort_bin",
    "CM": "hold_pickup_date",
    "CN": "login_user_id",
    "CO": "login_password",
    "CP": "location_code",
    "CQ": "valid_patron_password",
    # 3M / sorter extensions
    "CR": "collection_code",
    "CS": "call_number",
    "CT": "destination_location",
    "CV": "alert_type",
    "CY": "hold_patron_id",
    "DA": "hold_patron_name",
}

#: Positions of the 14 patron status flags (message 24/26/64), 'Y' when set.
PATRON_STATUS_FLAGS: tuple[str, ...] = (
    "charge_privileges_denied",
    "renewal_privileges_denied",
    "recall_privileges_denied",
    "hold_privileges_denied",
    "card_reported_lost",
    "too_many_items_charged",
    "too_many_items_overdue",
    "too_many_renewals",
    "too_many_claims_of_items_returned",
    "too_many_items_lost",
    "excessive_outstanding_fines",
    "excessive_outstanding_fees",
    "recall_overdue",
    "too_many_items_billed",
)

#: Positions in the 10-character summary of message 63: which item list is asked for.
SUMMARY_POSITIONS: tuple[tuple[str, str], ...] = (
    ("hold_items", "AS"),
    ("overdue_items", "AT"),
    ("charged_items", "AU"),
    ("fine_items", "AV"),
    ("recall_items", "BU"),
    ("unavailable_hold_items", "CD"),
)

#: Order of the 16 "supported messages" flags (BX of message 98).
SUPPORTED_MESSAGES: tuple[str, ...] = (
    "23",  # patron status request
    "11",  # checkout
    "09",  # checkin
    "01",  # block patron
    "99",  # SC/ACS status
    "97",  # request SC/ACS resend
    "93",  # login
    "63",  # patron information
    "35",  # end patron session
    "37",  # fee paid
    "17",  # item information
    "19",  # item status update
    "25",  # patron enable
    "15",  # hold
    "29",  # renew
    "65",  # renew all
)

CIRCULATION_STATUS: dict[str, str] = {
    "01": "other",
    "02": "on_order",
    "03": "available",
    "04": "charged",
    "05": "charged_not_to_be_recalled",
    "06": "in_process",
    "07": "recalled",
    "08": "waiting_on_hold_shelf",
    "09": "waiting_to_be_reshelved",
    "10": "in_transit",
    "11": "claimed_returned",
    "12": "lost",
    "13": "missing",
}
