"""The pure scoring rules (A1-A6), with plain numbers: every band edge and both caps."""

from __future__ import annotations

import math

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


def test_two_absences_rule_out_consistently() -> None:
    votes = [strong(P.AYE)] * 8 + [strong(P.ABSENT)] * 2
    score = s.score_votes(votes)
    assert score.distance == 0.0
    assert score.wording == ALMOST_FOR
    against = [strong(P.NO)] * 8 + [strong(P.ABSENT)] * 2
    assert s.score_votes(against).wording == ALMOST_AGAINST


def test_a_third_absent_rules_out_almost_always() -> None:
    # 2 present, 1 absent out of 3: absences are exactly a third.
    votes = [strong(P.AYE), strong(P.AYE), strong(P.ABSENT)]
    assert s.score_votes(votes).wording == FOR  # one absence only: consistently stays
    votes = [strong(P.AYE)] * 4 + [strong(P.ABSENT)] * 2  # 2 of 6 = a third
    assert s.score_votes(votes).wording == GEN_FOR
    votes = [strong(P.AYE)] * 5 + [strong(P.ABSENT)] * 2  # 2 of 7 < a third
    assert s.score_votes(votes).wording == ALMOST_FOR
    votes = [strong(P.NO)] * 4 + [strong(P.ABSENT)] * 2
    assert s.score_votes(votes).wording == GEN_AGAINST


def test_caps_do_not_touch_middle_bands() -> None:
    votes = [strong(P.AYE), strong(P.NO)] + [strong(P.ABSENT)] * 5
    assert s.score_votes(votes).wording == MIX


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
