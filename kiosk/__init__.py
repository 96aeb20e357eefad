"""Library self-service kiosk and return-machine controller."""

__version__ = "0.1.0"
