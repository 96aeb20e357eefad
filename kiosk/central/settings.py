"""Central's settings: one typed tree, overridable with ``KIOSK_CENTRAL__<FIELD>``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CentralSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_CENTRAL__", extra="forbid")

    pin_max_attempts: int | None = Field(None, ge=1)
    """Wrong PINs in a row before the card is locked; None: the profile's ``[pin]``
    ``max_attempts`` (5 in all three libraries)."""
    pin_lock_minutes: int | None = Field(None, ge=1)
    """How long a card stays locked; None: the profile's ``lockout_minutes`` (15)."""
    session_minutes: int = Field(15, ge=1)
    """Lifetime of a patron session returned by login."""
    pin_pepper: SecretStr | None = None
    """Server-side secret mixed into every PIN hash (HMAC) so a stolen database alone does
    not allow an offline search of the small PIN space. Changing it invalidates all PINs."""
    argon2_time_cost: int = Field(2, ge=1)
    argon2_memory_kib: int = Field(19 * 1024, ge=8)
    """OWASP minimum profile for argon2id: m=19 MiB, t=2, p=1 (≈23 ms a PIN here)."""
    argon2_parallelism: int = Field(1, ge=1)
    notice_days_before_due: int = Field(3, ge=0)
    """Due-soon notices go out this many days before the due date."""
    mail_dir: Path = Path("var/mail")
    """Where the default mail adapter writes notices as .eml files."""
    mail_from: str = "library@localhost"
    snapshot_ttl_s: float = Field(0.0, ge=0)
    """Serve one built offline snapshot for this many seconds (0: build it for every request).
    A large network whose machines poll often may set 30: a snapshot for 100,000 patrons
    takes a second or two to build, and offline decisions tolerate that much staleness."""
    max_batch: int = Field(1000, ge=1)
    """Largest batch ``POST /v1/transactions`` accepts."""
