"""The barcode chain: normalise, validate, first match wins, cards told apart from items."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from kiosk.domain.barcode import (
    BarcodeChain,
    BarcodeKind,
    BarcodeRule,
    CheckDigit,
    check_digit_ok,
    codabar_check_digit,
)

PATRON = BarcodeRule(
    name="card",
    kind="patron",
    strip_codabar=True,
    prefixes=("2",),
    charset="digits",
    length=14,
    check="codabar_mod10",
)
ITEM = BarcodeRule(
    name="item",
    kind="item",
    strip_codabar=True,
    prefixes=("3",),
    charset="digits",
    length=14,
    check="codabar_mod10",
)
ISBN = BarcodeRule(name="isbn", kind="item", charset="digits", length=13, check="isbn")


@pytest.mark.parametrize(("body", "check"), [("3023400051786", 1), ("3319100010586", 4)])
def test_published_codabar_examples(body: str, check: int) -> None:
    assert codabar_check_digit(body) == check
    assert check_digit_ok(body + str(check), CheckDigit.CODABAR_MOD10)


def test_the_even_position_variant_differs_and_is_selectable() -> None:
    body = "3023400051786"
    even = codabar_check_digit(body, double_even=True)
    assert even != codabar_check_digit(body)
    assert check_digit_ok(body + str(even), CheckDigit.CODABAR_MOD10_EVEN)
    assert not check_digit_ok(body + str(even), CheckDigit.CODABAR_MOD10)


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.sampled_from("23"))
def test_codabar_mod10_equals_luhn_for_fourteen_digits(serial: str, first: str) -> None:
    body = first + serial
    full = body + str(codabar_check_digit(body))
    assert check_digit_ok(full, CheckDigit.LUHN)


@given(
    st.text(alphabet="0123456789", min_size=13, max_size=13),
    st.integers(0, 13),
    st.integers(1, 9),
)
def test_any_single_digit_error_is_caught(body: str, position: int, delta: int) -> None:
    full = body + str(codabar_check_digit(body))
    wrong = full[:position] + str((int(full[position]) + delta) % 10) + full[position + 1 :]
    assert not check_digit_ok(wrong, CheckDigit.CODABAR_MOD10)


def test_normalise_strips_whitespace_codabar_guards_and_aim_id() -> None:
    chain = BarcodeChain([ITEM])
    for raw in (" 30234000517861\r\n", "A30234000517861B", "]F0a30234000517861d"):
        result = chain.classify(raw)
        assert result.ok, raw
        assert result.value == "30234000517861"


def test_legacy_prefix_and_padding() -> None:
    legacy = BarcodeRule(
        name="legacy",
        kind="item",
        add_prefix="HF",
        add_prefix_below=10,
        charset="alnum",
        length=10,
        pad_to=8,
    )
    assert legacy.normalise("123") == "HF123".rjust(8, "0")
    chain = BarcodeChain(
        [BarcodeRule(name="pad", kind="item", pad_to=8, charset="digits", length=8)]
    )
    assert chain.classify("4711").value == "00004711"


def test_first_matching_rule_wins() -> None:
    loose = BarcodeRule(name="loose", kind="item", charset="digits")
    assert BarcodeChain([loose, PATRON]).classify("21234000012346").rule == "loose"
    assert BarcodeChain([PATRON, loose]).classify("21234000012346").rule == "card"


def test_isbn_and_ean13_items() -> None:
    chain = BarcodeChain([ISBN])
    assert chain.classify("9787020002207").ok
    assert chain.classify("9787020002208").error == "barcode_check_digit"
    ean = BarcodeChain([BarcodeRule(name="ean", kind="item", length=13, check="ean13")])
    assert ean.classify("4006381333931").ok


def test_wrong_check_digit_is_not_let_through_by_a_looser_rule() -> None:
    loose = BarcodeRule(name="loose", kind="item", charset="alnum")
    strict_then_loose = BarcodeChain([ITEM, loose])
    assert strict_then_loose.classify("30234000517862").error == "barcode_check_digit"
    tolerant = ITEM.model_copy(update={"on_bad_check": "next"})
    assert BarcodeChain([tolerant, loose]).classify("30234000517862").rule == "loose"


@pytest.mark.parametrize("raw", ["", "   ", "\r\n"])
def test_empty_scan(raw: str) -> None:
    assert BarcodeChain([ITEM]).classify(raw).error == "barcode_empty"


@pytest.mark.parametrize("raw", ["garbage!!", "3023", "4" * 14, "3023400051786Z"])
def test_garbled_scan_is_unrecognised_with_a_message_key(raw: str) -> None:
    result = BarcodeChain([PATRON, ITEM]).classify(raw)
    assert result.error == "barcode_unrecognised"
    assert result.kind is None
    assert result.message_key == "reason.barcode_unrecognised"


def test_patron_card_where_an_item_is_expected_and_the_reverse() -> None:
    chain = BarcodeChain([PATRON, ITEM])
    card = "2" + "1234000012346"[:12]
    card += str(codabar_check_digit(card))
    misplaced = chain.expect(card, BarcodeKind.ITEM)
    assert misplaced.error == "patron_card_as_item"
    assert misplaced.kind is BarcodeKind.PATRON
    assert chain.expect("30234000517861", "patron").error == "item_as_patron_card"
    assert chain.expect("30234000517861", "item").ok


def test_chain_without_rules_accepts_printable_scans_of_the_expected_kind() -> None:
    chain = BarcodeChain()
    assert chain.expect(" ABC-123 ", "item").value == "ABC-123"
    assert chain.expect("ABC-123", "item").kind is BarcodeKind.ITEM
    assert chain.classify("ab\x00c").error == "barcode_characters"


def test_rules_reject_unknown_options_and_bad_patterns() -> None:
    with pytest.raises(ValidationError):
        BarcodeRule(name="x", kind="item", checksum="luhn")  # type: ignore[call-arg]
    with pytest.raises(ValidationError):
        BarcodeRule(name="x", kind="item", charset="[unclosed")
    with pytest.raises(ValidationError):
        BarcodeRule(name="x", kind="shelf")  # type: ignore[arg-type]


@given(st.text(max_size=40))
def test_classify_never_raises(raw: str) -> None:
    result = BarcodeChain([PATRON, ITEM, ISBN]).classify(raw)
    assert result.ok == (result.error is None)


def test_every_barcode_problem_is_a_policy_reason_code() -> None:
    from kiosk.domain import barcode
    from kiosk.policy import REASON_CODES

    codes = {*barcode._PROBLEM_RANK, "barcode_unrecognised", "patron_card_as_item"}
    codes.add("item_as_patron_card")
    assert codes <= set(REASON_CODES)
