"""Charts of a stored result, as PNG (matplotlib, no display needed).

Ranked counts: :func:`rankandfile.reports.charts.chart_png` (each candidate's votes at
every stage, with the quota), on the result rebuilt from its stored JSON. One-round counts
(approval, yes/no), which that chart does not cover: a bar per option, drawn here.
The chart is drawn from ``Ballot.result`` alone and is the same for every viewer, so the
view may cache it by the papers' digest.
"""

from __future__ import annotations

import io
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before pyplot: render to files, never to a screen

from matplotlib.figure import Figure

_COLOURS = ["#a3001b", "#1f4e79", "#0b6b2f", "#8a4b00", "#5b2a86", "#00707a", "#4a4a4a"]


def _number(value: Any) -> float:
    """Display only: exact values become floats for plotting, never for deciding."""
    if value is None:
        return 0.0
    if isinstance(value, int | float):
        return float(value)
    text = str(value)
    try:
        return float(Fraction(text)) if "/" in text else float(Decimal(text))
    except (InvalidOperation, ValueError, ZeroDivisionError):
        return 0.0


def result_chart_png(result: dict[str, Any] | None, title: str = "") -> bytes:
    """A PNG chart of ``result`` (``Ballot.result``); an empty chart when there is none."""
    if result and result.get("stages"):
        from rankandfile.counting.result import RankedResult
        from rankandfile.reports.charts import chart_png

        data = {k: v for k, v in result.items() if k != "kind"}
        return chart_png(RankedResult.from_dict(data), title=title)
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    result = result or {}
    if result.get("kind") == "yesno":
        labels = ["Yes", "No", "Abstain"]
        values = [_number(result.get(k.lower())) for k in labels]
        axes.bar(labels, values, color=[_COLOURS[2], _COLOURS[0], _COLOURS[6]])
        axes.set_ylabel("Votes")
    elif result.get("candidates") and "votes" in result["candidates"][0]:
        names = [c["name"] for c in result["candidates"]]
        values = [_number(c["votes"]) for c in result["candidates"]]
        colours = [_COLOURS[2] if c.get("elected") else _COLOURS[6] for c in result["candidates"]]
        axes.barh(names[::-1], values[::-1], color=colours[::-1])
        axes.set_xlabel("Votes")
    else:
        axes.text(0.5, 0.5, "No votes to chart", ha="center", va="center")
        axes.set_axis_off()
    if title:
        axes.set_title(title)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()
