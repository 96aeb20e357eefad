"""The central store's services: every database transaction starts here."""

from kiosk.central.errors import CentralError
from kiosk.central.services.circulation import CirculationService, LoginResult
from kiosk.central.services.jobs import DailyJobs, TickReport
from kiosk.central.services.loading import LoadReport, load_fixture
from kiosk.central.services.results import TxResult

__all__ = [
    "CentralError",
    "CirculationService",
    "DailyJobs",
    "LoadReport",
    "LoginResult",
    "TickReport",
    "TxResult",
    "load_fixture",
]
