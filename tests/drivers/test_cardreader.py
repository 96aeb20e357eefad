"""The card reader: magnetic stripe track 2 and card-as-barcode, on a real pty."""

from __future__ import annotations

import pytest

from drivers.cardreader import CardReader, CardReaderSettings, compile_patterns
from drivers.events import CardEvent
from drivers.link import SerialSettings
from drivers.sim.scanner import ScannerSim

from .conftest import Events, wait_until


def test_track2_and_barcode_cards(events: Events) -> None:
    with ScannerSim() as sim, CardReader("card", SerialSettings(sim.path), events.put) as reader:
        assert reader.link.wait_connected(3)
        sim.swipe("21234000012345")
        assert events.wait_for(CardEvent).card_number == "21234000012345"
        sim.swipe("21234000099999", track2_extra="2912101")
        event = events.wait_for(CardEvent)
        assert (event.card_number, event.source) == ("21234000099999", "track2")
        sim.scan("A21234000055555B", aim="]F0")
        event = events.wait_for(CardEvent)
        assert (event.card_number, event.source) == ("21234000055555", "barcode")


@pytest.mark.parametrize(
    ("read", "card"),
    [
        ("21234000012346", "21234000012346"),
        ("A21234000012346B", "21234000012346"),  # Codabar start and stop: dropped
        ("]F0c21234000012346d", "21234000012346"),
        ("A000000001", "A000000001"),  # Hamburg: the letter is part of the card number
        ("]C0A000000001", "A000000001"),
    ],
)
def test_codabar_start_and_stop_are_dropped_only_as_a_pair(read: str, card: str) -> None:
    reader = CardReader("card", SerialSettings("loop://"), lambda event: None)
    assert reader.parse(read) == (card, "barcode")


def test_unmatched_input_is_rejected_not_guessed(events: Events) -> None:
    with ScannerSim() as sim, CardReader("card", SerialSettings(sim.path), events.put) as reader:
        assert reader.link.wait_connected(3)
        sim.scan(";12AB?")
        sim.scan("%B1234^DOE/JOHN^?")  # track 1 has the holder's name: never accepted
        assert wait_until(lambda: reader.rejected == 2)
        assert not [e for e in events.seen if isinstance(e, CardEvent)]


def test_configurable_pattern(events: Events) -> None:
    settings = CardReaderSettings(patterns=(r"LIB(?P<card>\d{8})",))
    with (
        ScannerSim() as sim,
        CardReader("card", SerialSettings(sim.path), events.put, settings) as reader,
    ):
        assert reader.link.wait_connected(3)
        sim.scan("LIB12345678")
        assert events.wait_for(CardEvent).card_number == "12345678"
        sim.swipe("21234000012345")  # track 2 no longer configured
        assert wait_until(lambda: reader.rejected == 1)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        (r"(\d+", "not a regular expression"),
        (r"\d+", "has no (?P<card>...) group"),
    ],
)
def test_bad_patterns_say_what_is_wrong(pattern: str, message: str) -> None:
    with pytest.raises(
        ValueError,
        match=message.replace("(", r"\(")
        .replace(")", r"\)")
        .replace("?", r"\?")
        .replace(".", r"\."),
    ):
        compile_patterns((pattern,))


def test_rejected_card_data_is_not_logged(events: Events, caplog) -> None:
    with ScannerSim() as sim, CardReader("card", SerialSettings(sim.path), events.put) as reader:
        assert reader.link.wait_connected(3)
        sim.scan("%B4111111111111111^DOE/JOHN^2912?")
        assert wait_until(lambda: reader.rejected == 1)
    assert "DOE" not in caplog.text and "4111" not in caplog.text
    assert "%a9999999999999999^aaa/aaaa^9999?" in caplog.text
