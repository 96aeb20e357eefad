"""Build a machine's queue, forwarder and offline decider from its configuration.

Called by the command that runs a machine (``kiosk run``/``kiosk demo``); nothing here runs
at import time. The caller starts the forwarder and stops it on the way out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from kiosk.clock import Clock
from kiosk.errors import ConfigError
from kiosk.outbox.forwarder import Backoff, Forwarder
from kiosk.outbox.http import HttpTarget
from kiosk.outbox.offline import OfflineCache, OfflineDecider
from kiosk.outbox.store import Outbox
from kiosk.outbox.target import Target

if TYPE_CHECKING:
    from kiosk.config import MachineConfig
    from kiosk.policy import Profile


def make_target(config: MachineConfig) -> Target:
    """The forwarder's target for the configured ``[central]``."""
    central = config.central
    if central is None:
        raise ConfigError("no [central] section: the machine cannot reach central", key="central")
    if central.kind == "sip2":
        from kiosk.sip2.config import make_target as make_sip2_target

        return make_sip2_target(central)
    return HttpTarget(
        central.url,
        config.machine_id,
        central.read_secret(),
        timeout_s=central.timeout_s,
        connect_timeout_s=central.connect_timeout_s,
        ca_file=str(central.ca_file) if central.ca_file else None,
    )


@dataclass
class MachineQueue:
    outbox: Outbox
    forwarder: Forwarder
    cache: OfflineCache
    decider: OfflineDecider

    def close(self) -> None:
        self.forwarder.stop()
        self.forwarder.target.close()
        self.outbox.close()


def open_machine_queue(
    config: MachineConfig,
    *,
    clock: Clock | None = None,
    profile: Profile | None = None,
    target: Target | None = None,
) -> MachineQueue:
    """The machine's queue wired to its central (``[central]``: central's HTTP API, or an ILS
    over SIP2 with ``kind = "sip2"``), or to ``target`` when one is given."""
    settings = config.outbox
    if target is None:
        target = make_target(config)
    timeout_s = 0.0
    central = config.central
    if central is not None and central.kind == "sip2":
        # A failed exchange ends the batch; one exchange may be resent ``retries`` times.
        timeout_s = central.timeout_s * (central.retries + 1)
    elif central is not None:
        timeout_s = central.timeout_s + central.connect_timeout_s
    outbox = Outbox(
        settings.path,
        config.machine_id,
        clock=clock,
        retention=timedelta(days=settings.retention_days),
        min_free_bytes=settings.min_free_mib * 1024 * 1024,
    )
    cache = OfflineCache(outbox)
    forwarder = Forwarder(
        outbox,
        target,
        batch_size=settings.batch_size,
        # A send must end before the lease does, or a second forwarder could take over.
        lease_s=max(settings.lease_s, 2 * (timeout_s + 1)),
        wait_s=settings.wait_s,
        backoff=Backoff(base_s=settings.backoff_base_s, max_s=settings.backoff_max_s),
        cache=cache,
        refresh_every_s=settings.refresh_every_s,
        heartbeat_every_s=settings.heartbeat_every_s,
    )
    return MachineQueue(
        outbox, forwarder, cache, OfflineDecider(cache, profile=profile, clock=clock)
    )
