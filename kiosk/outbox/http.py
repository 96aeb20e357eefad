"""Central's HTTP API as a forwarder target (docs/central-api.md)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import httpx

from kiosk.domain import Transaction
from kiosk.outbox.store import Delivery
from kiosk.outbox.target import TargetRejected, TargetUnavailable, check_deliveries

# Statuses after which the same request may succeed later.
_RETRYABLE = {401, 403, 408, 409, 425, 429}
# Error codes that no retry can cure, whatever their status (a 403 is otherwise retried).
_FINAL_CODES = {"machine_mismatch"}


class HttpTarget:
    """POST /v1/transactions with the machine's bearer token; GET the offline cache bodies."""

    name = "central-http"
    SUPPORTS_SNAPSHOT: ClassVar[bool] = True

    def __init__(
        self,
        base_url: str,
        machine: str,
        secret: str,
        *,
        timeout_s: float = 10.0,
        connect_timeout_s: float = 3.0,
        ca_file: str | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.machine = machine
        self._client = httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {secret}", "X-Kiosk-Machine": machine},
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            trust_env=False,
            # Plain http needs no TLS context (loading the CA bundle costs ~70 ms at start).
            verify=(ca_file or True) if self.base_url.startswith("https:") else False,
        )

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TargetUnavailable(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code in _RETRYABLE:
            code, message = _error_parts(response)
            if code in _FINAL_CODES:
                raise TargetRejected(code, self._explain(code, message))
            raise TargetUnavailable(f"central answered {response.status_code}: {_error(response)}")
        if response.status_code >= 400:
            code, message = _error_parts(response)
            raise TargetRejected(code, message)
        try:
            return response.json()
        except ValueError as exc:
            raise TargetUnavailable(f"central's reply is not JSON: {exc}") from exc

    def _explain(self, code: str, message: str) -> str:
        if code == "machine_mismatch":
            return (
                f"{message} (central knows this machine as {self.machine!r}: its machine_id "
                "or [central] secret is wrong; fix the configuration, then `kiosk queue retry`)"
            )
        return message

    def send(self, transactions: Sequence[Transaction]) -> list[Delivery]:
        body = {"transactions": [t.to_wire() for t in transactions]}
        data = self._request("POST", "/v1/transactions", json=body)
        try:
            deliveries = [Delivery.from_wire(o) for o in data["outcomes"]]
        except (KeyError, TypeError, ValueError) as exc:
            raise TargetUnavailable(f"central's reply has no usable outcomes: {exc}") from exc
        return check_deliveries(transactions, deliveries)

    def fetch_policy(self) -> dict[str, Any]:
        return dict(self._request("GET", "/v1/policy"))

    def fetch_snapshot(self) -> dict[str, Any]:
        return dict(self._request("GET", "/v1/snapshot"))

    def heartbeat(self, *, queue_depth: int, oldest_age_s: float, mode: str) -> None:
        self._request(
            "POST",
            "/v1/machines/heartbeat",
            json={"queue_depth": queue_depth, "oldest_age_s": oldest_age_s, "mode": mode},
        )

    def close(self) -> None:
        self._client.close()


def _error_parts(response: httpx.Response) -> tuple[str, str]:
    try:
        error = response.json()["error"]
        return str(error.get("code", response.status_code)), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return str(response.status_code), response.text[:200]


def _error(response: httpx.Response) -> str:
    code, message = _error_parts(response)
    return f"{code} {message}".strip()
