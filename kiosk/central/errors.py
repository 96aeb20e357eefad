"""Errors the central store reports with a stable code (HTTP bodies, SIP2, the CLI)."""

from __future__ import annotations

from typing import Any

from kiosk.errors import StoreError

STATUS_BY_CODE: dict[str, int] = {
    "unauthorized": 401,
    "machine_mismatch": 403,
    "unknown_card": 404,
    "unknown_item": 404,
    "unknown_hold": 404,
    "wrong_pin": 401,
    "pin_required": 401,
    "card_locked": 423,
    "no_email": 409,
    "session_invalid": 401,
    "invalid_request": 422,
    "db_unreachable": 503,
}


class CentralError(StoreError):
    """``code`` is stable (clients switch on it); ``message`` is plain English for logs."""

    def __init__(
        self, code: str, message: str | None = None, *, status: int | None = None, **params: Any
    ) -> None:
        self.code = code
        self.status = status or STATUS_BY_CODE.get(code, 400)
        super().__init__(f"central.{code}", message or code.replace("_", " "), **params)
