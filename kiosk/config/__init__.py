"""The machine's configuration: one typed pydantic tree read from a TOML file.

``load_config(path)`` returns a :class:`MachineConfig` or raises :class:`ConfigInvalid`
listing every problem as (file, dotted key, message). Environment variables override the
file: ``KIOSK_`` plus the dotted key with ``__`` for dots (``KIOSK_DEVICES__SCANNER__URL``).
Each area keeps its section in its own module (``devices.py``) and adds one field to
:class:`MachineConfig` in ``machine.py``. ``config/kiosk.example.toml`` shows every section.
"""

from kiosk.config.loader import ConfigInvalid, ConfigProblem, load_config, read_config
from kiosk.config.machine import MachineConfig, Mode

__all__ = ["ConfigInvalid", "ConfigProblem", "MachineConfig", "Mode", "load_config", "read_config"]
