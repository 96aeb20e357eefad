"""The machine configuration: the example stays valid, every problem is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.config import ConfigInvalid, MachineConfig, Mode, load_config, read_config
from kiosk.config.devices import CardReaderConfig, PrinterConfig, ScannerConfig
from kiosk.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config" / "kiosk.example.toml"


@pytest.fixture(autouse=True)
def no_kiosk_environment(monkeypatch) -> None:
    """A developer's own KIOSK_* variables must not leak into these tests."""
    import os

    for name in list(os.environ):
        if name.startswith("KIOSK_"):
            monkeypatch.delenv(name)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "machine.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_example_is_valid_and_complete() -> None:
    config = load_config(EXAMPLE)
    assert config.mode is Mode.BOTH
    kinds = {device.kind for device in config.devices.values()}
    assert kinds == {"scanner", "card_reader", "printer", "return_unit"}
    scanner = config.devices["scanner"]
    assert isinstance(scanner, ScannerConfig)
    assert scanner.serial_settings().baudrate == 9600
    assert scanner.to_driver().framing.terminator == "cr"
    printer = config.devices["printer"]
    assert isinstance(printer, PrinterConfig) and printer.serial_settings().xonxoff


def test_every_field_has_a_docstring() -> None:
    from kiosk.config import devices

    models = [
        MachineConfig,
        devices.FramingConfig,
        devices.ScannerConfig,
        devices.CardReaderConfig,
        devices.PrinterConfig,
        devices.ReturnUnitConfig,
    ]
    for model in models:
        for name, field in model.model_fields.items():
            if name != "kind":
                assert field.description, f"{model.__name__}.{name} has no docstring"


BAD = """\
machine_id = "bad id"
mode = "sideways"
colour = "red"

[devices.scanner]
kind = "scanner"
url = "COM3"
baudrate = 9601

[devices.scanner.framing]
terminator = "tab"

[devices.Printer]
kind = "printer"
backend = "file"

[devices.x]
kind = "toaster"
url = "loop://"

[devices.card]
kind = "card_reader"
url = "loop://"
patterns = ['\\d+']
"""


def test_all_problems_reported_as_file_key_message_rows(tmp_path: Path) -> None:
    path = write(tmp_path, BAD)
    config, problems = read_config(path)
    assert config is None
    rows = {(p.key, p.line) for p in problems}
    assert ("machine_id", 1) in rows
    assert ("library", None) in rows
    assert ("mode", 2) in rows
    assert ("colour", 3) in rows
    assert ("devices.scanner.url", 7) in rows
    assert ("devices.scanner.baudrate", 8) in rows
    assert ("devices.scanner.framing.terminator", 11) in rows
    assert ("devices.Printer", 13) in rows
    assert ("devices.x.kind", 18) in rows
    assert ("devices.card.patterns", 24) in rows
    assert all(p.file == str(path) for p in problems)
    messages = {p.key: p.message for p in problems}
    assert "not a standard baud rate" in messages["devices.scanner.baudrate"]
    assert "unknown setting" in messages["colour"]
    assert "(?P<card>...)" in messages["devices.card.patterns"]
    assert len(problems) == 11


def test_load_config_raises_one_config_error_with_all_problems(tmp_path: Path) -> None:
    with pytest.raises(ConfigInvalid) as caught:
        load_config(write(tmp_path, BAD))
    assert isinstance(caught.value, ConfigError) and caught.value.exit_code == 2
    assert len(caught.value.problems) == 11
    assert "and 10 more" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("machine_id = 'a'\nlibrary = \n", "not valid TOML"),
    ],
)
def test_broken_toml(tmp_path: Path, text: str, message: str) -> None:
    _, problems = read_config(write(tmp_path, text))
    assert len(problems) == 1 and message in problems[0].message and problems[0].line == 2


def test_missing_file(tmp_path: Path) -> None:
    _, problems = read_config(tmp_path / "nope.toml")
    assert problems[0].message == "file not found"


MINIMAL = """\
machine_id = "m1"
library = "hamburg"
[devices.scanner]
kind = "scanner"
url = "/dev/ttyUSB0"
"""


def test_environment_overrides_the_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KIOSK_MODE", "return")
    monkeypatch.setenv("KIOSK_DEVICES__SCANNER__URL", "socket://127.0.0.1:7000")
    monkeypatch.setenv("KIOSK_DEVICES__SCANNER__FRAMING__TERMINATOR", "crlf")
    monkeypatch.setenv("KIOSK_NOW", "2026-01-01")  # other areas' variables are ignored
    config = load_config(write(tmp_path, MINIMAL))
    assert config.mode is Mode.RETURN
    scanner = config.devices["scanner"]
    assert scanner.url == "socket://127.0.0.1:7000"
    assert scanner.framing.terminator == "crlf"
    assert config.library == "hamburg"


def test_a_bad_environment_value_names_the_variable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("KIOSK_DEVICES__SCANNER__BAUDRATE", "12")
    _, problems = read_config(write(tmp_path, MINIMAL))
    assert [(p.file, p.key) for p in problems] == [
        ("$KIOSK_DEVICES__SCANNER__BAUDRATE", "devices.scanner.baudrate")
    ]


def test_urls_accepted_and_refused() -> None:
    for url in [
        "/dev/serial/by-id/usb-x",
        "loop://",
        "socket://127.0.0.1:1",
        "sim:",
        "rfc2217://h:2217",
        "spy:///dev/ttyUSB0",
        "hwgrep://0403:6001",
    ]:
        assert ScannerConfig(kind="scanner", url=url).url == url
    for url in ["COM3", "ttyUSB0", "http://x"]:
        with pytest.raises(ValueError, match="expected a device path"):
            ScannerConfig(kind="scanner", url=url)


def test_card_patterns_compile_into_the_driver() -> None:
    card = CardReaderConfig(kind="card_reader", url="loop://", patterns=[r"X(?P<card>\d+)"])
    assert card.to_driver().patterns == (r"X(?P<card>\d+)",)


def test_prefix_escape_reaches_the_framer() -> None:
    scanner = ScannerConfig(
        kind="scanner", url="loop://", framing={"prefix": "\u0002", "terminator": "etx"}
    )
    assert scanner.to_driver().framing.prefix == b"\x02"


def test_a_table_without_its_kind(tmp_path: Path) -> None:
    _, problems = read_config(write(tmp_path, MINIMAL + '[devices.other]\nurl = "loop://"\n'))
    assert [(p.key, p.line) for p in problems] == [("devices.other.kind", 6)]
    assert "required setting is missing" in problems[0].message
