"""The result sheet of a count, laid out as a returning officer's.

Candidates are rows and stages are columns. Each stage after the first has two
sub-columns, the *transfer* (the change the stage made: ``+12.34567`` received,
``-40.00000`` passed on) and the *total* after it, under a heading naming the stage's
action ("First prefs", "Surplus of Smith", "Exclusion of Jones"). Below the candidates
come the non-transferable votes, the residual (value lost to truncation), the total and
the quota. The elected are marked with the order of their election, and a note lists every
tie and how it was broken.

:func:`build_sheet` turns any result into a :class:`Sheet` (plain data a template can lay
out); :func:`render_text` prints it for a terminal or a text file, wrapping wide counts
into blocks of stages that fit the width (the name columns repeat in each block), and
:func:`render_csv` writes one row per candidate and one column per stage.

Pure: the counting library and the standard library only (no Django), so the command line
and the web pages render the same sheet.
"""

from __future__ import annotations

import csv
import io
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from rankandfile.counting.methods import METHODS, AnyResult, as_ranked
from rankandfile.counting.result import Num, RankedResult, Stage, State
from rankandfile.counting.schulze import SchulzeResult

__all__ = [
    "Cell",
    "Column",
    "Row",
    "Sheet",
    "build_sheet",
    "format_number",
    "method_label",
    "pairwise_table",
    "render_csv",
    "render_text",
    "short_name",
    "stage_heading",
]

NAME_WIDTH = 26
"""Names longer than this are abbreviated in the text sheet."""

_PARTY_RE = re.compile(r'^(?P<name>[^"]+?)\s*"[^"]*\((?P<abbr>[^()"]{1,12})\)\s*"?\s*$')

METHOD_LABELS = {
    "block vote": "Block vote",
    "meek-prf": METHODS["meek"].label,
    **{name: info.label for name, info in METHODS.items()},
}


# ----------------------------------------------------------------------------- numbers
def format_number(v: Num | None, *, signed: bool = False) -> str:
    """A vote value as printed: ints as ints, decimals with their places, exactly."""
    if v is None:
        return ""
    if isinstance(v, Fraction):
        if v.denominator == 1:
            v = v.numerator
        else:
            text = f"{v.numerator}/{v.denominator}"
            return f"+{text}" if signed and v > 0 else text
    text = f"{v:f}" if isinstance(v, Decimal) else str(v)
    if signed and v > 0:
        return "+" + text
    return text


def short_name(name: str, width: int = NAME_WIDTH) -> str:
    """``'Gill AL-SAMARAI "Scottish National Party (SNP)"'`` -> ``'Gill AL-SAMARAI (SNP)'``,
    then cut to ``width`` characters with an ellipsis."""
    m = _PARTY_RE.match(name)
    if m:
        name = f"{m['name']} ({m['abbr']})"
    name = " ".join(name.split())
    if width > 1 and len(name) > width:
        return name[: width - 1].rstrip() + "…"
    return name


def stage_heading(stage: Stage, names: Sequence[str]) -> str:
    """What a stage did, as a column heading."""
    who = ", ".join(names[c] for c in stage.subjects)
    note = stage.note.lower()
    if stage.action == "first":
        return "First prefs"
    if stage.action == "surplus":
        return f"Surplus of {who}"
    if stage.action == "exclude":
        if "by quota" in note and "protected by quota" not in note:
            return f"Exclusion of {who} (by quota)"
        return f"Exclusion of {who}"
    if stage.action == "elect":
        if "deemed elected by quota" in note:
            return f"{who} deemed elected (by quota)"
        return f"Election of {who}" if who else "Election"
    if stage.action == "end":
        return "End of count"
    if stage.action == "count":
        return "Votes"
    if stage.action == "schulze":
        return "Pairwise wins"
    return stage.action.capitalize() + (f": {who}" if who else "")


# ----------------------------------------------------------------------------- model
@dataclass(frozen=True)
class Cell:
    """One candidate at one stage: the change and the total, as printed."""

    transfer: str  # "" when nothing changed (or at the first stage)
    total: str  # "" once the candidate is out of the count (or withdrawn); "-" at exclusion
    elected_here: bool = False  # elected at this stage


@dataclass(frozen=True)
class Column:
    number: int
    action: str
    heading: str
    cells: tuple[Cell, ...]  # one per candidate
    non_transferable: Cell
    residual: Cell
    total: str
    quota: str
    note: str
    first: bool  # no transfer sub-column


@dataclass(frozen=True)
class Row:
    name: str
    short: str
    status: str  # "Elected", "Not elected", "Excluded", "Withdrawn"
    order: int | None  # 1 for the first elected...
    stage: int | None  # the stage that decided it

    @property
    def mark(self) -> str:
        """Short status for the text sheet: ``Elected 1``, ``Excl. s4``..."""
        if self.order is not None:
            return f"Elected {self.order}"
        if self.status == "Excluded" and self.stage is not None:
            return f"Excl. s{self.stage}"
        return {"Not elected": "Not elected", "Withdrawn": "Withdrawn"}.get(
            self.status, self.status
        )


@dataclass(frozen=True)
class Sheet:
    title: str
    method: str
    method_label: str
    seats: int
    total_votes: str
    quota: str  # the quota when it is the same at every stage, else ""
    rows: tuple[Row, ...]
    columns: tuple[Column, ...]
    elected: tuple[str, ...]
    ties: tuple[str, ...]
    notes: tuple[str, ...]
    has_residual: bool

    @property
    def quota_label(self) -> str:
        """AV's per-stage "quota" is the majority of the continuing votes."""
        return "Majority" if self.method.startswith("av") else "Quota"

    @property
    def quota_varies(self) -> bool:
        return not self.quota and any(c.quota for c in self.columns)


def build_sheet(result: AnyResult, *, title: str = "") -> Sheet:
    """The sheet for ``result`` (any method's result; approval and Schulze are one stage)."""
    r: RankedResult = as_ranked(result)
    names = [c.name for c in r.candidates]
    shorts = [short_name(nm) for nm in names]
    columns = _columns(r, shorts)
    rows = tuple(_row(r, c, names[c], shorts[c]) for c in range(len(names)))
    ties = tuple(
        f"stage {t.stage}: {', '.join(shorts[c] for c in t.tied)} tied ({t.purpose}); "
        f"{shorts[t.chosen]} chosen {t.how}"
        for t in r.ties
    )
    return Sheet(
        title=title,
        method=r.method,
        method_label=method_label(r.method),
        seats=r.seats,
        total_votes=format_number(r.total_votes),
        quota=_single_quota(r, columns),
        rows=rows,
        columns=tuple(columns),
        elected=tuple(names[c] for c in r.elected),
        ties=ties,
        notes=r.notes,
        has_residual=any(s.residual != 0 for s in r.stages),
    )


def _columns(r: RankedResult, shorts: Sequence[str]) -> list[Column]:
    """One column per stage: each candidate's transfer and total, then the
    non-transferable votes, the residual, the total and the quota."""
    n = len(shorts)
    columns: list[Column] = []
    previous: tuple[Num, ...] | None = None
    prev_nt: Num = 0
    prev_res: Num = 0
    out_before: set[int] = set()  # excluded (or withdrawn) before the current stage
    seen_elected: set[int] = set()
    for s in r.stages:
        first = previous is None
        transfers = _transfers(s, previous, n)
        cells = _candidate_cells(s, n, transfers, first, out_before, seen_elected)
        for c in range(n):
            if s.states[c] is State.ELECTED:
                seen_elected.add(c)
            if s.states[c] in (State.EXCLUDED, State.WITHDRAWN) and s.votes[c] == 0:
                out_before.add(c)
        columns.append(_column(s, shorts, cells, first, prev_nt, prev_res))
        previous = s.votes
        prev_nt, prev_res = s.non_transferable, s.residual
    return columns


def _transfers(s: Stage, previous: tuple[Num, ...] | None, n: int) -> Sequence[Num | None]:
    """What the stage moved for each candidate: as the count recorded it, else the change
    from the previous stage (none at the first stage)."""
    if s.transfers is not None:
        return s.transfers
    if previous is not None:
        return [_sub(a, b) for a, b in zip(s.votes, previous, strict=True)]
    return [None] * n


def _candidate_cells(
    s: Stage,
    n: int,
    transfers: Sequence[Num | None],
    first: bool,
    out_before: set[int],
    seen_elected: set[int],
) -> list[Cell]:
    """Each candidate's cell at stage ``s``: blank once out of the count, ``-`` at the
    exclusion, the elected marked at the stage that elected them."""
    cells = []
    for c in range(n):
        st = s.states[c]
        t = transfers[c]
        if st is State.WITHDRAWN or c in out_before:
            cells.append(Cell("", ""))
            continue
        elected_here = st is State.ELECTED and c not in seen_elected
        if st is State.EXCLUDED and s.votes[c] == 0 and not first:
            total = "-"
        else:
            total = format_number(s.votes[c])
        transfer = "" if first or t is None or t == 0 else format_number(t, signed=True)
        cells.append(Cell(transfer, total, elected_here))
    return cells


def _column(
    s: Stage, shorts: Sequence[str], cells: list[Cell], first: bool, prev_nt: Num, prev_res: Num
) -> Column:
    """The stage's column: its heading, the candidates' cells and the rows below them."""
    d_nt = _sub(s.non_transferable, prev_nt)
    d_res = _sub(s.residual, prev_res)
    grand = sum((Fraction(v) for v in (*s.votes, s.non_transferable, s.residual)), Fraction(0))
    return Column(
        number=s.number,
        action=s.action,
        heading=stage_heading(s, shorts),
        cells=tuple(cells),
        non_transferable=Cell(
            "" if first or d_nt == 0 else format_number(d_nt, signed=True),
            format_number(s.non_transferable),
        ),
        residual=Cell(
            "" if first or d_res == 0 else format_number(d_res, signed=True),
            format_number(s.residual),
        ),
        total=_format_like(grand, s.votes),
        quota=format_number(s.quota),
        note=s.note,
        first=first,
    )


def _single_quota(r: RankedResult, columns: Sequence[Column]) -> str:
    """The quota when it is the same at every stage (printed once), else ``""``."""
    quotas = {c.quota for c in columns if c.quota}
    single_quota = format_number(r.quota) if r.quota is not None else ""
    if len(quotas) > 1:
        return ""
    if len(quotas) == 1 and not single_quota:
        return next(iter(quotas))
    return single_quota


def _sub(a: Num, b: Num) -> Num:
    """``a - b`` for vote values (one count uses one type; mixed types go exact)."""
    if isinstance(a, Decimal) and isinstance(b, Decimal | int):
        return a - b
    if isinstance(a, int) and isinstance(b, int):
        return a - b
    return Fraction(a) - Fraction(b)


def method_label(method: str) -> str:
    """A result's ``method`` in words (``"scottish-stv+quota"`` -> "..., with quota")."""
    base, plus, _ = method.partition("+")
    label = METHOD_LABELS.get(base, base)
    return f"{label}, with quota" if plus else label


def _format_like(total: Fraction, votes: Sequence[Num]) -> str:
    """A computed total printed with the places the stage's votes use."""
    sample = next((v for v in votes if isinstance(v, Decimal)), None)
    if sample is not None:
        exp = sample.as_tuple().exponent
        places = -exp if isinstance(exp, int) and exp < 0 else 0
        value = Decimal(total.numerator) / Decimal(total.denominator)
        return f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    return format_number(total)


def _row(r: RankedResult, c: int, name: str, short: str) -> Row:
    final = r.stages[-1].states[c] if r.stages else State.HOPEFUL
    if c in r.elected:
        stage = next((s.number for s in r.stages if s.states[c] is State.ELECTED), None)
        return Row(name, short, "Elected", r.elected.index(c) + 1, stage)
    if final is State.WITHDRAWN:
        return Row(name, short, "Withdrawn", None, None)
    if c in r.excluded:
        stage = next(
            (s.number for s in r.stages if s.states[c] is State.EXCLUDED and c in s.subjects),
            None,
        )
        if stage is None:
            stage = next((s.number for s in r.stages if s.states[c] is State.EXCLUDED), None)
        return Row(name, short, "Excluded", None, stage)
    return Row(name, short, "Not elected", None, None)


# ----------------------------------------------------------------------------- text
def render_text(result: AnyResult | Sheet, *, width: int = 100, title: str = "") -> str:
    """The sheet as text. Stages are wrapped into blocks no wider than ``width``
    characters (``width <= 0``: one block however wide)."""
    sheet = result if isinstance(result, Sheet) else build_sheet(result, title=title)
    lines: list[str] = []
    head = sheet.title or "Result of the count"
    lines += [head, "=" * len(head)]
    lines.append(f"Method: {sheet.method_label}")
    facts = [f"Seats: {sheet.seats}", f"Valid votes: {sheet.total_votes}"]
    if sheet.quota:
        facts.append(f"Quota: {sheet.quota}")
    lines.append("   ".join(facts))
    lines.append("")

    name_w = max([len("Candidate"), len("Non-transferable")] + [len(r.short) for r in sheet.rows])
    mark_w = max([len("Result")] + [len(r.mark) for r in sheet.rows])
    left_w = name_w + 2 + mark_w

    # Width of each stage block: sub-columns wide enough for every figure.
    blocks: list[tuple[Column, int, int]] = []  # column, transfer width, total width
    for col in sheet.columns:
        cells = [*col.cells, col.non_transferable, col.residual]
        tw = 0 if col.first else max([len(c.transfer) for c in cells] + [6])
        vw = 2 + max([len(c.total) for c in cells] + [len(col.total), len(col.quota), 6])
        blocks.append((col, tw, vw))

    def block_width(b: tuple[Column, int, int]) -> int:
        _, tw, vw = b
        return (tw + 1 if tw else 0) + vw

    groups: list[list[tuple[Column, int, int]]] = []
    for b in blocks:
        if groups and (
            width <= 0
            or left_w + sum(block_width(x) + 3 for x in groups[-1]) + block_width(b) + 3 <= width
        ):
            groups[-1].append(b)
        else:
            groups.append([b])

    for g_index, group in enumerate(groups):
        if g_index:
            lines.append("")
        lines.extend(_render_block(sheet, group, name_w, mark_w))
    lines.append("")
    lines.append("* elected at this stage")
    lines.append("")
    if sheet.elected:
        lines.append("Elected, in order of election:")
        lines.extend(f"  {i}. {nm}" for i, nm in enumerate(sheet.elected, 1))
    if sheet.ties:
        lines.append("Ties:")
        lines.extend(f"  - {t}" for t in sheet.ties)
    notes = [f"stage {c.number}: {c.note}" for c in sheet.columns if c.note]
    if notes or sheet.notes:
        lines.append("Notes:")
        lines.extend(f"  - {nt}" for nt in sheet.notes)
        lines.extend(f"  - {nt}" for nt in notes)
    out = []
    for line in lines:
        if width > 0 and len(line) > width and line.startswith("  - "):
            out.extend(textwrap.wrap(line, width, subsequent_indent="    "))
        else:
            out.append(line.rstrip())
    text = "\n".join(out) + "\n"
    if isinstance(result, SchulzeResult):
        text += "\n" + pairwise_table(result, width=width)
    return text


def _render_block(
    sheet: Sheet,
    group: list[tuple[Column, int, int]],
    name_w: int,
    mark_w: int,
) -> list[str]:
    widths = [(b[1] + 1 if b[1] else 0) + b[2] for b in group]
    # Heading: "Stage N" then the action wrapped to the block width.
    head_lines: list[list[str]] = []
    for (col, _, _), w in zip(group, widths, strict=True):
        wrapped = textwrap.wrap(col.heading, max(w, 8), break_on_hyphens=False) or [""]
        head_lines.append([f"Stage {col.number}", *wrapped])
    depth = max(len(h) for h in head_lines)
    out: list[str] = []
    left_blank = " " * (name_w + 2 + mark_w)
    for k in range(depth):
        parts = [h[k] if k < len(h) else "" for h in head_lines]
        left = f"{'Candidate':<{name_w}}  {'Result':<{mark_w}}" if k == depth - 1 else left_blank
        out.append(left + "".join(f" | {p:^{w}}" for p, w in zip(parts, widths, strict=True)))
    plus_minus, total_head = "+/-", "Total"
    sub = "".join(
        " | " + (f"{plus_minus:>{tw}} " if tw else "") + f"{total_head:>{vw - 2}}  "
        for _, tw, vw in group
    )
    out.append(left_blank + sub)
    rule = "-" * (name_w + 2 + mark_w) + "".join("-+-" + "-" * w for w in widths)
    out.append(rule)

    def line(label: str, mark: str, cells: list[Cell]) -> str:
        text = f"{label:<{name_w}}  {mark:<{mark_w}}"
        for cell, (_, tw, vw) in zip(cells, group, strict=True):
            mark = " *" if cell.elected_here else "  "
            transfer = f"{cell.transfer:>{tw}} " if tw else ""
            text += f" | {transfer}{cell.total:>{vw - 2}}{mark}"
        return text.rstrip()

    for i, row in enumerate(sheet.rows):
        out.append(line(row.short, row.mark, [col.cells[i] for col, _, _ in group]))
    out.append(rule)
    out.append(line("Non-transferable", "", [col.non_transferable for col, _, _ in group]))
    if sheet.has_residual:
        out.append(line("Residual", "", [col.residual for col, _, _ in group]))
    out.append(line("Total", "", [Cell("", col.total) for col, _, _ in group]))
    if sheet.quota_varies:
        out.append(line(sheet.quota_label, "", [Cell("", col.quota) for col, _, _ in group]))
    return out


# ----------------------------------------------------------------------------- CSV
def render_csv(result: AnyResult | Sheet) -> str:
    """One row per candidate, one column per stage (the candidate's total after it).

    The header names each stage (``"Stage 2: Surplus of Smith"``); a ``Result`` column
    follows the name. Rows for the non-transferable votes, the residual, the total and
    the quota (``Majority`` for AV) follow the candidates. Values are exact (as in the
    JSON); a candidate out of the count has an empty cell (``0`` at their exclusion).
    """
    sheet = result if isinstance(result, Sheet) else build_sheet(result)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Candidate", "Result", *(f"Stage {c.number}: {c.heading}" for c in sheet.columns)])
    for i, row in enumerate(sheet.rows):
        status = f"Elected {row.order}" if row.order is not None else row.status
        cells = [c.cells[i].total for c in sheet.columns]
        w.writerow([row.name, status, *("0" if t == "-" else t for t in cells)])
    w.writerow(["Non-transferable", "", *(c.non_transferable.total for c in sheet.columns)])
    w.writerow(["Residual", "", *(c.residual.total for c in sheet.columns)])
    w.writerow(["Total", "", *(c.total for c in sheet.columns)])
    w.writerow([sheet.quota_label, "", *(c.quota for c in sheet.columns)])
    return buf.getvalue()


def pairwise_table(result: SchulzeResult, *, width: int = 100) -> str:
    """Schulze's pairwise table: row beats column by how many ballots, then the strongest
    paths, as text. Candidates are numbered in the headings to keep the table narrow."""
    names = [short_name(c.name, 24) for c in result.candidates]
    n = len(names)
    out: list[str] = []
    for title, m in (
        ("Pairwise contests (ballots preferring row to column)", result.pairwise),
        ("Strongest paths", result.strongest_paths),
    ):
        cw = max([len(str(v)) for row in m for v in row] + [len(str(n)) + 1, 3])
        nw = max(len(nm) for nm in names) + 5
        out.append(title)
        out.append(" " * nw + "".join(f" {f'#{j + 1}':>{cw}}" for j in range(n)))
        for i, row in enumerate(m):
            cells = "".join(f" {'-' if i == j else v:>{cw}}" for j, v in enumerate(row))
            out.append(f"{f'#{i + 1} {names[i]}':<{nw}}{cells}")
        out.append("")
    out.append("Ranking: " + ", ".join(names[c] for c in result.ranking))
    winner = result.condorcet_winner()
    out.append(
        "Condorcet winner: "
        + (names[winner] if winner is not None else "none (no candidate beats all)")
    )
    return "\n".join(line if width <= 0 else line[: max(width, 40)] for line in out) + "\n"
