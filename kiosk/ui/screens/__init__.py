"""Kiosk screens, one per file."""
