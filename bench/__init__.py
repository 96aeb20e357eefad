"""Benchmarks: each module runs with ``python -m bench.<name>`` and prints its figures.

Figures are recorded, with the machine and the date, in docs/BENCHMARKS.md. Speed is never
asserted in a test.
"""
