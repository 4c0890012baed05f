"""Setting up a conference: its dates and deadlines (and changing them later, with the same
checks), and the topics motions go under."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from rankandfile.conference.models import (
    Conference,
    ConferenceDates,
    Topic,
)
from rankandfile.conference.services.common import require_manager
from rankandfile.core import audit
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User


@transaction.atomic
def conference_create(
    *,
    actor: User,
    year: int,
    title: str,
    venue: str,
    starts_on: dt.date,
    ends_on: dt.date,
    motions_deadline: dt.datetime,
    rule_changes_deadline: dt.datetime,
    amendments_deadline: dt.datetime,
    delegates_deadline: dt.datetime,
    census_date: dt.date,
) -> Conference:
    """Set up a conference and its deadlines (CAC). The deadlines must fall before the
    conference opens and the census date on or before the motions deadline."""
    require_manager(actor)
    if ends_on < starts_on:
        raise DomainError("the conference cannot end before it starts")
    if Conference.objects.filter(year=year).exists():
        raise DomainError(f"there is already a conference in {year}")
    opens = dt.datetime.combine(starts_on, dt.time(9), tzinfo=timezone.get_current_timezone())
    for label, d in (
        ("motions", motions_deadline),
        ("rule changes", rule_changes_deadline),
        ("amendments", amendments_deadline),
        ("delegate registration", delegates_deadline),
    ):
        if d >= opens:
            raise DomainError(f"the deadline for {label} must be before the conference opens")
    if census_date > starts_on:
        raise DomainError("the census date must be before the conference")
    conf = Conference.objects.create(
        year=year, title=title.strip(), venue=venue.strip(), starts_on=starts_on, ends_on=ends_on
    )
    ConferenceDates.objects.create(
        conference=conf,
        motions_deadline=motions_deadline,
        rule_changes_deadline=rule_changes_deadline,
        amendments_deadline=amendments_deadline,
        delegates_deadline=delegates_deadline,
        census_date=census_date,
    )
    audit.record(actor=actor, action="conference.create", target=conf)
    return conf


@transaction.atomic
def topic_create(*, actor: User, conference: Conference, name: str) -> Topic:
    require_manager(actor)
    name = name.strip()
    if not name:
        raise DomainError("a topic needs a name")
    if Topic.objects.filter(conference=conference, name__iexact=name).exists():
        raise DomainError(f"there is already a topic called {name!r}")
    pos = (Topic.objects.filter(conference=conference).aggregate(m=Max("position"))["m"] or 0) + 1
    topic = Topic.objects.create(conference=conference, name=name, position=pos)
    audit.record(actor=actor, action="conference.topic_create", target=topic)
    return topic
