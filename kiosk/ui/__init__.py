"""The Textual touch UI: screens, widgets, styles, and the bridge from device events."""

from kiosk.ui.app import KioskApp
from kiosk.ui.bridge import DeviceBridge

__all__ = ["DeviceBridge", "KioskApp"]
