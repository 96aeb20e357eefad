"""The central circulation store: models, migrations, services, HTTP API, daily jobs.

Objects are wired by :func:`open_central` (called by the CLI and the tests); nothing here
opens a database at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from kiosk.central.db import make_engine, migrate, require_current, session_factory
from kiosk.central.errors import CentralError
from kiosk.central.settings import CentralSettings
from kiosk.clock import Clock, SystemClock

if TYPE_CHECKING:
    from kiosk.central.services import CirculationService, DailyJobs
    from kiosk.policy import Profile


@dataclass
class Central:
    """One central store: its engine, its library's profile, and the services over them."""

    engine: Engine
    sessions: sessionmaker[Session]
    clock: Clock
    settings: CentralSettings
    policy_override: str | None = None
    _profile: Profile | None = field(default=None, repr=False)
    _service: CirculationService | None = field(default=None, repr=False)

    @property
    def library(self):
        from kiosk.central import models

        with self.sessions() as s:
            return s.scalar(select(models.Library))

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            from kiosk.central.services.loading import profile_for

            policy = self.policy_override
            if policy is None:
                library = self.library
                if library is None:
                    raise CentralError(
                        "no_library",
                        "the store holds no library yet: load a fixture first or pass --policy",
                        status=503,
                    )
                policy = library.policy
            self._profile = profile_for(policy)
        return self._profile

    @property
    def service(self) -> CirculationService:
        if self._service is None:
            from kiosk.central.services import CirculationService

            self._service = CirculationService(
                self.sessions, self.profile, self.clock, self.settings
            )
        return self._service

    def jobs(self) -> DailyJobs:
        from kiosk.central.services import DailyJobs

        return DailyJobs(self.sessions, self.profile, self.service.applier)

    def dispose(self) -> None:
        self.engine.dispose()


def open_central(
    url: str,
    *,
    policy: str | Path | None = None,
    clock: Clock | None = None,
    settings: CentralSettings | None = None,
    schema: str | None = None,
    run_migrations: bool = True,
) -> Central:
    """Open (and by default migrate) the store at ``url``."""
    engine = make_engine(url, schema=schema)
    if run_migrations:
        migrate(engine)
    else:
        require_current(engine)
    return Central(
        engine=engine,
        sessions=session_factory(engine),
        clock=clock or SystemClock(),
        settings=settings or CentralSettings(),
        policy_override=str(policy) if policy is not None else None,
    )


__all__ = ["Central", "CentralError", "CentralSettings", "open_central"]
