"""Simulated devices that speak the same bytes as the real ones."""
