"""The paper forms (each method's validation, in words) and the set-up form's parsing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from rankandfile.ballots import forms
from rankandfile.ballots.models import Ballot, Method, Option
from rankandfile.ballots.services import OptionSpec
from tests.ballots.factories import BallotFactory
from tests.conftest import Party

pytestmark = pytest.mark.django_db


def paper(method: str = Method.AV, seats: int = 1, n: int = 4, data: Any = None) -> Any:
    ballot = Ballot(method=method, seats=seats)
    options = [Option(position=i, name=f"C{i}") for i in range(n)]
    return forms.paper_form(ballot, options, data=data)


def errors(form: Any) -> list[str]:
    return [message for message, _ in form.error_summary()]


# --- ranked -----------------------------------------------------------------------------
def test_ranked_paper_orders_by_number_whatever_the_box_order() -> None:
    form = paper(data={"pref_0": "3", "pref_1": "", "pref_2": "1", "pref_3": "2"})
    assert form.is_valid(), form.errors
    assert form.choice() == [2, 3, 0]
    assert form.summary() == ["C2", "C3", "C0"]
    assert form.carry() == [("pref_0", "3"), ("pref_2", "1"), ("pref_3", "2")]


def test_ranked_paper_partial_ranking_is_fine() -> None:
    form = paper(data={"pref_3": "1"})
    assert form.is_valid()
    assert form.choice() == [3]


def test_ranked_paper_repeated_number_is_reported_on_every_box() -> None:
    form = paper(data={"pref_0": "1", "pref_1": "2", "pref_2": "2", "pref_3": "2"})
    assert not form.is_valid()
    # Beside each box, the others with its number; in the summary, the problem once.
    assert form.errors["pref_1"] == ["Preference 2 is also given to C2 and C3."]
    assert form.errors["pref_2"] == ["Preference 2 is also given to C1 and C3."]
    assert form.errors["pref_3"] == ["Preference 2 is also given to C1 and C2."]
    assert [m for m, _ in form.error_summary()] == [
        "You gave preference 2 to three candidates (C1, C2 and C3): give each number to one "
        "candidate only."
    ]


def test_ranked_paper_gap_points_at_the_number_after_it() -> None:
    form = paper(data={"pref_0": "1", "pref_1": "2", "pref_2": "4"})
    assert not form.is_valid()
    assert form.errors["pref_2"] == [
        "There is a gap: no preference 3 but there is a 4. Number your choices 1, 2, 3… "
        "without missing any out."
    ]


def test_ranked_paper_reports_a_repeat_and_a_gap_together() -> None:
    form = paper(data={"pref_0": "1", "pref_1": "1", "pref_2": "3"})
    assert not form.is_valid()
    messages = errors(form)
    assert any(m.startswith("You gave preference 1 to two candidates") for m in messages)
    assert any(m.startswith("There is a gap: no preference 2 but there is a 3") for m in messages)


def test_ranked_paper_empty() -> None:
    form = paper(data={})
    assert not form.is_valid()
    assert errors(form) == [
        "Give at least a first preference: write 1 next to the candidate you most want."
    ]
    assert form.error_summary()[0][1] == "id_pref_0"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Preferences start at 1: correct the number for C0."),
        ("-2", "Preferences start at 1: correct the number for C0."),
        ("5", "There are only 4 candidates: give C0 a number from 1 to 4, or leave it blank."),
        ("1.5", "Write a whole number from 1 to 4 for C0, or leave it blank."),
        ("one", "Write a whole number from 1 to 4 for C0, or leave it blank."),
    ],
)
def test_ranked_paper_unreadable_numbers(value: str, message: str) -> None:
    form = paper(data={"pref_0": value, "pref_1": "1"})
    assert not form.is_valid()
    assert form.errors["pref_0"] == [message]


# --- marks, single choice, yes/no -------------------------------------------------------
def test_block_paper_limits_marks_to_seats() -> None:
    form = paper(Method.BLOCK, seats=1, data={"marked": ["0", "1"]})
    assert not form.is_valid()
    assert form.errors["marked"] == ["You marked 2 candidates but there is 1 seat: mark at most 1."]
    form = paper(Method.BLOCK, seats=2, data={"marked": ["3", "0"]})
    assert form.is_valid()
    assert form.choice() == [0, 3]
    assert form.summary() == ["C0", "C3"]


def test_approval_paper_needs_a_mark_and_rejects_unknown_candidates() -> None:
    assert errors(paper(Method.APPROVAL, data={})) == ["Mark at least one candidate."]
    form = paper(Method.APPROVAL, data={"marked": ["9"]})
    assert not form.is_valid()
    form = paper(Method.APPROVAL, data={"marked": ["0", "1", "2", "3"]})
    assert form.is_valid() and form.choice() == [0, 1, 2, 3]


def test_plurality_paper_is_one_choice() -> None:
    form = paper(Method.PLURALITY, data={"candidate": "2"})
    assert form.is_valid()
    assert form.choice() == [2] and form.summary() == ["C2"]
    assert errors(paper(Method.PLURALITY, data={})) == ["Choose one candidate."]


def test_yes_no_paper() -> None:
    form = paper(Method.YESNO, n=0, data={"answer": "abstain"})
    assert form.is_valid()
    assert form.choice() == "abstain" and form.summary() == ["Abstain"]
    assert not paper(Method.YESNO, n=0, data={"answer": "maybe"}).is_valid()


@pytest.mark.parametrize("method", [m for m in Method if m != Method.YESNO])
def test_every_method_has_a_paper_form(method: str) -> None:
    form = paper(method)
    assert form.fields


# --- the set-up form --------------------------------------------------------------------
def setup_data(party: Party, **overrides: str) -> dict[str, str]:
    now = timezone.localtime()
    data = {
        "title": "Delegates",
        "method": "scottish-stv",
        "seats": "2",
        "candidates": " Ada Adams | Woman | Chair \nBo Brown|man\n\nCy Clarke\n",
        "quotas": "woman: 1\n",
        "threshold": "simple",
        "scope": f"clp:{party.northtown.pk}",
        "freeze_date": now.date().isoformat(),
        "months_required": "6",
        "opens_at": (now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + dt.timedelta(days=8)).strftime("%Y-%m-%dT%H:%M"),
        "results_visibility": "public",
    }
    data.update(overrides)
    return data


def test_ballot_form_parses_candidates_quotas_and_scope(party: Party) -> None:
    form = forms.BallotForm(party.clp_secretary, setup_data(party))
    assert form.is_valid(), form.errors
    kwargs = form.create_kwargs()
    assert kwargs["options"] == [
        OptionSpec(name="Ada Adams", gender="woman", description="Chair"),
        OptionSpec(name="Bo Brown", gender="man"),
        OptionSpec(name="Cy Clarke"),
    ]
    assert kwargs["quota_minimums"] == {"woman": 1}
    assert kwargs["scope_kind"] == "clp" and kwargs["clp"] == party.northtown
    assert kwargs["exclude_suspended"] is False  # unticked boxes are posted as absent


def test_ballot_form_yes_no_has_no_options(party: Party) -> None:
    form = forms.BallotForm(party.clp_secretary, setup_data(party, method="yesno", quotas=""))
    assert form.is_valid(), form.errors
    assert form.create_kwargs()["options"] == []


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("candidates", "A\nB\na", "a is listed twice (lines 1 and 3)."),
        ("candidates", "A | w | x | y", "Line 1 has more than two “|”"),
        ("candidates", " | woman", "Line 1 has no name before the “|”."),
        ("quotas", "women two", "Line 1: write a quota as “gender: seats”"),
        ("quotas", "women: -1", "Line 1: write a quota as “gender: seats”"),
    ],
)
def test_ballot_form_line_errors(party: Party, field: str, value: str, message: str) -> None:
    form = forms.BallotForm(party.clp_secretary, setup_data(party, **{field: value}))
    assert not form.is_valid()
    assert any(e.startswith(message) for e in form.errors[field])


def test_ballot_form_dates_and_ages(party: Party) -> None:
    now = timezone.localtime()
    form = forms.BallotForm(
        party.clp_secretary,
        setup_data(
            party,
            closes_at=now.strftime("%Y-%m-%dT%H:%M"),
            opens_at=(now + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            freeze_date=(now.date() + dt.timedelta(days=5)).isoformat(),
            min_age="30",
            max_age="26",
        ),
    )
    assert not form.is_valid()
    assert form.errors["closes_at"] == ["The ballot must close after it opens."]
    assert form.errors["freeze_date"] == ["The freeze date must not be after the opening date."]
    assert form.errors["max_age"] == ["The maximum age is below the minimum age."]


def test_scope_choices_follow_the_officers_units(party: Party) -> None:
    def values(user: Any) -> set[str]:
        return {s.value for s in forms.BallotForm(user).scopes}

    secretary = values(party.clp_secretary)
    assert secretary == {
        f"clp:{party.northtown.pk}",
        f"branch:{party.riverside.pk}",
        f"branch:{party.hillside.pk}",
    }
    regional = values(party.regional_officer)
    assert f"region:{party.north.pk}" in regional
    assert f"clp:{party.easton.pk}" in regional and f"clp:{party.southport.pk}" not in regional
    national = values(party.national_admin)
    assert "party" in national and f"region:{party.south.pk}" in national
    assert values(party.member) == set() and values(party.branch_officer) == set()


def test_unbound_ballot_form_suggests_a_timetable(party: Party) -> None:
    form = forms.BallotForm(party.clp_secretary)
    assert form.initial["closes_at"] > form.initial["opens_at"]
    assert form.initial["freeze_date"] == timezone.localdate()


def test_paper_form_carries_what_it_was_given(party: Party) -> None:
    ballot = BallotFactory(clp=party.northtown)
    options = list(ballot.options.order_by("position"))
    form = forms.paper_form(ballot, options, data={"pref_1": "1", "pref_0": "2"})
    assert form.is_valid()
    again = forms.paper_form(ballot, options, data=dict(form.carry()))
    assert again.is_valid() and again.choice() == form.choice() == [1, 0]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"quotas": "woman: 2"},
            "At least 2 seats must go to woman candidates, but only 1 is standing: add "
            "candidates or lower the quota.",
        ),
        (
            {"quotas": "woman: 1\nman: 2"},
            "The quotas reserve 3 seats but only 2 seats are being filled",
        ),
        ({"method": "av", "seats": "1"}, "Quotas work only with an STV count"),
    ],
)
def test_a_quota_that_cannot_be_met_is_refused_at_set_up(
    party: Party, overrides: dict[str, str], message: str
) -> None:
    """Issue 17.4: said before the ballot exists, in plain words, beside the quotas."""
    form = forms.BallotForm(party.clp_secretary, setup_data(party, **overrides))
    assert not form.is_valid()
    assert any(e.startswith(message) for e in form.errors["quotas"]), form.errors
    summary = form.error_summary()
    assert summary and all(field_id for _, field_id in summary)
