"""One click group per area of the ``kiosk`` command; wired together in :mod:`kiosk.cli`."""
