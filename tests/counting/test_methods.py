"""The method registry: every method by name, one entry point, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import rankandfile.counting as counting
from rankandfile.counting import (
    METHODS,
    ApprovalBallots,
    ApprovalResult,
    Candidate,
    RankedBallots,
    RankedResult,
    SchulzeResult,
    as_ranked,
    count,
    count_av,
    count_meek,
    count_scottish_stv,
    method_info,
    parse_blt,
    parse_quota,
    resolve_group,
)
from rankandfile.counting.errors import CountingError, QuotaError, TooManySeatsError
from rankandfile.counting.methods import UnknownMethodError

BALLOTS = RankedBallots.build(
    [
        Candidate("Ann", {"gender": "woman"}),
        Candidate("Bob", {"gender": "man"}),
        Candidate("Cy", {"gender": "man"}),
        Candidate("Di", {"gender": "woman"}),
    ],
    [[0, 1], [1, 2], [2, 1, 0], [3, 0], [1]],
    [40, 30, 20, 8, 5],
)


def test_every_method_is_described() -> None:
    assert set(METHODS) == {
        "plurality",
        "block",
        "av",
        "av-multi",
        "scottish-stv",
        "meek",
        "approval",
        "schulze",
    }
    for name, info in METHODS.items():
        assert info.name == name
        assert info.label and info.rule and info.description
        assert info.tiebreaks
        assert info.single_seat or info.multi_seat
    assert {m for m, i in METHODS.items() if i.quotas} == {"scottish-stv", "meek", "av-multi"}
    assert not METHODS["av"].multi_seat
    assert METHODS["meek"].tiebreaks[-1] == "order"


@pytest.mark.parametrize("method", list(METHODS))
def test_every_method_counts_ranked_ballots(method: str) -> None:
    seats = 2 if METHODS[method].multi_seat else 1
    result = count(method, BALLOTS, seats=seats, seed=3)
    ranked = as_ranked(result)
    assert isinstance(ranked, RankedResult)
    assert len(ranked.elected) == seats
    assert ranked.stages
    json.dumps(result.to_dict())  # JSON-ready


def test_count_is_the_method_itself() -> None:
    assert count("av", BALLOTS).stages == count_av(BALLOTS).stages  # type: ignore[union-attr]
    assert count("scottish-stv", BALLOTS, seats=2) == count_scottish_stv(BALLOTS, 2)
    assert count("meek", BALLOTS, seats=2, tiebreak="order") == count_meek(
        BALLOTS, 2, tiebreak="order"
    )
    assert isinstance(count("schulze", BALLOTS), SchulzeResult)
    approval = count("approval", BALLOTS, seats=2)
    assert isinstance(approval, ApprovalResult)
    # a ranked ballot approves every candidate it ranks: Ann is on 40 + 20 + 8 ballots
    assert approval.votes == (68, 95, 50, 8)


def test_x_mark_ballots_for_plurality_and_approval_only() -> None:
    marks = ApprovalBallots.build(["A", "B"], [[0], [1], [0]])
    assert count("plurality", marks).elected == (0,)  # type: ignore[union-attr]
    assert count("approval", marks).elected == (0,)  # type: ignore[union-attr]
    with pytest.raises(CountingError, match="needs ranked ballots"):
        count("av", marks)


def test_unknown_method_names_the_valid_ones() -> None:
    with pytest.raises(UnknownMethodError, match=r"unknown counting method 'borda'.*scottish-stv"):
        count("borda", BALLOTS)
    with pytest.raises(UnknownMethodError):
        method_info("STV")


def test_seat_and_tiebreak_errors() -> None:
    with pytest.raises(TooManySeatsError, match="exactly one seat"):
        count("av", BALLOTS, seats=2)
    with pytest.raises(TooManySeatsError, match="at least one seat"):
        count("scottish-stv", BALLOTS, seats=0)
    with pytest.raises(TooManySeatsError):
        count("scottish-stv", BALLOTS, seats=5)
    with pytest.raises(CountingError, match="unknown tie-break 'coin'"):
        count("scottish-stv", BALLOTS, seats=2, tiebreak="coin")
    with pytest.raises(CountingError, match="unknown tie-break 'order'"):
        count("av", BALLOTS, tiebreak="order")
    # one-stage methods draw lots whatever the rule: nothing earlier to look back to
    assert count("plurality", BALLOTS, tiebreak="forwards", seed=1).elected  # type: ignore[union-attr]


def test_quotas_through_the_registry() -> None:
    plain = count("scottish-stv", BALLOTS, seats=2)
    assert isinstance(plain, RankedResult)
    assert plain.elected_names == ("Ann", "Bob")
    with_quota = count("scottish-stv", BALLOTS, seats=2, quotas={"man": 2})
    assert isinstance(with_quota, RankedResult)
    assert with_quota.method == "scottish-stv+quota"
    assert set(with_quota.elected_names) == {"Bob", "Cy"}
    # zero minimums are no quota at all
    assert count("scottish-stv", BALLOTS, seats=2, quotas={"man": 0}) == plain
    for method in ("meek", "av-multi"):
        r = as_ranked(count(method, BALLOTS, seats=2, quotas={"man": 2}))
        assert set(r.elected_names) == {"Bob", "Cy"}, method
    with pytest.raises(QuotaError, match="does not support quotas"):
        count("schulze", BALLOTS, seats=2, quotas={"woman": 1})
    with pytest.raises(QuotaError, match="only 2 such candidates"):
        count("scottish-stv", BALLOTS, seats=3, quotas={"woman": 3})


def test_quota_words() -> None:
    values = ["woman", "man", None]
    assert parse_quota("women:2", values) == ("woman", 2)
    assert parse_quota("Men:1", values) == ("man", 1)
    assert parse_quota("woman:0", values) == ("woman", 0)
    assert parse_quota("nonbinary:1", values) == ("nonbinary", 1)
    assert resolve_group("F", ["F", "M"]) == "F"  # raw values win over the synonyms
    assert resolve_group("f", ["F", "M"]) == "F"
    assert resolve_group("women", ["Women", "Men"]) == "Women"
    for bad in ("women", "women:", ":2", "women:two", "women:-1"):
        with pytest.raises(QuotaError, match="GROUP:MINIMUM"):
            parse_quota(bad)


def test_package_exports_the_main_api() -> None:
    for name in counting.__all__:
        assert hasattr(counting, name), name
    assert counting.count is count


def test_result_round_trips_through_json(droop_dir: Path) -> None:
    e = parse_blt(droop_dir / "blt" / "SCw.blt")
    for method in ("scottish-stv", "meek", "av-multi"):
        r = as_ranked(count(method, e.ballots, seats=e.seats, seed=4))
        back = RankedResult.from_dict(json.loads(json.dumps(r.to_dict())))
        assert back == r, method
    av = count_av(e.ballots, seed=1)
    assert RankedResult.from_dict(json.loads(json.dumps(av.to_dict()))) == av
