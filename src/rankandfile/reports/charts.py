"""Charts of a count: each candidate's votes stage by stage, with the quota.

One line per candidate across the stages (x: the stages, labelled with what each did; y:
votes). Elected candidates are drawn bold with a star at the stage they were elected;
excluded candidates' lines stop at their exclusion; the quota is a dashed line (a step
line when it changes, as in Meek STV or the majority in AV). Values are converted to
floats for drawing only -- the sheet and the JSON stay exact.

Matplotlib's object API with the Agg canvas is used directly (no ``pyplot``, no global
state), so charts can be drawn from web requests and worker threads alike.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from rankandfile.counting.methods import AnyResult, as_ranked
from rankandfile.counting.result import RankedResult, Stage, State
from rankandfile.reports.sheet import method_label, short_name, stage_heading

__all__ = ["chart_png", "plot_rounds", "save_chart"]


def plot_rounds(result: AnyResult, *, title: str = "") -> Figure:
    """A figure of every candidate's votes by stage, with the quota line."""
    r = as_ranked(result)
    names = [short_name(c.name, 30) for c in r.candidates]
    xs = list(range(len(r.stages)))
    n_stages = len(r.stages)
    fig = Figure(figsize=(min(18.0, max(8.0, 3.5 + 1.1 * n_stages)), 6.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    cmap = _palette(len(names))
    for rank, c in enumerate(_legend_order(r)):
        _plot_candidate(ax, r, c, names[c], cmap[rank % len(cmap)], xs)
    _plot_quota(ax, r, xs)
    _label_axes(ax, r, names, xs, title)
    return fig


def _legend_order(r: RankedResult) -> list[int]:
    """The elected in order of election, then the others by their votes at the end."""
    return sorted(
        range(len(r.candidates)),
        key=lambda c: (
            0 if c in r.elected else 1,
            r.elected.index(c) if c in r.elected else -float(r.stages[-1].votes[c]),
        ),
    )


def _votes_until_out(stages: Sequence[Stage], c: int) -> tuple[list[float], int | None]:
    """Candidate ``c``'s votes stage by stage until withdrawn or excluded (with no votes
    left), and the stage from which she is out (``None`` if never)."""
    ys: list[float] = []
    for k, s in enumerate(stages):
        state = s.states[c]
        if state is State.WITHDRAWN:
            return ys, k
        ys.append(float(s.votes[c]))
        if state is State.EXCLUDED and s.votes[c] == 0 and k > 0:
            return ys, k
    return ys, None


def _plot_candidate(
    ax: Axes, r: RankedResult, c: int, name: str, colour: str, xs: list[int]
) -> None:
    """One candidate's line: bold with a star where she was elected, dotted when she went
    out of the count, dashed otherwise."""
    ys, out_from = _votes_until_out(r.stages, c)
    if not ys:
        return
    elected = c in r.elected
    label = name + (f"  (elected {r.elected.index(c) + 1})" if elected else "")
    ax.plot(
        xs[: len(ys)],
        ys,
        marker="o",
        markersize=3.5 if elected else 2.5,
        linewidth=2.4 if elected else 1.2,
        alpha=1.0 if elected else 0.75,
        color=colour,
        label=label,
        linestyle="-" if elected else (":" if out_from is not None else "--"),
    )
    if elected:
        first = next(
            (k for k, s in enumerate(r.stages) if s.states[c] is State.ELECTED), len(ys) - 1
        )
        if first < len(ys):
            ax.plot(
                [xs[first]],
                [ys[first]],
                marker="*",
                markersize=13,
                color=colour,
                markeredgecolor="black",
                linestyle="none",
            )


def _plot_quota(ax: Axes, r: RankedResult, xs: list[int]) -> None:
    """The quota (AV: the majority) as a dashed line, a step line when it changes."""
    quotas = [None if s.quota is None else float(s.quota) for s in r.stages]
    if not any(q is not None for q in quotas):
        return
    qx = [x for x, q in zip(xs, quotas, strict=True) if q is not None]
    qy = [q for q in quotas if q is not None]
    label = "majority" if r.method.startswith("av") else "quota"
    if len(set(qy)) == 1:
        ax.axhline(qy[0], color="black", linestyle=(0, (6, 3)), linewidth=1.3, label=label)
    else:
        ax.step(
            qx,
            qy,
            where="mid",
            color="black",
            linestyle=(0, (6, 3)),
            linewidth=1.3,
            label=label,
        )


def _label_axes(ax: Axes, r: RankedResult, names: Sequence[str], xs: list[int], title: str) -> None:
    """Stage ticks named by what each stage did, the axes, the title and the legend."""
    n_stages = len(r.stages)
    ticks = [f"{s.number}\n{_wrap(stage_heading(s, names), 16)}" for s in r.stages]
    ax.set_xticks(xs, ticks, fontsize=7 if n_stages > 8 else 8)
    ax.set_xlim(-0.3, max(xs) + 0.3 if xs else 1)
    ax.set_ylim(bottom=0)
    ax.set_xlabel("Stage")
    ax.set_ylabel("Votes")
    ax.grid(axis="y", alpha=0.3)
    ax.spines[["top", "right"]].set_visible(False)
    heading = title or "Votes by stage"
    ax.set_title(
        f"{heading}\n{method_label(r.method)} · {r.seats} seat{'s' if r.seats != 1 else ''}",
        fontsize=11,
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)


def save_chart(
    result: AnyResult,
    target: str | os.PathLike[str] | IO[bytes],
    *,
    title: str = "",
    dpi: int = 120,
    fmt: str | None = None,
) -> None:
    """Draw the chart and write it to ``target`` (a path or a binary file). The format
    comes from ``fmt`` or the path's extension (PNG by default)."""
    fig = plot_rounds(result, title=title)
    if fmt is None:
        if isinstance(target, str | os.PathLike):
            suffix = Path(os.fspath(target)).suffix.lower().lstrip(".")
            fmt = suffix if suffix in ("png", "svg", "pdf") else "png"
        else:
            fmt = "png"
    fig.savefig(target, dpi=dpi, format=fmt)


def chart_png(result: AnyResult, *, title: str = "", dpi: int = 120) -> bytes:
    """The chart as PNG bytes (for a web response)."""
    buf = io.BytesIO()
    save_chart(result, buf, title=title, dpi=dpi, fmt="png")
    return buf.getvalue()


def _wrap(text: str, width: int) -> str:
    words = text.split()
    lines: list[str] = []
    line = ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    if len(lines) > 3:
        lines = [*lines[:2], lines[2][: width - 1] + "…"]
    return "\n".join(lines)


def _palette(n: int) -> list[str]:
    """Distinguishable colours (Okabe-Ito, then tab20's) for ``n`` candidates."""
    base = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"]
    extra = [
        "#1f77b4",
        "#ff7f0e",
        "#2ca02c",
        "#d62728",
        "#9467bd",
        "#8c564b",
        "#e377c2",
        "#7f7f7f",
        "#bcbd22",
        "#17becf",
        "#aec7e8",
        "#ffbb78",
        "#98df8a",
        "#ff9896",
    ]
    return (base + extra)[: max(n, 1)] if n <= len(base) + len(extra) else base + extra
