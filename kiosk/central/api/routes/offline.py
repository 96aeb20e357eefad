from __future__ import annotations

import json

from fastapi import APIRouter, Response

from kiosk.central.api.deps import CurrentMachine, ServiceDep
from kiosk.central.schemas import PolicyOut, SnapshotOut
from kiosk.central.services.results import jsonable

router = APIRouter(prefix="/v1", tags=["offline cache"])


@router.get("/policy", response_model=PolicyOut)
def policy(machine: CurrentMachine, service: ServiceDep) -> PolicyOut:
    """The library's profile as data, with its version."""
    return PolicyOut(**service.policy_document())


@router.get("/snapshot", response_model=SnapshotOut)
def snapshot(machine: CurrentMachine, service: ServiceDep) -> Response:
    """What a machine caches to decide while central is unreachable."""
    # Large (every patron): serialised directly rather than validated field by field.
    body = json.dumps(jsonable(service.snapshot()), ensure_ascii=False, separators=(",", ":"))
    return Response(body.encode(), media_type="application/json")
