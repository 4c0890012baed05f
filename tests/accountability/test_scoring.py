"""The pure scoring rules (A1-A6), with plain numbers: every band edge and both caps.

The absence caps (A3) follow TheyWorkForYou's ``SimplifiedScore`` (mySociety's twfy-votes):
they move the distance itself. The property tests hold the scorer to an independent,
exact restatement of that rule (:func:`twfy_reference`).
"""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rankandfile.accountability import scoring as s
from rankandfile.accountability.scoring import Position as P

FOR = "consistently voted for"
ALMOST_FOR = "almost always voted for"
GEN_FOR = "generally voted for"
MIX = "voted a mixture of for and against"
GEN_AGAINST = "generally voted against"
ALMOST_AGAINST = "almost always voted against"
AGAINST = "consistently voted against"


@pytest.mark.parametrize(
    ("distance", "expected"),
    [
        (0.0, FOR),
        (0.05, FOR),
        (0.0501, ALMOST_FOR),
        (0.15, ALMOST_FOR),
        (0.1501, GEN_FOR),
        (0.4, GEN_FOR),
        (0.4001, MIX),
        (0.6, MIX),
        (0.6001, GEN_AGAINST),
        (0.85, GEN_AGAINST),
        (0.8501, ALMOST_AGAINST),
        (0.95, ALMOST_AGAINST),
        (0.9501, AGAINST),
        (1.0, AGAINST),
    ],
)
def test_band_edges(distance: float, expected: str) -> None:
    assert s.wording("twfy", distance, 0, 10) == expected
    assert s.wording("publicwhip", distance, 5, 10) == expected  # no caps for Public Whip


def test_no_votes_wording() -> None:
    assert s.wording("twfy", None, 3, 3) == s.NO_VOTES


def strong(position: int, aye: bool = True) -> s.Vote:
    return s.Vote(position=position, aye_supports=aye, strong=True)


def weak(position: int, aye: bool = True) -> s.Vote:
    return s.Vote(position=position, aye_supports=aye, strong=False)


def test_twfy_points_per_strong_division() -> None:
    # with 0/10, against 10/10, both 5/10, absent 0/0; weak divisions do not count.
    score = s.score_votes(
        [strong(P.AYE), strong(P.NO), strong(P.BOTH), strong(P.ABSENT), weak(P.NO)]
    )
    assert (score.points, score.possible) == (15.0, 30.0)
    assert score.distance == 0.5
    assert score.agreement == 0.5
    assert score.strong_votes == 3
    assert score.strong_absences == 1
    assert score.weak_votes == 1
    assert [c.outcome for c in score.counted] == [
        s.Outcome.WITH,
        s.Outcome.AGAINST,
        s.Outcome.ABSTAIN,
        s.Outcome.ABSENT,
        s.Outcome.AGAINST,
    ]
    assert score.counted[4].possible == 0  # the weak vote added nothing


def test_direction_no_supports() -> None:
    score = s.score_votes([strong(P.NO, aye=False), strong(P.AYE, aye=False)])
    assert [c.outcome for c in score.counted] == [s.Outcome.WITH, s.Outcome.AGAINST]


def test_one_absence_keeps_consistently() -> None:
    votes = [strong(P.AYE)] * 9 + [strong(P.ABSENT)]
    assert s.score_votes(votes).wording == FOR


def votes_of(with_: int = 0, against: int = 0, both: int = 0, absent: int = 0) -> list[s.Vote]:
    """Strong votes on a policy supported by Aye."""
    return (
        [strong(P.AYE)] * with_
        + [strong(P.NO)] * against
        + [strong(P.BOTH)] * both
        + [strong(P.ABSENT)] * absent
    )


def test_two_absences_move_the_distance_off_consistently() -> None:
    score = s.score_votes(votes_of(with_=8, absent=2))  # 2 of 10: under a third
    assert score.raw_distance == 0.0
    assert score.distance == 0.06 and score.capped
    assert score.agreement == pytest.approx(0.94)
    assert score.wording == ALMOST_FOR
    against = s.score_votes(votes_of(against=8, absent=2))
    assert (against.distance, against.wording) == (0.94, ALMOST_AGAINST)


def test_one_vote_one_absence_is_generally_never_consistently() -> None:
    # The case TheyWorkForYou's rule exists for: one absence is already half the policy's
    # strong divisions, so the score moves from 0.0 to 0.16 though only one MP absence.
    score = s.score_votes(votes_of(with_=1, absent=1))
    assert (score.points, score.possible, score.raw_distance) == (0.0, 10.0, 0.0)
    assert score.distance == 0.16
    assert score.agreement == pytest.approx(0.84)
    assert score.wording == GEN_FOR
    against = s.score_votes(votes_of(against=1, absent=1))
    assert (against.raw_distance, against.distance, against.wording) == (1.0, 0.84, GEN_AGAINST)


def test_a_third_absent_rules_out_almost_always() -> None:
    # Exactly a third is enough: one of three, two of six.
    assert s.score_votes(votes_of(with_=2, absent=1)).distance == 0.16
    assert s.score_votes(votes_of(with_=2, absent=1)).wording == GEN_FOR
    assert s.score_votes(votes_of(with_=4, absent=2)).distance == 0.16  # via 0.06 first
    assert s.score_votes(votes_of(against=4, absent=2)).wording == GEN_AGAINST
    # Under a third: one of four (consistently stays), two of seven (the first cap only).
    assert s.score_votes(votes_of(with_=3, absent=1)).distance == 0.0
    assert s.score_votes(votes_of(with_=3, absent=1)).wording == FOR
    assert s.score_votes(votes_of(with_=5, absent=2)).distance == 0.06
    assert s.score_votes(votes_of(with_=5, absent=2)).wording == ALMOST_FOR


def test_cap_edges_are_inclusive() -> None:
    # raw 0.15 (3 against of 20) with 10 absences (a third of 30): moves to 0.16.
    edge = s.score_votes(votes_of(with_=17, against=3, absent=10))
    assert (edge.raw_distance, edge.distance, edge.wording) == (0.15, 0.16, GEN_FOR)
    # ... and with 9 absences (under a third of 29) stays "almost always".
    kept = s.score_votes(votes_of(with_=17, against=3, absent=9))
    assert (kept.distance, kept.wording) == (0.15, ALMOST_FOR)
    # raw 0.85 with a third absent: 0.84, the same words, a different figure.
    high = s.score_votes(votes_of(with_=3, against=17, absent=10))
    assert (high.raw_distance, high.distance, high.wording) == (0.85, 0.84, GEN_AGAINST)
    # raw 0.05 (1 against of 20) and 0.95 with two absences: 0.06 and 0.94.
    low = s.score_votes(votes_of(with_=19, against=1, absent=2))
    assert (low.raw_distance, low.distance, low.wording) == (0.05, 0.06, ALMOST_FOR)
    top = s.score_votes(votes_of(with_=1, against=19, absent=2))
    assert (top.raw_distance, top.distance, top.wording) == (0.95, 0.94, ALMOST_AGAINST)
    # Just inside the edges nothing moves.
    inside = s.score_votes(votes_of(with_=16, against=4, absent=20))  # 0.2
    assert (inside.distance, inside.capped) == (0.2, False)


def test_both_lobbies_counts_as_present_for_the_third() -> None:
    # 6 with, 1 both lobbies (5/70 ≈ 0.071), 3 absent: 3 of 10 divisions is under a third.
    score = s.score_votes(votes_of(with_=6, both=1, absent=3))
    assert score.distance == pytest.approx(5 / 70) and not score.capped
    assert score.wording == ALMOST_FOR
    # A fourth absence reaches a third (4 of 11).
    assert s.score_votes(votes_of(with_=6, both=1, absent=4)).distance == 0.16


def test_caps_do_not_touch_middle_bands() -> None:
    score = s.score_votes(votes_of(with_=1, against=1, absent=5))
    assert (score.distance, score.capped, score.wording) == (0.5, False, MIX)


def test_public_whip_has_no_caps() -> None:
    score = s.score_votes([strong(P.AYE), strong(P.ABSENT)], "publicwhip")
    assert score.distance == score.raw_distance == 25 / 100
    assert not score.capped


def test_all_absent_has_no_score() -> None:
    score = s.score_votes([strong(P.ABSENT)] * 3)
    assert score.distance is None and score.agreement is None
    assert score.wording == s.NO_VOTES


def test_public_whip_classic() -> None:
    # strong: same 0/50, against 50/50, both 25/50, absent 25/50;
    # weak: same 0/10, against 10/10, both 5/10, absent 1/2.
    votes = [
        strong(P.AYE),
        strong(P.NO),
        strong(P.BOTH),
        strong(P.ABSENT),
        weak(P.AYE),
        weak(P.NO),
        weak(P.BOTH),
        weak(P.ABSENT),
    ]
    score = s.score_votes(votes, "publicwhip")
    assert score.points == 0 + 50 + 25 + 25 + 0 + 10 + 5 + 1
    assert score.possible == 50 * 4 + 10 * 3 + 2
    assert math.isclose(score.distance or 0, 116 / 232)


def test_public_whip_absence_only_is_half() -> None:
    score = s.score_votes([strong(P.ABSENT)], "publicwhip")
    assert score.distance == 0.5
    assert score.wording == MIX


def test_not_sitting_counts_nothing() -> None:
    score = s.score_votes([strong(P.NOT_SITTING), strong(P.AYE)])
    assert score.possible == 10 and score.strong_absences == 0


# --- property tests: the scorer against an exact restatement of TWFY's rule ---------------
def twfy_reference(with_: int, against: int, both: int, absent: int) -> Fraction | None:
    """TheyWorkForYou's simplified score, restated exactly from its description: strong
    votes only; a cap of 0.06/0.94 with more than one absence, then of 0.16/0.84 when
    absences are at least a third of all strong divisions (votes, both lobbies, absences)."""
    possible = 10 * (with_ + against + both)
    if possible == 0:
        return None
    d = Fraction(10 * against + 5 * both, possible)
    if absent > 1:
        if d <= Fraction(5, 100):
            d = Fraction(6, 100)
        elif d >= Fraction(95, 100):
            d = Fraction(94, 100)
    if Fraction(absent) >= Fraction(with_ + against + both + absent, 3):
        if d <= Fraction(15, 100):
            d = Fraction(16, 100)
        elif d >= Fraction(85, 100):
            d = Fraction(84, 100)
    return d


counts = st.integers(0, 40)


@settings(max_examples=400, deadline=None)
@given(with_=counts, against=counts, both=st.integers(0, 6), absent=counts, weak_n=counts)
def test_twfy_matches_the_reference(
    with_: int, against: int, both: int, absent: int, weak_n: int
) -> None:
    votes = votes_of(with_, against, both, absent) + [weak(P.NO)] * weak_n
    score = s.score_votes(votes)
    expected = twfy_reference(with_, against, both, absent)
    if expected is None:
        assert score.distance is None and score.wording == s.NO_VOTES
        return
    assert score.distance == pytest.approx(float(expected), abs=1e-12)
    assert score.wording == s.BANDS[s.band_index(float(expected))][1]


@settings(max_examples=300, deadline=None)
@given(with_=counts, against=counts, both=st.integers(0, 6), absent=counts)
def test_caps_bound_the_score(with_: int, against: int, both: int, absent: int) -> None:
    score = s.score_votes(votes_of(with_, against, both, absent))
    if score.distance is None or score.raw_distance is None:
        return
    raw, d = score.raw_distance, score.distance
    # Never moved away from the middle, never across it.
    assert abs(d - 0.5) <= abs(raw - 0.5) + 1e-12
    assert (d - 0.5) * (raw - 0.5) >= 0
    present = with_ + against + both
    if absent > 1:
        assert 0.05 < d < 0.95
        assert score.wording not in (FOR, AGAINST)
    if 3 * absent >= present + absent:
        assert 0.15 < d < 0.85
        assert score.wording not in (FOR, ALMOST_FOR, ALMOST_AGAINST, AGAINST)
    if 0.15 < raw < 0.85 or absent == 0:
        assert d == raw  # caps touch only the extremes, and only with absences


# --- the vectorised batch agrees with the one-MP function --------------------------------
positions_st = st.lists(
    st.lists(st.sampled_from(list(P)), min_size=6, max_size=6), min_size=1, max_size=8
)


@settings(max_examples=60, deadline=None)
@given(
    positions=positions_st,
    links=st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 2), st.booleans(), st.booleans()),
        max_size=12,
    ),
    method=st.sampled_from(s.METHODS),
)
def test_matrix_matches_scalar(
    positions: list[list[int]], links: list[tuple[int, int, bool, bool]], method: s.Method
) -> None:
    pos = np.array(positions, dtype=np.int8)
    m = s.score_matrix(
        pos,
        [lk[0] for lk in links],
        [lk[1] for lk in links],
        [lk[2] for lk in links],
        [lk[3] for lk in links],
        n_policies=3,
        party=[i % 2 for i in range(len(positions))],
        method=method,
    )
    for i, row in enumerate(positions):
        for p in range(3):
            votes = [s.Vote(row[d], aye, st_) for d, pol, aye, st_ in links if pol == p]
            one = s.score_votes(votes, method)
            assert m.points[i, p] == one.points
            assert m.possible[i, p] == one.possible
            assert m.strong_absences[i, p] == one.strong_absences
            assert m.strong_votes[i, p] == one.strong_votes
            if one.distance is None:
                assert np.isnan(m.distance[i, p]) and m.band[i, p] == -1
            else:
                assert math.isclose(m.distance[i, p], one.distance)
                assert s.BANDS[m.band[i, p]][1] == one.wording


def test_party_comparison_excludes_the_mp() -> None:
    # Three MPs of party 0 and one of party 1, one strong policy division (aye supports).
    pos = np.array([[P.AYE], [P.NO], [P.NO], [P.AYE]], dtype=np.int8)
    m = s.score_matrix(pos, [0], [0], [True], [True], 1, party=[0, 0, 0, 1])
    assert m.distance[:, 0].tolist() == [0.0, 1.0, 1.0, 0.0]
    # MP 0's colleagues both voted against: 1.0; MP 1's colleagues: (0 + 1) / 2.
    assert m.party_distance[:, 0].tolist()[:3] == [1.0, 0.5, 0.5]
    assert math.isnan(m.party_distance[3, 0])  # alone in the party
    assert m.significant[:, 0].tolist() == [True, True, True, False]


def test_significance_edge() -> None:
    # distance 0.0 vs colleagues' mean 0.4 is significant (≥ 0.4); 0.35 is not.
    pos = np.array(
        [[P.AYE] * 20, [P.NO] * 8 + [P.AYE] * 12, [P.NO] * 7 + [P.AYE] * 13], dtype=np.int8
    )
    links = list(range(20))
    m = s.score_matrix(pos, links, [0] * 20, [True] * 20, [True] * 20, 1, party=[0, 0, 1])
    assert m.party_distance[0, 0] == pytest.approx(0.4)
    assert bool(m.significant[0, 0]) is True
    pos2 = pos.copy()
    m2 = s.score_matrix(pos2, links, [0] * 20, [True] * 20, [True] * 20, 1, party=[0, 1, 0])
    assert m2.party_distance[0, 0] == pytest.approx(0.35)
    assert bool(m2.significant[0, 0]) is False


# --- docs/rules/accountability.md: the worked examples of A3 are recomputed --------------
RULES_DOC = Path(__file__).resolve().parents[2] / "docs" / "rules" / "accountability.md"


def worked_examples() -> list[list[str]]:
    """The rows of the A3 worked-examples table (the one headed ``| with | against |``)."""
    rows: list[list[str]] = []
    inside = False
    for line in RULES_DOC.read_text().splitlines():
        line = line.strip()
        if line.startswith("| with | against |"):
            inside = True
            continue
        if inside and line.startswith("|---"):
            continue
        if inside and line.startswith("|"):
            rows.append([cell.strip() for cell in line.strip("|").split("|")])
        elif inside:
            break
    return rows


def test_the_docs_have_worked_examples() -> None:
    rows = worked_examples()
    assert len(rows) >= 10
    # The case the rule exists for is among them.
    assert rows[0][:4] == ["1", "0", "0", "1"] and rows[0][-1] == GEN_FOR


@pytest.mark.parametrize("row", worked_examples(), ids=lambda r: "-".join(r[:4]))
def test_worked_example_in_the_docs(row: list[str]) -> None:
    with_, against, both, absent = (int(x) for x in row[:4])
    points_possible, raw, caps, distance, words = row[4:]
    score = s.score_votes(votes_of(with_, against, both, absent))
    assert points_possible == f"{score.points:.0f} / {score.possible:.0f}"
    assert words == score.wording
    if score.distance is None or score.raw_distance is None:
        assert (raw, caps, distance) == ("—", "—", "—")
        return
    assert float(raw) == pytest.approx(score.raw_distance, abs=5e-4)
    assert float(distance) == pytest.approx(score.distance, abs=5e-4)
    more_than_one, a_third = s.caps_in_force(absent, with_ + against + both + absent)
    expected = {
        (False, False): "none",
        (True, False): "more than one",
        (False, True): "a third",
        (True, True): "both",
    }[(more_than_one, a_third)]
    assert caps == f"{expected} ({absent} of {with_ + against + both + absent})"
