from __future__ import annotations

from fastapi import APIRouter

from kiosk.central.api.deps import CurrentMachine, ServiceDep
from kiosk.central.schemas import ErrorBody, ItemView

router = APIRouter(prefix="/v1/items", tags=["items"])


@router.get("/{barcode}", response_model=ItemView, responses={404: {"model": ErrorBody}})
def item(barcode: str, machine: CurrentMachine, service: ServiceDep) -> ItemView:
    """An item's status (no patron data)."""
    return service.item_status(barcode)
