"""JSON API for campaigns (mounted under /api/v1/ by rankandfile.api)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["campaigns"])
