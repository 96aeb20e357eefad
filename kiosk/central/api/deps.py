"""Dependencies shared by the routers: the service and the calling machine."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from kiosk.central.services import CirculationService


def get_service(request: Request) -> CirculationService:
    return request.app.state.central.service


ServiceDep = Annotated[CirculationService, Depends(get_service)]


def current_machine(
    service: ServiceDep,
    authorization: Annotated[str | None, Header()] = None,
    x_kiosk_machine: Annotated[str | None, Header()] = None,
) -> str:
    """The machine named by ``X-Kiosk-Machine`` whose bearer secret matches."""
    secret = None
    if authorization and authorization[:7].lower() == "bearer ":
        secret = authorization[7:].strip()
    return service.authenticate_machine(x_kiosk_machine, secret)


CurrentMachine = Annotated[str, Depends(current_machine)]
