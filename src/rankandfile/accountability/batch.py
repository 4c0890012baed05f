"""The batch recompute: every MP's score on every policy, into :class:`Score` rows (rule B1).

Runs as a task after imports and link changes (``tasks.recompute_scores``); pages read
the stored rows only. Vectorised: the votes on linked divisions become one
(MPs × divisions) array of :class:`scoring.Position` codes and
:func:`scoring.score_matrix` scores every pair at once.

Which divisions count for an MP (rule A7, shared/domain.md "Only divisions during the
MP's membership count"): those they sat for (a vote or an absence recorded) and, for an
MP who has ever been in our party, only those while they were in it — their party on
the day is the record's, corrected by their recorded party changes
(:func:`parties.party_on`). The division's primary source is used: the Commons Votes
export where we have it, else the MNIS history.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from rankandfile.accountability import scoring
from rankandfile.accountability.models import (
    Division,
    PackedVotes,
    PartyChange,
    Policy,
    PolicyDivision,
    Score,
    ScoreRun,
)
from rankandfile.accountability.parties import canonical, is_ours, our_party_name
from rankandfile.membership.models import MP


@dataclass(frozen=True)
class RecomputeResult:
    mps: int
    policies: int
    divisions: int
    scores: int
    seconds: float


@transaction.atomic
def recompute_scores(
    *, policy_ids: Iterable[int] | None = None, reason: str = "recompute"
) -> RecomputeResult:
    """Recompute and store the scores of every MP on the given policies (all if None).

    Replaces those policies' :class:`Score` rows in one transaction, so a page never sees
    a half-written set. Records a :class:`ScoreRun`.
    """
    started = time.perf_counter()
    started_at = timezone.now()
    policies = list(Policy.objects.order_by("pk").values_list("pk", flat=True))
    if policy_ids is not None:
        wanted = set(policy_ids)
        policies = [p for p in policies if p in wanted]
    pol_index = {p: i for i, p in enumerate(policies)}
    links = list(
        PolicyDivision.objects.filter(policy_id__in=policies).values_list(
            "policy_id", "division_id", "aye_supports", "strength"
        )
    )
    division_ids = sorted({lk[1] for lk in links})
    div_index = {d: i for i, d in enumerate(division_ids)}
    div_info = {
        pk: (date, source)
        for pk, date, source in Division.objects.filter(pk__in=division_ids).values_list(
            "pk", "date", "primary_source"
        )
    }
    mps = list(MP.objects.order_by("pk").values_list("pk", "party"))
    mp_index = {pk: i for i, (pk, _) in enumerate(mps)}
    n_mps, n_div = len(mps), len(division_ids)

    party_names: list[str] = []
    party_codes: dict[str, int] = {}

    def code(name: str) -> int:
        name = canonical(name)
        if name not in party_codes:
            party_codes[name] = len(party_names)
            party_names.append(name)
        return party_codes[name]

    positions, is_ours_at = _load_positions(division_ids, div_info, mps)

    # Correct the recorded party by the MPs' party changes (A7).
    changes: dict[int, list[PartyChange]] = defaultdict(list)
    for change in PartyChange.objects.order_by("date"):
        changes[change.mp_id].append(change)
    div_dates = np.array([div_info[d][0].toordinal() for d in division_ids], dtype=np.int64)
    ever_ours = np.zeros(n_mps, dtype=bool)
    for mp_id, mp_changes in changes.items():
        if mp_id not in mp_index:
            continue
        i = mp_index[mp_id]
        ever_ours[i] |= any(is_ours(c.from_party) or is_ours(c.to_party) for c in mp_changes)
        # Recorded changes take precedence over the printed party (parties.party_on).
        is_ours_at[i, :] = is_ours(mp_changes[0].from_party)
        for change in mp_changes:
            is_ours_at[i, div_dates >= change.date.toordinal()] = is_ours(change.to_party)
    # "Ever in our party" must not depend on which divisions this run loads: the MP's
    # current party (membership.MP.party) or any recorded change to or from ours.
    ever_ours |= np.array([is_ours(party) for _, party in mps], dtype=bool)
    counted = (positions > 0) & (~ever_ours[:, None] | is_ours_at)
    positions = np.where(counted, positions, scoring.Position.NOT_SITTING).astype(np.int8)

    # Each MP's party for the comparison (A6): ours for an MP scored as one of ours (their
    # counted divisions are all from their time in it), otherwise their current party.
    ours_code = code(our_party_name())
    mp_party = np.array(
        [
            ours_code if ever_ours[i] else (code(party) if party else -1)
            for i, (_, party) in enumerate(mps)
        ],
        dtype=np.int64,
    )

    link_div = [div_index[lk[1]] for lk in links]
    link_pol = [pol_index[lk[0]] for lk in links]
    link_aye = [lk[2] for lk in links]
    link_strong = [lk[3] == PolicyDivision.Strength.STRONG for lk in links]
    twfy = scoring.score_matrix(
        positions, link_div, link_pol, link_aye, link_strong, len(policies), mp_party, "twfy"
    )
    pw = scoring.score_matrix(
        positions, link_div, link_pol, link_aye, link_strong, len(policies), None, "publicwhip"
    )
    written = _store(
        mps=[pk for pk, _ in mps],
        policies=policies,
        twfy=twfy,
        pw=pw,
        mp_party=mp_party,
        party_names=party_names,
    )
    seconds = time.perf_counter() - started
    ScoreRun.objects.create(
        reason=reason[:200],
        started_at=started_at,
        seconds=seconds,
        mps=n_mps,
        policies=len(policies),
        divisions=n_div,
        scores=written,
    )
    return RecomputeResult(n_mps, len(policies), n_div, written, seconds)


def _load_positions(
    division_ids: list[int],
    div_info: Mapping[int, tuple[dt.date, str]],
    mps: Sequence[tuple[int, str]],
) -> tuple[np.ndarray, np.ndarray]:
    """(MPs × divisions) position codes and "record prints our party" flags, from the
    packed votes of each division's primary source (one row per division)."""
    n_mps, n_div = len(mps), len(division_ids)
    positions = np.zeros((n_mps, n_div), dtype=np.int8)
    ours = np.zeros((n_mps, n_div), dtype=bool)
    if not n_div or not n_mps:
        return positions, ours
    ids = np.array([pk for pk, _ in mps], dtype=np.int64)
    lookup = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    lookup[ids] = np.arange(n_mps)
    column = {d: j for j, d in enumerate(division_ids)}
    for start in range(0, n_div, 1000):
        chunk = division_ids[start : start + 1000]
        rows = PackedVotes.objects.filter(division_id__in=chunk).values_list(
            "division_id", "source", "mp_ids", "positions", "ours"
        )
        for div_id, source, mp_ids, pos, flags in rows:
            if source != div_info[div_id][1]:
                continue
            m = np.frombuffer(bytes(mp_ids), dtype="<i4").astype(np.int64)
            keep = m < len(lookup)
            rows_i = lookup[m[keep]]
            valid = rows_i >= 0
            j = column[div_id]
            positions[rows_i[valid], j] = np.frombuffer(bytes(pos), dtype="i1")[keep][valid]
            ours[rows_i[valid], j] = np.frombuffer(bytes(flags), dtype="u1")[keep][valid] > 0
    return positions, ours


def _store(
    *,
    mps: list[int],
    policies: list[int],
    twfy: scoring.MatrixScores,
    pw: scoring.MatrixScores,
    mp_party: np.ndarray,
    party_names: list[str],
) -> int:
    """Replace the policies' Score rows: one per (MP, policy) where anything counted."""
    Score.objects.filter(policy_id__in=policies).delete()
    sat = (twfy.possible > 0) | (twfy.strong_absences > 0) | (pw.possible > 0)
    rows_i, cols_j = np.nonzero(sat)
    now = timezone.now()
    wordings = [w for _, w in scoring.BANDS]

    columns = [
        "mp_id",
        "policy_id",
        "points",
        "possible",
        "distance",
        "wording",
        "strong_votes",
        "absences",
        "pw_distance",
        "pw_wording",
        "party",
        "party_distance",
        "significant",
        "computed_at",
    ]
    mp_arr = np.asarray(mps, dtype=np.int64)
    pol_arr = np.asarray(policies, dtype=np.int64)
    party_of = np.array([party_names[c] if c >= 0 else "" for c in mp_party], dtype=object)
    wording_arr = np.array([*wordings, scoring.NO_VOTES], dtype=object)  # index -1: no votes
    # Columnar: each column a list of Python values for the (MP, policy) pairs.
    data = {
        "mp_id": mp_arr[rows_i].tolist(),
        "policy_id": pol_arr[cols_j].tolist(),
        "points": twfy.points[rows_i, cols_j].tolist(),
        "possible": twfy.possible[rows_i, cols_j].tolist(),
        "distance": _nullable(twfy.distance[rows_i, cols_j]),
        "wording": wording_arr[twfy.band[rows_i, cols_j].astype(np.int64)].tolist(),
        "strong_votes": twfy.strong_votes[rows_i, cols_j].tolist(),
        "absences": twfy.strong_absences[rows_i, cols_j].tolist(),
        "pw_distance": _nullable(pw.distance[rows_i, cols_j]),
        "pw_wording": wording_arr[pw.band[rows_i, cols_j].astype(np.int64)].tolist(),
        "party": party_of[rows_i].tolist(),
        "party_distance": _nullable(twfy.party_distance[rows_i, cols_j]),
        "significant": twfy.significant[rows_i, cols_j].tolist(),
        "computed_at": [now] * len(rows_i),
    }
    n = len(rows_i)
    if connection.vendor == "postgresql" and n > 1000:
        _copy(columns, data)
    else:
        Score.objects.bulk_create(
            [Score(**{c: data[c][k] for c in columns}) for k in range(n)], batch_size=2000
        )
    return n


def _nullable(values: np.ndarray) -> list[float | None]:
    """NaN (nothing counted) becomes None (SQL NULL)."""
    out: list[float | None] = values.tolist()
    if np.isnan(values).any():
        for k in np.flatnonzero(np.isnan(values)).tolist():
            out[k] = None
    return out


def _copy(columns: list[str], data: Mapping[str, list[Any]]) -> None:
    """PostgreSQL COPY in text format, built column by column (no per-value branching)."""

    def text(column: str) -> list[str]:
        values = data[column]
        if column == "significant":
            return ["t" if v else "f" for v in values]
        if column == "computed_at":
            return [values[0].isoformat()] * len(values) if values else []
        if column in ("wording", "pw_wording", "party"):
            return [v.replace("\\", "\\\\").replace("\t", " ") for v in values]
        return ["\\N" if v is None else str(v) for v in values]

    body = "\n".join(map("\t".join, zip(*(text(c) for c in columns), strict=True)))
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        table = Score._meta.db_table
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(body + "\n")
