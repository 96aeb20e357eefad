"""One exception family for the whole product.

Code never builds a patron's sentence: an error names a message key and its parameters,
and the i18n catalogs hold the words. ``str(error)`` gives a plain English line for logs and
for the command line.
"""

from __future__ import annotations

from typing import Any, ClassVar


class KioskError(Exception):
    """Base of every error the product reports on purpose.

    ``exit_code`` is what the ``kiosk`` command exits with when this error ends it.
    """

    exit_code: ClassVar[int] = 1
    area: ClassVar[str] = "kiosk"

    def __init__(self, message_key: str, message: str | None = None, **params: Any) -> None:
        self.message_key = message_key
        self.params = params
        self.message = message or message_key
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class ConfigError(KioskError):
    """A configuration, profile or fixture is malformed. Exit code 2."""

    exit_code = 2
    area = "config"

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        message_key: str = "error.config",
        **params: Any,
    ) -> None:
        self.file = file
        self.key = key
        location = ": ".join(part for part in (file, key) if part)
        line = f"{location}: {message}" if location else message
        super().__init__(message_key, line, file=file, key=key, **params)


class DeviceError(KioskError):
    """A device could not be opened or answered wrongly. Exit code 3."""

    exit_code = 3
    area = "device"


class CirculationError(KioskError):
    """A circulation request could not be carried out. Exit code 4."""

    exit_code = 4
    area = "circulation"


class QueueError(KioskError):
    """The local transaction queue refused work (for example, the disk is full). Exit code 5."""

    exit_code = 5
    area = "queue"


class Sip2Error(KioskError):
    """A SIP2 message or peer misbehaved. Exit code 6."""

    exit_code = 6
    area = "sip2"


class StoreError(KioskError):
    """The central store could not be reached or refused the operation. Exit code 7."""

    exit_code = 7
    area = "central"
