"""The rule book as data: versions over time, clauses from parameters, the loader."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from rankandfile.conference import rulebook, rulebook_data
from rankandfile.conference.models import RuleBookVersion, RuleClause
from rankandfile.conference.rules import RuleParameters, SelectionMode
from rankandfile.conference.services import rulebook as rule_book_services


@pytest.mark.django_db
def test_parameters_change_with_the_rule_book_in_force() -> None:
    rule_book_services.rule_book_load(actor=None)
    at = rulebook.parameters_in_force
    assert at(on=dt.date(2017, 6, 1)).priorities_topics_per_section == 4
    assert at(on=dt.date(2017, 6, 1)).selection_mode == SelectionMode.TRIGGER_PRE_2018
    assert at(on=dt.date(2018, 9, 25)).selection_mode == SelectionMode.TRIGGER_PRE_2018
    assert at(on=dt.date(2018, 9, 26)).selection_mode == SelectionMode.TRIGGER_2018
    assert at(on=dt.date(2019, 9, 1)).priorities_topics_per_section == 10
    assert at(on=dt.date(2021, 10, 1)).priorities_topics_per_section == 6
    assert at(on=dt.date(2021, 10, 1)).selection_mode == SelectionMode.TRIGGER_2021
    assert at(on=dt.date(2022, 1, 1)).delegate_max == 0
    assert at(on=dt.date(2022, 9, 28)).delegate_max == 6
    assert at(on=dt.date(2026, 1, 1)).selection_mode == SelectionMode.MANDATORY_OPEN
    assert at(on=dt.date(2026, 1, 1)).programme_threshold == Fraction(2, 3)
    # Before the first version: the defaults.
    assert at(on=dt.date(2000, 1, 1)) == RuleParameters()


@pytest.mark.django_db
def test_clauses_say_what_the_parameters_are() -> None:
    rule_book_services.rule_book_load(actor=None)
    v2017 = RuleBookVersion.objects.get(number=1)
    v2022 = RuleBookVersion.objects.get(number=4)
    priorities = RuleClause.objects.get(version=v2017, number="A6.1")
    assert "select 4 topics" in priorities.text
    cap = RuleClause.objects.get(version=v2022, number="3.III.1")
    assert "up to a maximum of 6 delegates" in cap.text
    assert cap.since_year == 2022 and "2022 conference" in cap.origin
    # Unchanged clauses keep their origin from the first version.
    sov = RuleClause.objects.get(version=v2022, number="3.I.1")
    assert sov.origin == "In the rule book before 2017"


@pytest.mark.django_db
def test_load_is_idempotent_and_the_command_reports() -> None:
    out = StringIO()
    call_command("conference_load_rules", stdout=out)
    assert "5 versions added" in out.getvalue()
    out = StringIO()
    call_command("conference_load_rules", stdout=out)
    assert "0 versions added" in out.getvalue()
    assert RuleBookVersion.objects.count() == 5
    assert RuleClause.objects.filter(version__number=5).count() == len(rulebook_data.CLAUSES)


def test_parameters_reject_bad_json() -> None:
    with pytest.raises(ValueError, match="unknown rule-book parameters"):
        RuleParameters.from_json({"no_such": 1})
    with pytest.raises(ValueError, match="add up to 1"):
        RuleParameters.from_json({"card_vote_section_shares": {"clp": "1/2", "affiliate": "1/3"}})


_ = Any
