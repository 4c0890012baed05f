"""SVG charts of stored scores (matplotlib, no display; no pyplot)."""

from __future__ import annotations

import io

import matplotlib
from django.utils.translation import gettext

matplotlib.use("Agg")

from matplotlib.figure import Figure

RED, BLUE, GREY = "#a3001b", "#1f4e79", "#4a4a4a"


def _svg(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="svg", bbox_inches="tight")
    return out.getvalue()


def mp_chart_svg(rows: list[tuple[str, float | None, float | None]], title: str) -> bytes:
    """One bar per policy: the MP's agreement (0-100%), with the party's as a marker."""
    shown = [r for r in rows if r[1] is not None]
    figure = Figure(figsize=(8, 0.45 * max(len(shown), 2) + 1.2), dpi=100)
    axes = figure.subplots()
    labels = [r[0][:45] for r in shown][::-1]
    values = [100 * (r[1] or 0) for r in shown][::-1]
    party = [None if r[2] is None else 100 * r[2] for r in shown][::-1]
    axes.barh(labels, values, color=BLUE, label=gettext("MP"))
    for y, p in enumerate(party):
        if p is not None:
            axes.plot([p], [y], marker="D", color=RED, linestyle="none")
    axes.plot(
        [], [], marker="D", color=RED, linestyle="none", label=gettext("party (excluding the MP)")
    )
    axes.set_xlim(0, 100)
    axes.set_xlabel("Agreement with the policy (%)")
    axes.set_title(title)
    if shown:
        axes.legend(loc="lower right", fontsize="small")
    else:
        axes.text(50, 0.5, "No votes counted yet", ha="center")
    return _svg(figure)


def policy_chart_svg(bands: list[tuple[str, int]], title: str) -> bytes:
    """How many MPs fall in each wording band."""
    figure = Figure(figsize=(8, 4), dpi=100)
    axes = figure.subplots()
    labels = [b[0].replace("voted ", "").replace(" of for and against", "") for b in bands]
    counts = [b[1] for b in bands]
    colours = [BLUE, BLUE, BLUE, GREY, RED, RED, RED, GREY][: len(bands)]
    axes.barh(labels[::-1], counts[::-1], color=colours[::-1])
    axes.set_xlabel("MPs")
    axes.set_title(title)
    return _svg(figure)
