"""The machine configuration: one typed tree, read from TOML, overridable from the
environment (``KIOSK_MACHINE_ID``, ``KIOSK_DEVICES__SCANNER__URL`` …).

Adding a section: write its model in ``kiosk/config/<area>.py`` (``extra="forbid"``, a
docstring per field, defaults where a sensible one exists) and add one field here.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Discriminator, Field, Tag, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kiosk.config.central import CentralConfig
from kiosk.config.devices import DeviceConfig, DeviceName
from kiosk.config.outbox import OutboxConfig
from kiosk.config.returns import ReturnsConfig
from kiosk.config.ui import UiSettings
from kiosk.sip2.config import Sip2CentralConfig

IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def _central_kind(value: Any) -> str:
    """``[central]`` without ``kind`` is central's HTTP API."""
    if isinstance(value, dict):
        return str(value.get("kind", "http"))
    return str(getattr(value, "kind", "http"))


AnyCentral = Annotated[
    Annotated[CentralConfig, Tag("http")] | Annotated[Sip2CentralConfig, Tag("sip2")],
    Discriminator(
        _central_kind,
        custom_error_type="central_kind",
        custom_error_message='kind must be "http" (central\'s API) or "sip2" (an ILS)',
    ),
]
"""``[central]``: our central over HTTP, or an existing library system over SIP2."""


class Mode(StrEnum):
    CHECKOUT = "checkout"
    RETURN = "return"
    BOTH = "both"


class MachineConfig(BaseSettings):
    """Everything one kiosk or return machine needs to know about itself."""

    model_config = SettingsConfigDict(
        env_prefix="KIOSK_",
        env_nested_delimiter="__",
        extra="forbid",
        use_attribute_docstrings=True,
        frozen=True,
    )

    machine_id: str
    """This machine's name at central (letters, digits, . _ -; up to 64)."""
    library: str
    """The library's policy profile: a name in config/policies/ (hefei, hamburg, sanjose)."""
    mode: Mode = Mode.CHECKOUT
    """What the machine offers: checkout (and renew, account), return, or both."""
    devices: dict[DeviceName, DeviceConfig] = Field(default_factory=dict)
    """Serial devices by name, e.g. [devices.scanner] with kind = "scanner"."""
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    """The local durable queue ([outbox]): file, wait for central, retention, retries."""
    central: AnyCentral | None = None
    """Central's URL and this machine's secret ([central]), or with kind = "sip2" an ILS's
    SIP2 server and login; none: no central configured."""
    returns: ReturnsConfig = Field(default_factory=ReturnsConfig)
    """The return machine ([returns]): sort bins, read retries, jam and door recovery."""
    ui: UiSettings = Field(default_factory=UiSettings)
    """The patron screen ([ui]): language, inactivity timeout, technician PIN hash."""

    @field_validator("machine_id", "library")
    @classmethod
    def _identifier(cls, value: str) -> str:
        if not IDENTIFIER.fullmatch(value):
            raise ValueError("use letters, digits, '.', '_' and '-' (up to 64, no spaces)")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The environment overrides the file (passed in as init values); no .env files.
        return (env_settings, init_settings)

    def devices_of_kind(self, kind: str) -> dict[str, DeviceConfig]:
        return {name: device for name, device in self.devices.items() if device.kind == kind}
