"""PINs (argon2id with an optional pepper), machine secrets and session tokens.

Nothing here logs or returns a PIN, a secret or a token except the freshly generated ones
handed to their owner once.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from kiosk.central.settings import CentralSettings


class PinHasher:
    """argon2id hashes of PINs; with a pepper the PIN is first HMAC-ed with it."""

    def __init__(self, settings: CentralSettings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        pepper = settings.pin_pepper.get_secret_value() if settings.pin_pepper else ""
        self._pepper = pepper.encode()

    def _prepare(self, pin: str) -> str:
        if not self._pepper:
            return pin
        return hmac.new(self._pepper, pin.encode(), hashlib.sha256).hexdigest()

    def hash(self, pin: str) -> str:
        return self._hasher.hash(self._prepare(pin))

    def verify(self, pin_hash: str | None, pin: str) -> bool:
        if not pin_hash:
            return False
        try:
            return self._hasher.verify(pin_hash, self._prepare(pin))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, pin_hash: str) -> bool:
        return self._hasher.check_needs_rehash(pin_hash)


def new_secret() -> str:
    """A machine secret or a session token: 256 bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Secrets and tokens are random and long: a fast hash is enough to store them."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a, b)


def mask_card(card: str) -> str:
    """What logs and screens may show of a card number."""
    return "•" * max(len(card) - 4, 0) + card[-4:]
