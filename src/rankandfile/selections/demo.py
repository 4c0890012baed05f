"""Demo data for selections (registered in RANKANDFILE_DEMO_SEEDERS)."""

from __future__ import annotations


def seed(seed: int) -> str:
    """Add the demo selections data; return a one-line summary."""
    return "selections: nothing yet"
