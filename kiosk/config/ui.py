"""The self-checkout screen's section of the machine configuration (``[ui]``)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from kiosk.i18n import LANGUAGES


class UiSettings(BaseModel):
    """How the patron screen behaves. Times are in seconds."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    language: str = "en"
    """The language a new visit starts in: en, zh_CN, de or vi."""
    languages: tuple[str, ...] = ("en", "zh_CN", "de", "vi")
    """The language buttons on the welcome screen, in order."""
    idle_seconds: float = Field(default=120.0, ge=1, le=3600)
    """Inactivity before the "are you still there?" warning."""
    warning_seconds: float = Field(default=20.0, ge=1, le=600)
    """How long the warning counts down before the visit ends (WCAG 2.2.1 asks for >= 20)."""
    goodbye_seconds: float = Field(default=6.0, ge=0.5, le=120)
    """How long the goodbye screen stays before the welcome screen returns."""
    double_scan_seconds: float = Field(default=3.0, ge=0, le=60)
    """A second scan of the same barcode within this time is the same scan."""
    bell: bool = True
    """Sound the terminal bell on every scan (once for success, twice for a problem)."""
    sound_command: tuple[str, ...] = ()
    """Optional command run for each scan's sound; ``{tone}`` is replaced by ok/info/warn/error."""
    technician_pin_hash: str = ""
    """argon2id hash of the technician PIN (``kiosk ui hash-pin``); empty: no PIN entry."""
    technician_cards: tuple[str, ...] = ()
    """Card numbers that open technician mode when read at the welcome screen."""
    out_of_service_message: str = ""
    """Shown on the out-of-service screen; set from technician mode."""

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in LANGUAGES:
            raise ValueError(f"one of {', '.join(LANGUAGES)}")
        return value

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in LANGUAGES]
        if unknown or not value:
            raise ValueError(f"choose from {', '.join(LANGUAGES)}")
        return value

    @field_validator("technician_pin_hash")
    @classmethod
    def _hash(cls, value: str) -> str:
        if value and not value.startswith("$argon2"):
            raise ValueError("must be an argon2 hash, never the PIN itself")
        return value

    def technician_pin_ok(self, pin: str) -> bool:
        if not self.technician_pin_hash or not pin:
            return False
        try:
            return PasswordHasher().verify(self.technician_pin_hash, pin)
        except (VerificationError, InvalidHashError):
            return False


def hash_technician_pin(pin: str) -> str:
    return PasswordHasher().hash(pin)
