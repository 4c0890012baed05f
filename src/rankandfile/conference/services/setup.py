"""Setting up a conference: its dates and deadlines (and changing them later, with the same
checks), and the topics motions go under."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from rankandfile.conference.models import (
    Conference,
    ConferenceDates,
    Topic,
)
from rankandfile.conference.services.common import require_manager
from rankandfile.core import audit
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User

_DEADLINES = (  # the refusal for each deadline, in the order of the form's fields
    gettext_noop("the deadline for motions must be before the conference opens"),
    gettext_noop("the deadline for rule changes must be before the conference opens"),
    gettext_noop("the deadline for amendments must be before the conference opens"),
    gettext_noop("the deadline for delegate registration must be before the conference opens"),
)


def _check_dates(
    *,
    starts_on: dt.date,
    ends_on: dt.date,
    deadlines: tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime],
    census_date: dt.date,
) -> None:
    """The checks on a conference's dates, at set-up and whenever they change: it ends on
    or after it starts, every deadline (motions, rule changes, amendments, delegate
    registration) falls before it opens (09:00 on the first day), the census date is not
    after it starts."""
    if ends_on < starts_on:
        raise DomainError(gettext("the conference cannot end before it starts"))
    opens = dt.datetime.combine(starts_on, dt.time(9), tzinfo=timezone.get_current_timezone())
    for message, d in zip(_DEADLINES, deadlines, strict=True):
        if d >= opens:
            raise DomainError(gettext(message))
    if census_date > starts_on:
        raise DomainError(gettext("the census date must be before the conference"))


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
    if Conference.objects.filter(year=year).exists():
        raise DomainError(gettext("there is already a conference in %(year)s") % {"year": year})
    _check_dates(
        starts_on=starts_on,
        ends_on=ends_on,
        deadlines=(
            motions_deadline,
            rule_changes_deadline,
            amendments_deadline,
            delegates_deadline,
        ),
        census_date=census_date,
    )
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


_DATE_FIELDS = (
    "starts_on",
    "ends_on",
    "motions_deadline",
    "rule_changes_deadline",
    "amendments_deadline",
    "delegates_deadline",
    "census_date",
)


@transaction.atomic
def conference_dates_change(
    *,
    actor: User,
    conference: Conference,
    starts_on: dt.date,
    ends_on: dt.date,
    motions_deadline: dt.datetime,
    rule_changes_deadline: dt.datetime,
    amendments_deadline: dt.datetime,
    delegates_deadline: dt.datetime,
    census_date: dt.date,
) -> Conference:
    """The CAC changes a conference's dates after set-up (issue 16.5), with the checks the
    set-up applies (``_check_dates``), and: the conference stays in its year; the census
    date, which fixes delegate entitlements and card-vote weights, cannot move once a card
    vote has been opened. The audit entry keeps every old and new date."""
    require_manager(actor)
    conf = Conference.objects.select_for_update().get(pk=conference.pk)
    dates = ConferenceDates.objects.select_for_update().get(conference=conf)
    if starts_on.year != conf.year:
        raise DomainError(
            gettext("the %(year)s conference must start in %(year)s") % {"year": conf.year}
        )
    _check_dates(
        starts_on=starts_on,
        ends_on=ends_on,
        deadlines=(
            motions_deadline,
            rule_changes_deadline,
            amendments_deadline,
            delegates_deadline,
        ),
        census_date=census_date,
    )
    if (
        census_date != dates.census_date
        and conf.sessions.filter(items__opened_at__isnull=False).exists()
    ):
        raise DomainError(
            gettext(
                "a card vote has been taken with the delegates' weights at the census date; "
                "the census date can no longer change"
            )
        )
    new = {
        "starts_on": starts_on,
        "ends_on": ends_on,
        "motions_deadline": motions_deadline,
        "rule_changes_deadline": rule_changes_deadline,
        "amendments_deadline": amendments_deadline,
        "delegates_deadline": delegates_deadline,
        "census_date": census_date,
    }
    old = {k: getattr(conf if k in ("starts_on", "ends_on") else dates, k) for k in _DATE_FIELDS}
    changed = {k: [str(old[k]), str(v)] for k, v in new.items() if old[k] != v}
    if not changed:
        raise DomainError(gettext("nothing changed: the dates are as they were"))
    conf.starts_on, conf.ends_on = starts_on, ends_on
    conf.save(update_fields=["starts_on", "ends_on"])
    for k in _DATE_FIELDS[2:]:
        setattr(dates, k, new[k])
    dates.save(update_fields=list(_DATE_FIELDS[2:]))
    audit.record(
        actor=actor, action="conference.dates_change", target=conf, data={"changed": changed}
    )
    return conf


@transaction.atomic
def topic_create(*, actor: User, conference: Conference, name: str) -> Topic:
    require_manager(actor)
    name = name.strip()
    if not name:
        raise DomainError(gettext("a topic needs a name"))
    if Topic.objects.filter(conference=conference, name__iexact=name).exists():
        raise DomainError(
            gettext("there is already a topic called %(name)s") % {"name": repr(name)}
        )
    pos = (Topic.objects.filter(conference=conference).aggregate(m=Max("position"))["m"] or 0) + 1
    topic = Topic.objects.create(conference=conference, name=name, position=pos)
    audit.record(actor=actor, action="conference.topic_create", target=topic)
    return topic
