"""Widgets of the kiosk screens, one per file."""
