"""The SIP2 codec against published frames and the standard's layouts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kiosk.errors import Sip2Error
from kiosk.sip2.codec import Codec, checksum, decode, encode, format_date, make, parse_date
from kiosk.sip2.errors import Sip2ChecksumError, Sip2DecodeError, Sip2EncodeError
from kiosk.sip2.spec import MESSAGES, RESPONSE_TO
from tests.sip2.vectors import (
    ATZ_BAD_PAIRS,
    EVERGREEN_PAIRS,
    JSIP2_FRAMES,
    THREE_M_GUIDE_SC_STATUS,
)


@pytest.mark.parametrize(("expected", "prefix"), sorted(EVERGREEN_PAIRS.items()))
def test_evergreen_checksum_pairs(expected: str, prefix: str) -> None:
    assert checksum(prefix.encode("ascii")) == expected
    frame = (prefix + expected + "\r").encode("ascii")
    message = decode(frame)
    assert message.checksum == expected
    assert encode(message) == frame


def test_evergreen_item_information_fields() -> None:
    frame = (EVERGREEN_PAIRS["E174"] + "E174\r").encode()
    message = decode(frame)
    assert message.command == "18"
    assert message.fixed == {
        "circulation_status": "04",
        "security_marker": "02",
        "fee_type": "01",
        "transaction_date": "20110630    110250",
    }
    assert message.get("AB") == "30007008641424"
    assert message.get("AJ") == "Le zahir"
    assert message.get("CS") == "PB LP COE"
    assert message.sequence == "7"


def test_three_m_developers_guide_sc_status() -> None:
    message = decode((THREE_M_GUIDE_SC_STATUS + "\r").encode())
    assert message.command == "99"
    assert message.fixed == {
        "status_code": "0",
        "max_print_width": " 40",
        "protocol_version": "2.00",
    }
    assert message.sequence == "1"
    assert encode(message) == (THREE_M_GUIDE_SC_STATUS + "\r").encode()


@pytest.mark.parametrize(("claimed", "prefix"), sorted(ATZ_BAD_PAIRS.items()))
def test_published_frames_with_wrong_checksums_are_refused(claimed: str, prefix: str) -> None:
    with pytest.raises(Sip2ChecksumError):
        decode((prefix + claimed + "\r").encode())
    # and accepted when the technician turns verification off (some ILSs get it wrong)
    loose = Codec(verify_checksums=False)
    assert loose.encode(loose.decode((prefix + claimed + "\r").encode())).startswith(
        prefix.encode()
    )


@pytest.mark.parametrize("text", JSIP2_FRAMES)
def test_jsip2_frames_round_trip_byte_for_byte(text: str) -> None:
    frame = (text + "\r").encode()
    message = decode(frame)
    assert message.command in MESSAGES
    assert encode(message) == frame


def test_unknown_fields_are_kept_in_order() -> None:
    frame = (JSIP2_FRAMES[-1] + "\r").encode()
    message = decode(frame)
    codes = [code for code, _ in message.fields]
    assert codes == ["AO", "AA", "AB", "AJ", "AC", "BO", "MA"]
    assert message.get("MA") == "bibId"
    assert encode(message) == frame


def test_checkout_fixed_fields_at_exact_widths() -> None:
    message = decode((JSIP2_FRAMES[5] + "\r").encode())
    assert message.fixed == {
        "sc_renewal_policy": "N",
        "no_block": "N",
        "transaction_date": "20190304    173152",
        "nb_due_date": "20210814    083455",
    }
    assert message.get("CH") == "itemProperties"


def test_built_message_is_canonical_with_padded_checksum() -> None:
    message = make("94", ok="1")
    assert encode(message, sequence=0) == b"941AY0AZFDFD\r"
    assert encode(message) == b"941\r"


def test_checksum_is_zero_padded_and_upper_case() -> None:
    # find a body whose checksum is below 0x1000 to see the padding
    body = b"9" * 7000 + b"AZ"
    value = checksum(body)
    assert len(value) == 4 and value == value.upper()
    assert int(value, 16) == -sum(body) & 0xFFFF
    small = next(
        prefix
        for n in range(0, 1000)
        if int(checksum(prefix := b"AF" + b"~" * n + b"AZ"), 16) < 0x1000
    )
    assert checksum(small).startswith("0")


def test_unpadded_checksum_from_sloppy_client_is_accepted_and_kept() -> None:
    # choose a login frame whose checksum is below 0x1000
    for n in range(2000):
        prefix = b"9300CNuser|COpw" + b"~" * n + b"|AY1AZ"
        value = checksum(prefix)
        if value.startswith("0"):
            break
    sloppy = prefix + value.lstrip("0").encode() + b"\r"
    message = decode(sloppy)
    assert message.get("CO", "").startswith("pw")
    assert encode(message) == sloppy  # lossless: the peer's spelling is kept
    fresh = make("93", [("CN", "user")], uid_algorithm="0", pwd_algorithm="0")
    expected = checksum(encode(fresh)[:-1] + b"AY1AZ").encode()
    assert encode(fresh, sequence=1).endswith(expected + b"\r")
    strict = Codec(lenient_checksums=False)
    with pytest.raises(Sip2DecodeError):
        strict.decode(sloppy)


def test_lower_case_checksum_round_trips() -> None:
    frame = b"9300CNuser|COpasswd|CPlocation|AY0AZf2fb\r"
    message = decode(frame)
    assert message.checksum == "f2fb"
    assert encode(message) == frame
    message.fields[0] = ("CN", "other")
    assert encode(message).endswith(
        checksum(b"9300CNother|COpasswd|CPlocation|AY0AZ").encode() + b"\r"
    )


def test_configurable_delimiter_and_encoding() -> None:
    codec = Codec(delimiter="^", encoding="cp850")
    message = make(
        "24",
        [("AO", "HEFEI"), ("AA", "2100"), ("AE", "Müller, Jürgen"), ("AF", "ok")],
        patron_status=" " * 14,
        language="001",
        transaction_date=format_date(datetime(2026, 11, 23, 9, 30, tzinfo=UTC), utc=True),
    )
    frame = codec.encode(message, sequence=4)
    assert b"^AEM\x81ller, J\x81rgen^" in frame  # cp850 ü = 0x81
    assert b"|" not in frame
    again = codec.decode(frame)
    assert again.get("AE") == "Müller, Jürgen"
    assert codec.encode(again) == frame
    utf8 = Codec()
    assert (
        utf8.decode(utf8.encode(make("24", [("AE", "张伟")], **message.fixed))).get("AE") == "张伟"
    )


def test_delimiter_inside_a_value_cannot_be_sent() -> None:
    with pytest.raises(Sip2EncodeError):
        encode(make("94", [("AF", "a|b")], ok="1"))
    with pytest.raises(Sip2EncodeError):
        make("94", ok="11")
    with pytest.raises(Sip2EncodeError):
        make("12", ok="1")


def test_last_field_without_delimiter_round_trips() -> None:
    frame = b"9300CNuser|COpasswd|CPlocation\r"
    message = decode(frame)
    assert message.get("CP") == "location"
    assert message.trailing_delimiter is False
    assert encode(message) == frame
    frame2 = b"9300CNuser|COpasswd|CPlocationAY2AZ"
    frame2 += checksum(frame2).encode() + b"\r"
    message2 = decode(frame2)
    assert (message2.get("CP"), message2.sequence) == ("location", "2")
    assert encode(message2) == frame2


@pytest.mark.parametrize(
    "frame",
    [
        b"",
        b"\r",
        b"9\r",
        b"XX\r",
        b"11YN2026\r",  # fixed fields cut short
        b"9300CNuser|C|\r",  # a field without identifier
        b"9300CN\xff\xfe|\r",  # not UTF-8
        b"9300CNa\rb|\r",
        b"941AY0AZFDFE\r",  # wrong checksum
    ],
)
def test_malformed_frames_raise_only_sip2_errors(frame: bytes) -> None:
    with pytest.raises(Sip2Error):
        decode(frame)


def test_surrogateescape_keeps_binary_losslessly() -> None:
    codec = Codec(errors="surrogateescape")
    frame = b"9300CN\xff\xfe|COx|\r"
    assert codec.encode(codec.decode(frame)) == frame


def test_every_request_has_a_response_layout() -> None:
    for request, response in RESPONSE_TO.items():
        assert request in MESSAGES and response in MESSAGES
    assert len(MESSAGES) == 31  # 16 requests, 15 responses (01 has none)


def test_sip_dates() -> None:
    moment = datetime(2026, 11, 23, 14, 5, 9, tzinfo=UTC)
    assert format_date(moment, utc=True) == "20261123   Z140509"
    assert format_date(moment) == "20261123    140509"
    assert format_date(None) == " " * 18
    assert parse_date("20261123   Z140509") == moment
    assert parse_date(" " * 18) is None
    assert parse_date("20261123    140509") == datetime(2026, 11, 23, 14, 5, 9)
    with pytest.raises(Sip2DecodeError):
        parse_date("2026112x    140509")
    with pytest.raises(Sip2DecodeError):
        parse_date("20261123 CET140509")
