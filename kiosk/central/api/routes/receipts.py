"""``POST /v1/receipts``: e-mail a receipt to the address on file, never revealing it."""

from __future__ import annotations

from fastapi import APIRouter, BackgroundTasks, Response

from kiosk.central.api.deps import CurrentMachine, ServiceDep
from kiosk.central.schemas import ErrorBody, ReceiptIn, ReceiptOut

router = APIRouter(prefix="/v1/receipts", tags=["receipts"])


@router.post(
    "",
    response_model=ReceiptOut,
    status_code=202,
    responses={
        401: {"model": ErrorBody},
        404: {"model": ErrorBody},
        409: {"model": ErrorBody},
    },
)
def email_receipt(
    body: ReceiptIn,
    machine: CurrentMachine,
    service: ServiceDep,
    background: BackgroundTasks,
    response: Response,
) -> ReceiptOut:
    """Queue the receipt as an e-mail to the card's address; it is sent right after the
    answer. A resend with the same ``receipt_id`` answers 200 and sends nothing new."""
    out = service.receipts.queue(body, machine=machine)
    if out.queued:
        background.add_task(service.receipts.send, body.receipt_id)
    else:
        response.status_code = 200
    return out
