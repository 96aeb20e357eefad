"""The HTTP API (FastAPI): thin routers over :mod:`kiosk.central.services`."""

from kiosk.central.api.app import create_app

__all__ = ["create_app"]
