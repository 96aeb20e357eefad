"""The one place driver events become Textual messages.

Drivers call ``emit(event)`` from their reader threads; :class:`DeviceBridge` posts each event
to the app (``App.post_message`` is thread-safe). Nothing else in the UI knows a driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.app import App
from textual.message import Message

from drivers.events import DeviceEvent


class DeviceInput(Message):
    """A driver event, delivered on the UI loop."""

    def __init__(self, event: DeviceEvent) -> None:
        super().__init__()
        self.event = event


class Connectivity(Message):
    """The machine went online or offline (from the outbox forwarder)."""

    def __init__(self, online: bool, reason: str = "") -> None:
        super().__init__()
        self.online = online
        self.reason = reason


@dataclass
class DeviceBridge:
    app: App[Any]

    def emit(self, event: DeviceEvent) -> None:
        self.app.post_message(DeviceInput(event))

    def connectivity(self, online: bool, reason: str = "") -> None:
        self.app.post_message(Connectivity(online, reason))
