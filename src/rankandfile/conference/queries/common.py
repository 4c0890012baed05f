"""Reads every stage shares: which conference (this year's, or by year) and the rules it is
judged by (those in force when it opens)."""

from __future__ import annotations

import datetime as dt

from rankandfile.conference.models import Conference
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.rules import RuleParameters


def current_conference(*, today: dt.date | None = None) -> Conference | None:
    """This year's conference if there is one, else the latest."""
    from django.utils import timezone

    day = today or timezone.localdate()
    return (
        Conference.objects.select_related("dates").filter(year=day.year).first()
        or Conference.objects.select_related("dates").order_by("-year").first()
    )


def conference_by_year(year: int) -> Conference | None:
    return Conference.objects.select_related("dates").filter(year=year).first()


def conference_parameters(conference: Conference) -> RuleParameters:
    """The rules in force when the conference opens (its decisions are judged by them)."""
    return parameters_in_force(on=conference.starts_on)
