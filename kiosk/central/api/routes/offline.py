from __future__ import annotations

from fastapi import APIRouter

from kiosk.central.api.deps import CurrentMachine, ServiceDep
from kiosk.central.schemas import PolicyOut, SnapshotOut

router = APIRouter(prefix="/v1", tags=["offline cache"])


@router.get("/policy", response_model=PolicyOut)
def policy(machine: CurrentMachine, service: ServiceDep) -> PolicyOut:
    """The library's profile as data, with its version."""
    return PolicyOut(**service.policy_document())


@router.get("/snapshot", response_model=SnapshotOut)
def snapshot(machine: CurrentMachine, service: ServiceDep) -> SnapshotOut:
    """What a machine caches to decide while central is unreachable."""
    return SnapshotOut(**service.snapshot())
