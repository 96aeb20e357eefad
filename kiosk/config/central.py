"""How the machine reaches central (``[central]``): see docs/central-api.md."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator


class CentralConfig(BaseModel):
    """Central's HTTP API and this machine's credential."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    kind: Literal["http"] = "http"
    """"http" (the default): our central's HTTP API; "sip2" is an ILS over SIP2 instead."""
    url: str
    """Central's base URL, e.g. https://central.library.example or http://127.0.0.1:8700."""
    secret: SecretStr | None = None
    """The secret `kiosk central add-machine` printed (better: ``secret_file``, or the
    environment variable KIOSK_CENTRAL__SECRET)."""
    secret_file: Path | None = None
    """A file holding the secret on its first line (readable by the kiosk user only)."""
    timeout_s: float = Field(10.0, gt=0, le=300)
    """Longest wait for one request's reply."""
    connect_timeout_s: float = Field(3.0, gt=0, le=60)
    """Longest wait to open a connection."""
    ca_file: Path | None = None
    """A CA bundle for a central with a private certificate (https only)."""

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")) or len(value) < 10:
            raise ValueError("expected an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _one_secret(self) -> CentralConfig:
        if (self.secret is None) == (self.secret_file is None):
            raise ValueError("give exactly one of secret and secret_file")
        return self

    def read_secret(self) -> str:
        """The secret, from the file when one is named."""
        if self.secret is not None:
            return self.secret.get_secret_value()
        from kiosk.errors import ConfigError

        assert self.secret_file is not None
        try:
            line = self.secret_file.read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError) as exc:
            raise ConfigError(
                f"cannot read the machine secret from {self.secret_file}",
                key="central.secret_file",
            ) from exc
        return line
