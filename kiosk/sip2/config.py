"""The ``[central]`` section of a machine's configuration when central is an ILS over SIP2.

```toml
[central]
kind = "sip2"
host = "ils.example.org"
port = 6001
user = "kiosk-1"          # CN of the SIP2 login
password = "…"            # CO (or KIOSK_CENTRAL__PASSWORD)
location = "main"         # CP of the login, AP of checkins
institution = "HFL"       # AO
timezone = "Asia/Shanghai"
```

The machine configuration (``kiosk.config``) adds this model to its ``central`` field as one
member of a union discriminated by ``kind``; :func:`make_target` and :func:`make_lookups`
build what the forwarder and the session need from it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from kiosk.sip2.link import Sip2Link, Sip2LinkSettings

if TYPE_CHECKING:  # imported when used: reading a configuration needs neither
    from kiosk.sip2.lookups import Sip2Lookups
    from kiosk.sip2.target import Sip2Target


class Sip2CentralConfig(BaseModel):
    """An existing library system reached over SIP2 instead of our central's HTTP API."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, frozen=True)

    kind: Literal["sip2"]
    """Always "sip2": tells this section from central's HTTP one."""
    host: str = Field(min_length=1)
    """Host name or address of the ILS's SIP2 server."""
    port: int = Field(6001, ge=1, le=65535)
    """Its TCP port."""
    user: str = Field(min_length=1, max_length=255)
    """Login user id (CN of message 93) the library gave this machine."""
    password: SecretStr
    """Login password (CO of message 93)."""
    location: str = ""
    """Location code (CP of the login, AP of checkins): this machine's branch at the ILS."""
    institution: str = ""
    """Institution id (AO) the ILS expects in every request."""
    terminal_password: str = ""
    """Terminal password (AC), when the ILS uses one."""
    timezone: str = "UTC"
    """The ILS's time zone (SIP2 dates are local time without an offset)."""
    currency: str = Field("", max_length=3)
    """Currency code sent with fee payments (blank: the ILS's default)."""
    delimiter: str = Field("|", min_length=1, max_length=1)
    """Field delimiter the ILS is configured with."""
    encoding: str = "utf-8"
    """Character set of the ILS (utf-8, cp850, latin-1 …)."""
    error_detection: bool = True
    """Send sequence numbers and checksums (AY/AZ)."""
    timeout_s: float = Field(10.0, gt=0, le=300)
    """Seconds to wait for one response."""
    retries: int = Field(3, ge=0, le=20)
    """Resends after a 96 before the ILS counts as unreachable."""
    tls: bool = False
    """Connect with TLS (an ILS behind stunnel)."""
    tls_ca: Path | None = None
    """CA or self-signed certificate to trust for TLS (default: the system's)."""
    reconciliation: Path | None = None
    """SQLite file recording every SIP2 exchange of the forwarder (technician screen)."""

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"not a time zone: {value!r}") from exc
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        try:
            if "|AZ0".encode(value) != b"|AZ0":
                raise ValueError
        except (LookupError, ValueError) as exc:
            raise ValueError(f"not an ASCII-compatible character set: {value!r}") from exc
        return value

    def link_settings(self) -> Sip2LinkSettings:
        return Sip2LinkSettings(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password.get_secret_value(),
            location=self.location,
            institution=self.institution,
            terminal_password=self.terminal_password,
            timezone=self.timezone,
            currency=self.currency,
            delimiter=self.delimiter,
            encoding=self.encoding,
            error_detection=self.error_detection,
            timeout=self.timeout_s,
            retries=self.retries,
            tls=self.tls,
            tls_ca=self.tls_ca,
            reconciliation=self.reconciliation,
        )


def make_target(config: Sip2CentralConfig) -> Sip2Target:
    """The forwarder's target (its own connection)."""
    from kiosk.sip2.target import Sip2Target

    return Sip2Target(config.link_settings())


def make_lookups(config: Sip2CentralConfig) -> Sip2Lookups:
    """The session's online lookups (a second connection, so a slow batch never blocks a
    patron's login)."""
    from kiosk.sip2.lookups import Sip2Lookups

    return Sip2Lookups(Sip2Link(config.link_settings()))
