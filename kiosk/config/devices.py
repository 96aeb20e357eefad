"""The ``[devices.NAME]`` sections: one table per serial device of the machine.

Each table has a ``kind`` (``scanner``, ``card_reader``, ``printer``, ``return_unit``), a
``url`` (a device path such as ``/dev/serial/by-id/usb-…``, any pyserial URL such as
``loop://``, ``socket://host:port``, ``rfc2217://host:port``, ``spy:///dev/ttyUSB0``, or
``sim:`` for a built-in simulator on a fresh pty) and the line settings. The models convert
to the drivers' own settings, so ``drivers`` never sees pydantic or ``kiosk``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

import serial
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from drivers.cardreader import BARCODE_PATTERN, TRACK2_PATTERN, compile_patterns
from drivers.events import Emit
from drivers.framing import FramerSettings, Terminator
from drivers.link import URL_SCHEMES, SerialSettings
from drivers.printer import Backend, PrinterSettings
from drivers.returnunit import ReturnUnitSettings
from drivers.scanner import ScannerSettings

if TYPE_CHECKING:
    from drivers.sim.base import Simulator

SIM_URL = "sim:"
URL_HELP = (
    "expected a device path (/dev/serial/by-id/…, /dev/ttyUSB0), a pyserial URL "
    "(loop://, socket://HOST:PORT, rfc2217://HOST:PORT, spy:///dev/…, hwgrep://REGEX) or sim:"
)
DEVICE_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)


class FramingConfig(_Section):
    """How the device ends and wraps each message."""

    terminator: Terminator = Terminator.CR
    """What ends a frame: cr, lf, crlf or etx."""
    prefix: str = ""
    """Characters the device sends before each frame, stripped (TOML escapes: "\\u0002")."""
    suffix: str = ""
    """Characters the device sends after each frame (before the terminator), stripped."""
    require_affixes: bool = False
    """Reject frames without the prefix and suffix instead of accepting them as they are."""
    max_length: int = Field(64, ge=1, le=4096)
    """Longest accepted frame in characters; longer input is noise."""
    frame_timeout: float = Field(0.5, gt=0, le=60)
    """Seconds after which an unterminated partial frame is dropped."""

    @field_validator("prefix", "suffix")
    @classmethod
    def _latin1(cls, value: str) -> str:
        try:
            value.encode("latin-1")
        except UnicodeEncodeError as exc:
            raise ValueError("must be single-byte characters (use \\u00XX escapes)") from exc
        return value

    def to_driver(self) -> FramerSettings:
        return FramerSettings(
            terminator=self.terminator,
            prefix=self.prefix.encode("latin-1"),
            suffix=self.suffix.encode("latin-1"),
            require_affixes=self.require_affixes,
            max_length=self.max_length,
            frame_timeout=self.frame_timeout,
        )


class SerialPortConfig(_Section):
    url: str
    """Device path, pyserial URL, or sim: (see the module help)."""
    baudrate: int = 9600
    """Line speed in bits per second."""
    bytesize: Literal[5, 6, 7, 8] = 8
    """Data bits per character."""
    parity: Literal["N", "E", "O", "M", "S"] = "N"
    """N(one), E(ven), O(dd), M(ark), S(pace)."""
    stopbits: Literal[1, 1.5, 2] = 1
    """Stop bits per character."""
    flow_control: Literal["none", "xonxoff", "rtscts", "dsrdtr"] = "none"
    """Software (XON/XOFF) or hardware (RTS/CTS, DSR/DTR) flow control."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        value = value.strip()
        if value == SIM_URL or value.startswith("/") or value.startswith(URL_SCHEMES):
            return value
        raise ValueError(f"{value!r}: {URL_HELP}")

    @field_validator("baudrate")
    @classmethod
    def _baudrate(cls, value: int) -> int:
        if value not in serial.Serial.BAUDRATES:
            common = "1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200"
            raise ValueError(f"{value} is not a standard baud rate ({common} …)")
        return value

    @property
    def simulated(self) -> bool:
        return self.url == SIM_URL

    def serial_settings(self, url: str | None = None) -> SerialSettings:
        """The driver's settings; ``url`` replaces ``sim:`` with the simulator's pty."""
        return SerialSettings(
            url=url or self.url,
            baudrate=self.baudrate,
            bytesize=self.bytesize,
            parity=self.parity,
            stopbits=self.stopbits,
            xonxoff=self.flow_control == "xonxoff",
            rtscts=self.flow_control == "rtscts",
            dsrdtr=self.flow_control == "dsrdtr",
        )


class ScannerConfig(SerialPortConfig):
    """A barcode scanner (or RFID pad) sending one frame per read."""

    kind: Literal["scanner"]
    framing: FramingConfig = FramingConfig()
    """Terminator, prefix/suffix and noise limits."""
    duplicate_window: float = Field(1.0, ge=0, le=60)
    """Seconds within which a repeat of the same code is dropped (0: keep every read)."""
    strip_codabar_start_stop: bool = True
    """Remove Codabar start/stop characters A-D around the code."""

    def to_driver(self) -> ScannerSettings:
        return ScannerSettings(
            framing=self.framing.to_driver(),
            duplicate_window=self.duplicate_window,
            strip_codabar_start_stop=self.strip_codabar_start_stop,
        )


class CardReaderConfig(SerialPortConfig):
    """A magnetic stripe reader (track 2) or a scanner that reads patron cards."""

    kind: Literal["card_reader"]
    framing: FramingConfig = FramingConfig()
    """Terminator, prefix/suffix and noise limits."""
    patterns: list[str] = [TRACK2_PATTERN, BARCODE_PATTERN]
    """Regular expressions tried in order against the whole frame; each needs a
    (?P<card>...) group."""
    duplicate_window: float = Field(1.0, ge=0, le=60)
    """Seconds within which a repeat of the same card is dropped."""

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one pattern")
        compile_patterns(tuple(value))
        return value

    def to_driver(self):  # type: ignore[no-untyped-def]
        from drivers.cardreader import CardReaderSettings

        return CardReaderSettings(
            framing=self.framing.to_driver(),
            patterns=tuple(self.patterns),
            duplicate_window=self.duplicate_window,
        )


class PrinterConfig(SerialPortConfig):
    """An ESC/POS receipt printer."""

    kind: Literal["printer"]
    backend: Backend = Backend.SERIAL
    """serial (url), file (path, e.g. /dev/usb/lp0) or dummy (prints nowhere)."""
    url: str = ""
    """For the serial back end: device path, pyserial URL or sim:."""
    path: str = ""
    """For the file back end: the file or device node written to."""
    width: int = Field(42, ge=24, le=80)
    """Characters per line (42 for 80 mm paper with font A on most printers)."""
    profile: str = "TM-T88III"
    """python-escpos printer profile (capabilities such as cutting and code pages)."""
    poll_interval: float = Field(2.0, ge=0, le=300)
    """Seconds between status polls (DLE EOT); 0 disables polling."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return SerialPortConfig._url(value) if value else value

    @model_validator(mode="after")
    def _backend_target(self) -> PrinterConfig:
        if self.backend is Backend.SERIAL and not self.url:
            raise ValueError("the serial back end needs a url")
        if self.backend is Backend.FILE and not self.path:
            raise ValueError("the file back end needs a path")
        return self

    @property
    def simulated(self) -> bool:
        return self.backend is Backend.SERIAL and self.url == SIM_URL

    def to_driver(self) -> PrinterSettings:
        return PrinterSettings(
            width=self.width, profile=self.profile, poll_interval=self.poll_interval
        )


class ReturnUnitConfig(SerialPortConfig):
    """The return machine's I/O board (docs/return-unit-protocol.md)."""

    kind: Literal["return_unit"]
    bins: int = Field(3, ge=1, le=32)
    """Number of sort bins behind the diverter."""
    ack_timeout: float = Field(0.5, gt=0, le=10)
    """Seconds to wait for the board to acknowledge a command before sending it again."""
    retries: int = Field(2, ge=0, le=10)
    """Repeats of an unacknowledged command before it fails."""
    jam_timeout: float = Field(3.0, gt=0, le=120)
    """Seconds a photo-eye may stay blocked (belt running) before it counts as a jam."""

    def to_driver(self) -> ReturnUnitSettings:
        return ReturnUnitSettings(
            bins=self.bins,
            ack_timeout=self.ack_timeout,
            retries=self.retries,
            jam_timeout=self.jam_timeout,
        )


DeviceConfig = Annotated[
    ScannerConfig | CardReaderConfig | PrinterConfig | ReturnUnitConfig,
    Field(discriminator="kind"),
]
DEVICE_KINDS = ("scanner", "card_reader", "printer", "return_unit")


def _device_name(name: str) -> str:
    if not DEVICE_NAME.fullmatch(name):
        raise ValueError(
            f"device name {name!r}: use lower-case letters, digits, - and _ "
            "(up to 32, starting with a letter)"
        )
    return name


DeviceName = Annotated[str, AfterValidator(_device_name)]


# --- wiring: configuration -> running driver (and its simulator for ``sim:``) -------------


class OpenDevice:
    """A configured device's driver, plus the simulator behind it when the url is ``sim:``.

    ``driver`` is a :class:`~drivers.scanner.BarcodeScanner`,
    :class:`~drivers.cardreader.CardReader`, :class:`~drivers.printer.ReceiptPrinter` or
    :class:`~drivers.returnunit.ReturnUnit`; ``simulator`` (or None) is scriptable
    (``simulator.scan(...)``, ``simulator.jam()`` …), which the demo uses.
    """

    def __init__(self, name: str, config: DeviceConfig, emit: Emit) -> None:
        from drivers.cardreader import CardReader
        from drivers.printer import ReceiptPrinter
        from drivers.returnunit import ReturnUnit
        from drivers.scanner import BarcodeScanner
        from drivers.sim import PrinterSim, ReturnUnitSim, ScannerSim

        self.name = name
        self.config = config
        self.simulator: Simulator | None = None
        url: str | None = None
        if config.simulated:
            if isinstance(config, ScannerConfig | CardReaderConfig):
                framing = config.framing
                self.simulator = ScannerSim(
                    terminator=framing.terminator,
                    prefix=framing.prefix.encode("latin-1"),
                    suffix=framing.suffix.encode("latin-1"),
                )
            elif isinstance(config, PrinterConfig):
                self.simulator = PrinterSim()
            else:
                self.simulator = ReturnUnitSim(bins=config.bins)
            url = self.simulator.path
        self.driver: Any
        if isinstance(config, ScannerConfig):
            self.driver = BarcodeScanner(
                name, config.serial_settings(url), emit, config.to_driver()
            )
        elif isinstance(config, CardReaderConfig):
            self.driver = CardReader(name, config.serial_settings(url), emit, config.to_driver())
        elif isinstance(config, PrinterConfig):
            serial_settings = config.serial_settings(url) if config.url else None
            self.driver = ReceiptPrinter(
                name,
                emit,
                backend=config.backend,
                serial=serial_settings,
                path=config.path or None,
                settings=config.to_driver(),
            )
        else:
            self.driver = ReturnUnit(name, config.serial_settings(url), emit, config.to_driver())

    @property
    def url(self) -> str:
        if self.simulator is not None:
            return f"sim: ({self.simulator.path})"
        if isinstance(self.config, PrinterConfig) and self.config.backend is not Backend.SERIAL:
            return f"{self.config.backend.value}: {self.config.path}"
        return self.config.url

    def start(self) -> OpenDevice:
        if self.simulator is not None:
            self.simulator.start()
        self.driver.start()
        return self

    def stop(self) -> None:
        self.driver.stop()
        if self.simulator is not None:
            self.simulator.stop()

    def __enter__(self) -> OpenDevice:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
