"""The batch recompute: every MP's score on every policy, into :class:`Score` rows (rule B1).

Runs as a task after imports and link changes (``tasks.recompute_scores``); pages read
the stored rows only. Vectorised: the votes on linked divisions become one
(MPs × divisions) array of :class:`scoring.Position` codes and
:func:`scoring.score_matrix` scores every pair at once.

Which divisions count for an MP (rule A7, docs/domain.md "Only divisions during the
MP's membership count"): those they sat for (a vote or an absence recorded) and, for an
MP who has ever been in our party, only those while they were in it — their party on
the day is the record's, corrected by their recorded party changes
(:func:`parties.party_on`). The division's primary source is used: the Commons Votes
export where we have it, else the MNIS history. Each row also stores the score over every
division the MP sat for, whatever their party then (rule A8, TheyWorkForYou's view).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
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
    # Rows actually written (the rest were unchanged) and seconds per phase.
    written: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)


class _Phases:
    """Seconds per named phase of a run (``RecomputeResult.phases``)."""

    def __init__(self) -> None:
        self.started = self.mark = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = now - self.mark
        self.mark = now


class _PartyCodes:
    """Small integer codes for canonical party names (the A6 comparison's groups)."""

    def __init__(self) -> None:
        self.names: list[str] = []
        self._codes: dict[str, int] = {}

    def __call__(self, name: str) -> int:
        name = canonical(name)
        if name not in self._codes:
            self._codes[name] = len(self.names)
            self.names.append(name)
        return self._codes[name]


@dataclass(frozen=True)
class _Inputs:
    """What a run reads besides the votes: the policies, their links, the divisions and
    the MPs, each with its index into the arrays."""

    policies: list[int]
    links: list[tuple[int, int, bool, str]]
    division_ids: list[int]
    div_info: dict[int, tuple[dt.date, str]]
    mps: list[tuple[int, str]]

    @property
    def mp_index(self) -> dict[int, int]:
        return {pk: i for i, (pk, _) in enumerate(self.mps)}


def _read_inputs(policy_ids: Iterable[int] | None) -> _Inputs:
    policies = list(Policy.objects.order_by("pk").values_list("pk", flat=True))
    if policy_ids is not None:
        wanted = set(policy_ids)
        policies = [p for p in policies if p in wanted]
    links = list(
        PolicyDivision.objects.filter(policy_id__in=policies).values_list(
            "policy_id", "division_id", "aye_supports", "strength"
        )
    )
    division_ids = sorted({lk[1] for lk in links})
    div_info = {
        pk: (date, source)
        for pk, date, source in Division.objects.filter(pk__in=division_ids).values_list(
            "pk", "date", "primary_source"
        )
    }
    mps = list(MP.objects.order_by("pk").values_list("pk", "party"))
    return _Inputs(policies, links, division_ids, div_info, mps)


def _counted_positions(
    inputs: _Inputs, positions: np.ndarray, is_ours_at: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rule A7: correct each MP's recorded party by their party changes and keep, for an
    MP ever in our party, only the divisions while they were in it. Returns the counted
    positions, every position the MP sat for (rule A8) and "ever ours" per MP."""
    changes: dict[int, list[PartyChange]] = defaultdict(list)
    for change in PartyChange.objects.order_by("date"):
        changes[change.mp_id].append(change)
    div_dates = np.array(
        [inputs.div_info[d][0].toordinal() for d in inputs.division_ids], dtype=np.int64
    )
    mp_index = inputs.mp_index
    ever_ours = np.zeros(len(inputs.mps), dtype=bool)
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
    ever_ours |= np.array([is_ours(party) for _, party in inputs.mps], dtype=bool)
    counted = (positions > 0) & (~ever_ours[:, None] | is_ours_at)
    # A8: every division the MP sat for, whatever their party then (TheyWorkForYou's view).
    all_positions = np.where(positions > 0, positions, scoring.Position.NOT_SITTING).astype(np.int8)
    positions = np.where(counted, positions, scoring.Position.NOT_SITTING).astype(np.int8)
    return positions, all_positions, ever_ours


def _comparison_parties(inputs: _Inputs, ever_ours: np.ndarray, code: _PartyCodes) -> np.ndarray:
    """Each MP's party for the comparison (A6): ours for an MP scored as one of ours
    (their counted divisions are all from their time in it), otherwise their current
    party (-1 for none)."""
    ours_code = code(our_party_name())
    return np.array(
        [
            ours_code if ever_ours[i] else (code(party) if party else -1)
            for i, (_, party) in enumerate(inputs.mps)
        ],
        dtype=np.int64,
    )


def _score_methods(
    inputs: _Inputs, positions: np.ndarray, all_positions: np.ndarray, mp_party: np.ndarray
) -> tuple[scoring.MatrixScores, scoring.MatrixScores, scoring.MatrixScores]:
    """Both methods on the counted divisions (TheyWorkForYou's with the party comparison,
    Public Whip's) and TheyWorkForYou's on every division sat for (A8)."""
    pol_index = {p: i for i, p in enumerate(inputs.policies)}
    div_index = {d: i for i, d in enumerate(inputs.division_ids)}
    links = inputs.links
    link_div = [div_index[lk[1]] for lk in links]
    link_pol = [pol_index[lk[0]] for lk in links]
    link_aye = [lk[2] for lk in links]
    link_strong = [lk[3] == PolicyDivision.Strength.STRONG for lk in links]
    n_pol = len(inputs.policies)
    twfy = scoring.score_matrix(
        positions, link_div, link_pol, link_aye, link_strong, n_pol, mp_party, "twfy"
    )
    pw = scoring.score_matrix(
        positions, link_div, link_pol, link_aye, link_strong, n_pol, None, "publicwhip"
    )
    every = scoring.score_matrix(
        all_positions, link_div, link_pol, link_aye, link_strong, n_pol, None, "twfy"
    )
    return twfy, pw, every


@transaction.atomic
def recompute_scores(
    *, policy_ids: Iterable[int] | None = None, reason: str = "recompute"
) -> RecomputeResult:
    """Recompute and store the scores of every MP on the given policies (all if None).

    Brings those policies' :class:`Score` rows up to date in one transaction, so a page
    never sees a half-written set: rows whose values changed are updated, new (MP, policy)
    pairs inserted, pairs with nothing counted any more deleted; unchanged rows are left
    alone (their ``computed_at`` is when their values were last written). Records a
    :class:`ScoreRun`.
    """
    phase = _Phases()
    started_at = timezone.now()
    inputs = _read_inputs(policy_ids)
    phase("read links, divisions, MPs")
    positions, is_ours_at = _load_positions(inputs.division_ids, inputs.div_info, inputs.mps)
    phase("read packed votes")
    positions, all_positions, ever_ours = _counted_positions(inputs, positions, is_ours_at)
    code = _PartyCodes()
    mp_party = _comparison_parties(inputs, ever_ours, code)
    phase("party corrections")
    twfy, pw, every = _score_methods(inputs, positions, all_positions, mp_party)
    phase("score both methods and the party comparison")
    written = _store(
        mps=[pk for pk, _ in inputs.mps],
        policies=inputs.policies,
        twfy=twfy,
        pw=pw,
        every=every,
        mp_party=mp_party,
        party_names=code.names,
        phase=phase,
    )
    n_scores = written.pop("scores")
    n_mps, n_pol, n_div = len(inputs.mps), len(inputs.policies), len(inputs.division_ids)
    seconds = time.perf_counter() - phase.started
    ScoreRun.objects.create(
        reason=reason[:200],
        started_at=started_at,
        seconds=seconds,
        mps=n_mps,
        policies=n_pol,
        divisions=n_div,
        scores=n_scores,
    )
    return RecomputeResult(n_mps, n_pol, n_div, n_scores, seconds, written, phase.seconds)


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
    table = PackedVotes._meta.db_table
    # One query; every division's arrays are joined and read by NumPy at once.
    # Identifiers below come from model metadata and constants, values are parameters.
    sql = f"SELECT division_id, source, mp_ids, positions, ours FROM {table} WHERE "  # noqa: S608
    if connection.vendor == "postgresql":
        fetched = _binary_rows(sql + "division_id = ANY(%s)", [division_ids])
    else:
        fetched = []
        with connection.cursor() as cursor:
            for start in range(0, n_div, 500):
                chunk = division_ids[start : start + 500]
                cursor.execute(sql + f"division_id IN ({', '.join(['%s'] * len(chunk))})", chunk)
                fetched.extend(cursor.fetchall())
    rows = [r for r in fetched if r[1] == div_info[r[0]][1]]
    if not rows:
        return positions, ours
    m = np.frombuffer(b"".join(bytes(r[2]) for r in rows), dtype="<i4").astype(np.int64)
    pos = np.frombuffer(b"".join(bytes(r[3]) for r in rows), dtype="i1")
    flags = np.frombuffer(b"".join(bytes(r[4]) for r in rows), dtype="u1")
    cols = np.repeat(
        np.array([column[r[0]] for r in rows], dtype=np.int64),
        [len(r[3]) for r in rows],
    )
    keep = (m >= 0) & (m < len(lookup))
    rows_i = np.full(len(m), -1, dtype=np.int64)
    rows_i[keep] = lookup[m[keep]]
    flat = rows_i * n_div + cols
    valid = rows_i >= 0
    if not valid.all():
        flat, pos, flags = flat[valid], pos[valid], flags[valid]
    positions.reshape(-1)[flat] = pos
    ours.reshape(-1)[flat] = flags > 0
    return positions, ours


COPY_ABOVE = 1000  # rows: PostgreSQL writes more than this with COPY
REPLACE_ABOVE = 0.5  # share of the stored rows changed above which all are replaced

# The stored columns a run compares and writes, in COPY order (``computed_at`` follows).
_VALUE_COLUMNS = [
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
    "all_distance",
    "all_wording",
    "all_strong_votes",
    "all_absences",
]
_COLUMNS = ["mp_id", "policy_id", *_VALUE_COLUMNS, "computed_at"]
_TEXT = {"wording", "pw_wording", "party", "all_wording"}
_NULLABLE = {"distance", "pw_distance", "party_distance", "all_distance"}


@dataclass(frozen=True)
class _NewRows:
    """The rows a run would store, columnar (each column an array over the (MP, policy)
    pairs), with the text columns also as codes: indexes into ``texts`` (-1: anything
    else)."""

    columns: dict[str, np.ndarray]
    texts: dict[str, list[str]]
    codes: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(self.columns["mp_id"])


@dataclass(frozen=True)
class _Differences:
    """New rows against stored ones: indexes of the new rows that changed (``changed``,
    with ``changed_at`` the stored row index of each) and of those not stored yet, and the
    ids of the stored rows nothing counts for any more."""

    changed: np.ndarray
    changed_at: np.ndarray
    inserted: np.ndarray
    deleted: np.ndarray

    def counts(self) -> dict[str, int]:
        return {
            "updated": len(self.changed),
            "inserted": len(self.inserted),
            "deleted": len(self.deleted),
        }


def _store(
    *,
    mps: list[int],
    policies: list[int],
    twfy: scoring.MatrixScores,
    pw: scoring.MatrixScores,
    every: scoring.MatrixScores,
    mp_party: np.ndarray,
    party_names: list[str],
    phase: Callable[[str], None],
) -> dict[str, int]:
    """Bring the policies' Score rows up to date: one per (MP, policy) where anything
    counted. Compares with the stored rows in NumPy and writes only the differences."""
    new = _arrange_new_rows(mps, policies, twfy, pw, every, mp_party, party_names)
    phase("arrange the new rows")
    old_ids, old = _stored(policies, new.texts)
    phase("read the stored rows")
    diff = _compare_with_stored(new, old_ids, old, policies)
    phase("compare with the stored rows")
    _write_differences(new.columns, diff, old_ids, policies)
    phase("write the differences")
    return {"scores": len(new), **diff.counts()}


def _arrange_new_rows(
    mps: list[int],
    policies: list[int],
    twfy: scoring.MatrixScores,
    pw: scoring.MatrixScores,
    every: scoring.MatrixScores,
    mp_party: np.ndarray,
    party_names: list[str],
) -> _NewRows:
    """One row per (MP, policy) where anything counted, from the score matrices."""
    sat = (
        (twfy.possible > 0)
        | (twfy.strong_absences > 0)
        | (pw.possible > 0)
        | (every.possible > 0)
        | (every.strong_absences > 0)
    )
    rows_i, cols_j = np.nonzero(sat)
    wordings = [w for _, w in scoring.BANDS]
    mp_arr = np.asarray(mps, dtype=np.int64)
    pol_arr = np.asarray(policies, dtype=np.int64)
    party_of = np.array([party_names[c] if c >= 0 else "" for c in mp_party], dtype=object)
    wording_arr = np.array([*wordings, scoring.NO_VOTES], dtype=object)  # index -1: no votes
    new: dict[str, np.ndarray] = {
        "mp_id": mp_arr[rows_i],
        "policy_id": pol_arr[cols_j],
        "points": twfy.points[rows_i, cols_j].astype(np.float64),
        "possible": twfy.possible[rows_i, cols_j].astype(np.float64),
        "distance": twfy.distance[rows_i, cols_j].astype(np.float64),
        "wording": wording_arr[twfy.band[rows_i, cols_j].astype(np.int64)],
        "strong_votes": twfy.strong_votes[rows_i, cols_j].astype(np.int64),
        "absences": twfy.strong_absences[rows_i, cols_j].astype(np.int64),
        "pw_distance": pw.distance[rows_i, cols_j].astype(np.float64),
        "pw_wording": wording_arr[pw.band[rows_i, cols_j].astype(np.int64)],
        "party": party_of[rows_i],
        "party_distance": twfy.party_distance[rows_i, cols_j].astype(np.float64),
        "significant": twfy.significant[rows_i, cols_j].astype(bool),
        "all_distance": every.distance[rows_i, cols_j].astype(np.float64),
        "all_wording": wording_arr[every.band[rows_i, cols_j].astype(np.int64)],
        "all_strong_votes": every.strong_votes[rows_i, cols_j].astype(np.int64),
        "all_absences": every.strong_absences[rows_i, cols_j].astype(np.int64),
    }
    # The text columns compared as codes: indexes into these lists (-1: anything else).
    parties = sorted(set(party_of.tolist()))
    party_code = {p: k for k, p in enumerate(parties)}
    texts = {
        "wording": list(wording_arr),
        "pw_wording": list(wording_arr),
        "all_wording": list(wording_arr),
        "party": parties,
    }

    def wording_code(column: str, m: scoring.MatrixScores) -> np.ndarray:
        band = m.band[rows_i, cols_j]
        no_votes = np.where(new[column] == scoring.NO_VOTES, len(wordings), 0)
        code: np.ndarray = no_votes + np.where(band >= 0, band, 0)
        return code

    codes = {
        "wording": wording_code("wording", twfy),
        "pw_wording": wording_code("pw_wording", pw),
        "all_wording": wording_code("all_wording", every),
        "party": np.array([party_code[p] for p in party_of.tolist()], dtype=np.int64)[rows_i],
    }
    return _NewRows(columns=new, texts=texts, codes=codes)


def _compare_with_stored(
    new: _NewRows, old_ids: np.ndarray, old: dict[str, np.ndarray], policies: list[int]
) -> _Differences:
    """Match new and stored rows on (MP, policy) and compare their values column by
    column (NaN equal to NaN in the nullable ones)."""
    cols, n = new.columns, len(new)
    pol_arr = np.asarray(policies, dtype=np.int64)
    width = int(max(pol_arr.max(initial=0), old["policy_id"].max(initial=0))) + 1
    new_key = cols["mp_id"] * width + cols["policy_id"]
    old_key = old["mp_id"] * width + old["policy_id"]
    order = np.argsort(old_key, kind="stable")
    sorted_keys = old_key[order]
    if len(sorted_keys):
        at_c = np.minimum(np.searchsorted(sorted_keys, new_key), len(sorted_keys) - 1)
        found = sorted_keys[at_c] == new_key
    else:
        at_c = np.zeros(n, dtype=np.int64)
        found = np.zeros(n, dtype=bool)
    match = order[at_c[found]]  # stored row index of each found new row
    same = np.ones(int(found.sum()), dtype=bool)
    for column in _VALUE_COLUMNS:
        a = (new.codes[column] if column in _TEXT else cols[column])[found]
        b = old[column][match]
        if column in _NULLABLE:
            same &= (a == b) | (np.isnan(a) & np.isnan(b))
        else:
            same &= a == b
    kept = np.zeros(len(old_key), dtype=bool)
    kept[match] = True
    return _Differences(
        changed=np.flatnonzero(found)[~same],
        changed_at=match[~same],
        inserted=np.flatnonzero(~found),
        deleted=old_ids[~kept],
    )


def _write_differences(
    new: dict[str, np.ndarray], diff: _Differences, old_ids: np.ndarray, policies: list[int]
) -> None:
    """Write the differences; when most stored rows changed, replace them all (cheaper
    than updating each in place)."""
    now = timezone.now()
    if len(diff.changed) > REPLACE_ABOVE * len(old_ids) and len(diff.changed) > COPY_ABOVE:
        Score.objects.filter(policy_id__in=policies)._raw_delete(Score.objects.db)
        _insert(new, now)
        return
    if len(diff.deleted):
        for start in range(0, len(diff.deleted), 10_000):
            chunk = diff.deleted[start : start + 10_000].tolist()
            Score.objects.filter(pk__in=chunk)._raw_delete(Score.objects.db)
    if len(diff.changed):
        _update({c: new[c][diff.changed] for c in new}, diff.changed_at, old_ids, now)
    if len(diff.inserted):
        _insert({c: new[c][diff.inserted] for c in new}, now)


def _stored(
    policies: list[int], texts: Mapping[str, list[str]]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The policies' stored Score rows: their ids and columns as arrays (NULL as NaN, the
    text columns as their index in ``texts``, -1 when not there)."""
    table = Score._meta.db_table
    if connection.vendor == "postgresql":
        return _stored_pg(table, policies, texts)
    columns = ["id", "mp_id", "policy_id", *_VALUE_COLUMNS]
    rows: list[tuple[Any, ...]] = []
    with connection.cursor() as cursor:
        for start in range(0, len(policies), 500):
            chunk = policies[start : start + 500]
            cursor.execute(
                f"SELECT {', '.join(columns)} FROM {table} "  # noqa: S608
                f"WHERE policy_id IN ({', '.join(['%s'] * len(chunk))})",
                chunk,
            )
            rows.extend(cursor.fetchall())
    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    out: dict[str, np.ndarray] = {}
    for column, vals in zip(columns, values, strict=True):
        if column in _TEXT:
            index = {t: k for k, t in enumerate(texts[column])}
            out[column] = np.array([index.get(v, -1) for v in vals], dtype=np.int64)
        elif column == "significant":
            out[column] = np.array(vals, dtype=bool)
        elif column in _NULLABLE or column in ("points", "possible"):
            out[column] = np.array(vals, dtype=np.float64)  # None becomes NaN
        else:
            out[column] = np.array(vals, dtype=np.int64)
    return out.pop("id"), out


def _stored_pg(
    table: str, policies: list[int], texts: Mapping[str, list[str]]
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """As :func:`_stored`, in one query: PostgreSQL packs each row as fixed-width
    big-endian binary fields and aggregates them into one ``bytea``, which NumPy reads as
    a record array (no Python object per row or value)."""
    columns = ["id", "mp_id", "policy_id", *_VALUE_COLUMNS]
    fields: list[str] = []
    params: list[Any] = []
    dtype: list[tuple[str, str]] = []
    for column in columns:
        if column in _TEXT:
            fields.append(f"int8send(coalesce(array_position(%s::text[], {column}) - 1, -1))")
            params.append(texts[column])
            dtype.append((column, ">i8"))
        elif column in _NULLABLE or column in ("points", "possible"):
            fields.append(f"float8send(coalesce({column}, 'NaN'))")
            dtype.append((column, ">f8"))
        elif column == "significant":
            fields.append(f"int8send({column}::int)")
            dtype.append((column, ">i8"))
        else:
            fields.append(f"int8send({column})")
            dtype.append((column, ">i8"))
    params.append(policies)
    sql = (
        f"SELECT string_agg({' || '.join(fields)}, ''::bytea) FROM {table} "  # noqa: S608
        f"WHERE policy_id = ANY(%s)"
    )
    ((packed,),) = _binary_rows(sql, params)
    rows = np.frombuffer(bytes(packed) if packed is not None else b"", dtype=np.dtype(dtype))
    out = {
        c: rows[c].astype(np.float64 if rows[c].dtype.kind == "f" else np.int64) for c in columns
    }
    out["significant"] = out["significant"].astype(bool)
    return out.pop("id"), out


def _python(data: Mapping[str, np.ndarray], now: dt.datetime) -> dict[str, list[Any]]:
    """The columns as lists of Python values (NaN as None) for the database."""
    out: dict[str, list[Any]] = {}
    for column, values in data.items():
        out[column] = _nullable(values) if column in _NULLABLE else values.tolist()
    out["computed_at"] = [now] * len(data["mp_id"])
    return out


def _insert(data: Mapping[str, np.ndarray], now: dt.datetime) -> None:
    rows = _python(data, now)
    n = len(rows["mp_id"])
    if connection.vendor == "postgresql" and n > COPY_ABOVE:
        _copy(Score._meta.db_table, _COLUMNS, rows)
    else:
        Score.objects.bulk_create(
            [Score(**{c: rows[c][k] for c in _COLUMNS}) for k in range(n)], batch_size=2000
        )


def _update(
    data: Mapping[str, np.ndarray], stored_at: np.ndarray, old_ids: np.ndarray, now: dt.datetime
) -> None:
    """Overwrite the changed rows' values (matched on (MP, policy))."""
    rows = _python(data, now)
    n = len(rows["mp_id"])
    fields = [*_VALUE_COLUMNS, "computed_at"]
    if connection.vendor == "postgresql" and n > COPY_ABOVE:
        table = Score._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE score_changes ON COMMIT DROP AS "  # noqa: S608
                f"SELECT {', '.join(_COLUMNS)} FROM {table} WITH NO DATA"
            )
            _copy("score_changes", _COLUMNS, rows)
            cursor.execute(
                f"UPDATE {table} AS s "  # noqa: S608
                f"SET {', '.join(f'{c} = t.{c}' for c in fields)} FROM score_changes AS t "
                f"WHERE s.mp_id = t.mp_id AND s.policy_id = t.policy_id"
            )
            cursor.execute("DROP TABLE score_changes")
    else:
        ids = old_ids[stored_at].tolist()
        Score.objects.bulk_update(
            [Score(pk=ids[k], **{c: rows[c][k] for c in _COLUMNS}) for k in range(n)],
            fields,
            batch_size=1000,
        )


def _binary_rows(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
    """Rows of a PostgreSQL query in the binary protocol (bytea arrives as raw bytes, not
    hex text), on a plain psycopg cursor over Django's connection and transaction."""
    import psycopg

    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, params, binary=True)
        return cursor.fetchall()


def _nullable(values: np.ndarray) -> list[float | None]:
    """NaN (nothing counted) becomes None (SQL NULL)."""
    out: list[float | None] = values.tolist()
    if np.isnan(values).any():
        for k in np.flatnonzero(np.isnan(values)).tolist():
            out[k] = None
    return out


def _copy(table: str, columns: list[str], data: Mapping[str, list[Any]]) -> None:
    """PostgreSQL COPY in text format, built column by column (no per-value branching)."""

    def text(column: str) -> list[str]:
        values = data[column]
        if column == "significant":
            return ["t" if v else "f" for v in values]
        if column == "computed_at":
            return [values[0].isoformat()] * len(values) if values else []
        if column in _TEXT:
            return [v.replace("\\", "\\\\").replace("\t", " ") for v in values]
        return ["\\N" if v is None else str(v) for v in values]

    body = "\n".join(map("\t".join, zip(*(text(c) for c in columns), strict=True)))
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            copy.write(body + "\n")
