"""The priorities ballot (appendix 6, clause A6.1): open, cast per delegation, count."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from rankandfile.conference.models import (
    Conference,
    PriorityChoice,
    Topic,
)
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import priorities as priorities_queries
from rankandfile.conference.services.common import clock, require_manager
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.counting.topn import SectionTally, TieRule, count_priorities
from rankandfile.membership.models import CLP, Affiliate


@transaction.atomic
def priorities_open(
    *, actor: User, conference: Conference, now: dt.datetime | None = None
) -> Conference:
    require_manager(actor)
    dates = conference.dates
    if dates.agenda_published_at is None:
        raise DomainError(gettext("publish the agenda before opening the priorities ballot"))
    if dates.priorities_opened_at is not None:
        raise DomainError(gettext("the priorities ballot has already been opened"))
    if not Topic.objects.filter(conference=conference).exists():
        raise DomainError(gettext("there are no topics to prioritise"))
    dates.priorities_opened_at = clock(now)
    dates.save(update_fields=["priorities_opened_at"])
    audit.record(actor=actor, action="conference.priorities_open", target=conference)
    return conference


@transaction.atomic
def priorities_cast(
    *,
    actor: User,
    conference: Conference,
    topics: Sequence[Topic],
    clp: CLP | None = None,
    affiliate: Affiliate | None = None,
    now: dt.datetime | None = None,
) -> PriorityChoice:
    """One vote per CLP delegation and per affiliate: up to N distinct topics."""
    dates = conference.dates
    if dates.priorities_opened_at is None or dates.priorities_closed_at is not None:
        raise DomainError(gettext("the priorities ballot is not open"))
    if (clp is None) == (affiliate is None):
        raise DomainError(gettext("choose the CLP or affiliate you vote for"))
    clps, affs = priorities_queries.priority_voter_unit_ids(actor, conference)
    if clp is not None and clp.pk not in clps:
        raise PermissionDenied(gettext("you may not vote for %(clp)s") % {"clp": clp})
    if affiliate is not None and affiliate.pk not in affs:
        raise PermissionDenied(
            gettext("you may not vote for %(affiliate)s") % {"affiliate": affiliate}
        )
    p = common_queries.conference_parameters(conference)
    chosen = {t.pk: t for t in topics}
    if not chosen:
        raise DomainError(gettext("choose at least one topic"))
    if len(chosen) > p.priorities_topics_per_section:
        raise DomainError(
            gettext("choose at most %(limit)s topics (you chose %(n)s; clause A6.1)")
            % {"limit": p.priorities_topics_per_section, "n": len(chosen)}
        )
    if any(t.conference_id != conference.pk for t in chosen.values()):
        raise DomainError(gettext("a topic chosen is not on this conference's agenda"))
    try:
        with transaction.atomic():
            pc = PriorityChoice.objects.create(
                conference=conference,
                section="clp" if clp else "affiliate",
                clp=clp,
                affiliate=affiliate,
                cast_by=actor,
                cast_at=clock(now),
            )
    except IntegrityError as exc:
        raise DomainError(
            gettext("%(organisation)s has already voted in the priorities ballot")
            % {"organisation": clp or affiliate}
        ) from exc
    pc.topics.set(chosen.values())
    audit.record(
        actor=actor,
        action="conference.priorities_cast",
        target=conference,
        data={"unit": str(clp or affiliate)},
    )
    return pc


@transaction.atomic
def priorities_close(
    *, actor: User, conference: Conference, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Count per section (``counting.topn``): each section's top N; the union is debated.
    Ties at the N-th place are all included (nobody's topic loses on a lot)."""
    require_manager(actor)
    dates = conference.dates
    if dates.priorities_opened_at is None or dates.priorities_closed_at is not None:
        raise DomainError(gettext("the priorities ballot is not open"))
    p = common_queries.conference_parameters(conference)
    topics = list(Topic.objects.filter(conference=conference).order_by("position", "name"))
    names = [t.name for t in topics]
    index = {t.pk: i for i, t in enumerate(topics)}
    tallies = []
    for section in ("clp", "affiliate"):
        votes = [0] * len(topics)
        voters = 0
        for pc in PriorityChoice.objects.filter(
            conference=conference, section=section
        ).prefetch_related("topics"):
            voters += 1
            for t in pc.topics.all():
                votes[index[t.pk]] += 1
        tallies.append(SectionTally(name=section, votes=tuple(votes), voters=voters))
    result = count_priorities(
        names, tallies, n=p.priorities_topics_per_section, ties=TieRule.INCLUDE_ALL
    )
    for i, t in enumerate(topics):
        by = [s.name for s in result.sections if i in s.prioritised]
        t.debated = bool(by)
        t.prioritised_by = ", ".join(by)
        t.save(update_fields=["debated", "prioritised_by"])
    dates.priorities_closed_at = clock(now)
    dates.priorities_result = result.to_dict()
    dates.save(update_fields=["priorities_closed_at", "priorities_result"])
    audit.record(
        actor=actor,
        action="conference.priorities_close",
        target=conference,
        data={"debated": list(result.debated_names)},
    )
    return result.to_dict()
