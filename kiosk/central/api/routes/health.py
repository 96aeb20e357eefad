from __future__ import annotations

from fastapi import APIRouter

from kiosk.central.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> Health:
    """Liveness; the only endpoint without a machine credential."""
    return Health(status="ok")
