"""Rank and File: member-led democracy for a mass-membership party."""

__version__ = "0.1.0"
