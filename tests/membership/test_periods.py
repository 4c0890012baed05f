"""membership.periods: the one membership history rule, on the worked examples of
docs/rules/membership.md (plain dates, no database)."""

from __future__ import annotations

import datetime as dt

import pytest

from rankandfile.membership.periods import Entry, HistoryError, normalise_history

D = dt.date
TODAY = D(2026, 1, 1)


def M(start: dt.date, end: dt.date | None = None, reason: str = "") -> Entry:
    return Entry("membership", start, end, reason)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        pytest.param(
            [M(D(2015, 3, 1), D(2017, 6, 1), "lapsed"), M(D(2018, 1, 15))],
            [M(D(2015, 3, 1), D(2017, 6, 1), "lapsed"), M(D(2018, 1, 15))],
            id="a break is kept",
        ),
        pytest.param(
            [M(D(2020, 1, 1)), M(D(2010, 1, 1), D(2020, 1, 1), "lapsed")],
            [M(D(2010, 1, 1))],
            id="M4 a rejoin on the lapse day is one membership",
        ),
        pytest.param(
            [
                M(D(2010, 1, 1), D(2015, 1, 1), "lapsed"),
                M(D(2015, 1, 1), D(2019, 1, 1), "resigned"),
            ],
            [M(D(2010, 1, 1), D(2019, 1, 1), "resigned")],
            id="M4 the joined period keeps the later end reason",
        ),
        pytest.param(
            [M(D(2020, 1, 1)), Entry("suspension", D(2021, 2, 1), D(2021, 8, 1))],
            [M(D(2020, 1, 1)), Entry("suspension", D(2021, 2, 1), D(2021, 8, 1))],
            id="a suspension inside the membership",
        ),
        pytest.param(
            [
                M(D(2020, 1, 1)),
                Entry("arrears", D(2021, 1, 1), D(2021, 3, 1), "paid", "first"),
                Entry("arrears", D(2021, 3, 1), D(2021, 5, 1), "paid", "second"),
            ],
            [M(D(2020, 1, 1)), Entry("arrears", D(2021, 1, 1), D(2021, 5, 1), "paid", "first")],
            id="M4 touching arrears join, keeping the first note",
        ),
    ],
)
def test_kept(given: list[Entry], kept: list[Entry]) -> None:
    assert normalise_history(given, today=TODAY) == kept


@pytest.mark.parametrize(
    ("given", "problems"),
    [
        pytest.param(
            [M(D(2015, 1, 1), D(2017, 1, 1)), M(D(2016, 1, 1))],
            ["membership 2015-01-01..2017-01-01 and membership 2016-01-01.. overlap"],
            id="M3 overlapping memberships",
        ),
        pytest.param(
            [M(D(2015, 1, 1)), M(D(2016, 1, 1))],
            ["membership 2015-01-01.. and membership 2016-01-01.. overlap"],
            id="M3 two open memberships",
        ),
        pytest.param(
            [
                M(D(2020, 1, 1)),
                Entry("suspension", D(2021, 1, 1), D(2021, 6, 1)),
                Entry("suspension", D(2021, 5, 1)),
            ],
            ["suspension 2021-01-01..2021-06-01 and suspension 2021-05-01.. overlap"],
            id="M3 overlapping suspensions",
        ),
        pytest.param(
            [M(D(2020, 1, 1), D(2022, 1, 1)), Entry("suspension", D(2021, 1, 1))],
            ["suspension 2021-01-01.. is not inside a membership period"],
            id="M5 open suspension in a closed membership",
        ),
        pytest.param(
            [M(D(2020, 1, 1), D(2022, 1, 1)), Entry("arrears", D(2019, 1, 1), D(2021, 1, 1))],
            ["arrears 2019-01-01..2021-01-01 is not inside a membership period"],
            id="M5 arrears starting before the membership",
        ),
        pytest.param(
            [Entry("arrears", D(2020, 1, 1))],
            ["history has suspension or arrears but no membership"],
            id="M6",
        ),
        pytest.param(
            [M(D(2024, 5, 1), D(2024, 5, 1))],
            ["membership 2024-05-01..2024-05-01 ends on or before it starts"],
            id="M1 empty period",
        ),
        pytest.param(
            [M(D(2024, 5, 1), None, "lapsed")],
            ["membership 2024-05-01.. gives an end reason but no end"],
            id="M1 reason without end",
        ),
        pytest.param(
            [M(D(2020, 5, 1), D(2021, 1, 1), "paid")],
            ["'paid' is not a way a membership ends (died, expelled, lapsed, resigned)"],
            id="M1 reason of another kind",
        ),
        pytest.param([M(D(2999, 1, 1))], ["membership 2999-01-01.. starts in the future"], id="M2"),
        pytest.param(
            [M(D(2024, 5, 1), D(2024, 4, 1)), M(D(2999, 1, 1))],
            [
                "membership 2024-05-01..2024-04-01 ends on or before it starts",
                "membership 2999-01-01.. starts in the future",
            ],
            id="every problem is named",
        ),
    ],
)
def test_refused(given: list[Entry], problems: list[str]) -> None:
    with pytest.raises(HistoryError) as caught:
        normalise_history(given, today=TODAY)
    assert caught.value.problems == problems


def test_without_today_the_future_is_not_judged() -> None:
    assert normalise_history([M(D(2999, 1, 1))]) == [M(D(2999, 1, 1))]
