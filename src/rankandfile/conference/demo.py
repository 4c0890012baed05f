"""Demo data for conference (registered in RANKANDFILE_DEMO_SEEDERS)."""

from __future__ import annotations


def seed(seed: int) -> str:
    """Add the demo conference data; return a one-line summary."""
    return "conference: nothing yet"
