"""Demo data for campaigns (registered in RANKANDFILE_DEMO_SEEDERS)."""

from __future__ import annotations


def seed(seed: int) -> str:
    """Add the demo campaigns data; return a one-line summary."""
    return "campaigns: nothing yet"
