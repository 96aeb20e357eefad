from __future__ import annotations

from fastapi import APIRouter

from kiosk.central.api.deps import CurrentMachine, ServiceDep
from kiosk.central.errors import CentralError
from kiosk.central.schemas import TxBatchIn, TxBatchOut, TxOutcomeOut
from kiosk.domain import Transaction

router = APIRouter(prefix="/v1", tags=["transactions"])


@router.post("/transactions", response_model=TxBatchOut)
def ingest(body: TxBatchIn, machine: CurrentMachine, service: ServiceDep) -> TxBatchOut:
    """Apply a batch: one outcome per transaction, in the order sent."""
    if len(body.transactions) > service.settings.max_batch:
        raise CentralError("batch_too_large", f"at most {service.settings.max_batch} per batch")
    txs = []
    for tx in body.transactions:
        try:
            txs.append(Transaction.from_wire(tx.model_dump(mode="json")))
        except (ValueError, KeyError) as exc:
            raise CentralError(
                "invalid_request", f"transaction {tx.uuid}: {exc}", status=422
            ) from exc
    results = service.apply_batch(txs, machine=machine)
    return TxBatchOut(outcomes=[TxOutcomeOut(**r.to_wire()) for r in results])
