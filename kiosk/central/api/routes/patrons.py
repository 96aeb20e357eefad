from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header

from kiosk.central.api.deps import CurrentMachine, ServiceDep
from kiosk.central.schemas import AccountView, ErrorBody, LoginIn, LoginOut

router = APIRouter(prefix="/v1/patrons", tags=["patrons"])
ERRORS = {401: {"model": ErrorBody}, 403: {"model": ErrorBody}, 404: {"model": ErrorBody}}


@router.post("/login", response_model=LoginOut, responses={**ERRORS, 423: {"model": ErrorBody}})
def login(body: LoginIn, machine: CurrentMachine, service: ServiceDep) -> LoginOut:
    """Card + PIN; a short-lived session for reading the account."""
    return service.login(body.card, body.pin, machine=machine)


@router.get("/{card}/account", response_model=AccountView, responses=ERRORS)
def account(
    card: str,
    machine: CurrentMachine,
    service: ServiceDep,
    x_patron_session: Annotated[str | None, Header()] = None,
) -> AccountView:
    """Loans, holds, fees and credit of a logged-in patron."""
    service.check_session(card, x_patron_session)
    return service.account(card)
