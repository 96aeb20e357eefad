"""The FastAPI application for one central store."""

from __future__ import annotations

from fastapi import FastAPI

from kiosk import __version__
from kiosk.central import Central
from kiosk.central.api import errors
from kiosk.central.api.routes import (
    health,
    items,
    machines,
    offline,
    patrons,
    receipts,
    transactions,
)


def create_app(central: Central) -> FastAPI:
    app = FastAPI(
        title="Library kiosk central",
        version=__version__,
        description="The contract between the machines and central: docs/central-api.md.",
    )
    app.state.central = central
    errors.install(app)
    for module in (health, transactions, patrons, items, offline, machines, receipts):
        app.include_router(module.router)
    return app
