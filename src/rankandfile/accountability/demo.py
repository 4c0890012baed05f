"""Demo data for accountability (registered in RANKANDFILE_DEMO_SEEDERS)."""

from __future__ import annotations


def seed(seed: int) -> str:
    """Add the demo accountability data; return a one-line summary."""
    return "accountability: nothing yet"
