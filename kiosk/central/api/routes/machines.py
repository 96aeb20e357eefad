from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter

from kiosk.central.api.deps import CurrentMachine, ServiceDep
from kiosk.central.schemas import ExceptionsOut, HeartbeatIn, HeartbeatOut, MachinesOut

router = APIRouter(prefix="/v1", tags=["machines and staff"])


@router.post("/machines/heartbeat", response_model=HeartbeatOut)
def heartbeat(body: HeartbeatIn, machine: CurrentMachine, service: ServiceDep) -> HeartbeatOut:
    """A machine reports its queue depth and mode; central answers with its time."""
    now = service.heartbeat(
        machine, queue_depth=body.queue_depth, oldest_age_s=body.oldest_age_s, mode=body.mode
    )
    return HeartbeatOut(server_time=now)


@router.get("/machines", response_model=MachinesOut)
def machines(machine: CurrentMachine, service: ServiceDep) -> MachinesOut:
    """Every machine's last heartbeat, queue depth and mode (for staff)."""
    return MachinesOut(machines=service.machines())


@router.get("/exceptions", response_model=ExceptionsOut)
def exceptions(
    machine: CurrentMachine, service: ServiceDep, since: datetime | None = None
) -> ExceptionsOut:
    """Offline transactions that broke a rule, with their reasons, for staff."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=service.profile.zone)
    return ExceptionsOut(exceptions=service.exceptions(since))
