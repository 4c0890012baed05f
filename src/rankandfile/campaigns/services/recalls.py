"""The statutory recall petition tracker (Recall of MPs Act 2015; the arithmetic is
``campaigns.recall``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils.translation import gettext, gettext_noop

from rankandfile.campaigns import permissions, recall
from rankandfile.campaigns.models import (
    Campaign,
    RecallCount,
    RecallPetition,
)
from rankandfile.campaigns.services.common import (
    check_field,
)
from rankandfile.campaigns.validation import (
    clean_text,
)
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.models import MP, Constituency


@transaction.atomic
def recall_record(
    *,
    actor: User | None,
    constituency: Constituency,
    mp_name: str,
    ground: str,
    opens_on: dt.date,
    closes_on: dt.date | None = None,
    signing_places: Sequence[str] = (),
    ground_detail: str = "",
    mp: MP | None = None,
    electorate_at_close: int | None = None,
    campaign: Campaign | None = None,
) -> RecallPetition:
    """Record a triggered recall petition (§5). ``closes_on`` defaults to six weeks after
    opening (s.9); at most ten signing places (s.7)."""
    if actor is not None and not permissions.can_record_for(actor, constituency):
        raise PermissionDenied(gettext("only the officers of this constituency party may do that"))
    if ground not in RecallPetition.Ground.values:
        raise DomainError(gettext("Choose the ground from the list (Recall of MPs Act 2015, s.1)."))
    closes_on = closes_on or recall.default_closing_day(opens_on)
    if closes_on <= opens_on:
        raise DomainError(gettext("The petition must close after it opens."))
    places = [p.strip() for p in signing_places if p.strip()]
    problems = recall.check_signing_places(places)
    if problems:
        raise DomainError("; ".join(problems).capitalize() + ".")
    if electorate_at_close is not None and electorate_at_close < 1:
        raise DomainError(gettext("The electorate must be a positive number."))
    petition = RecallPetition.objects.create(
        constituency=constituency,
        mp=mp,
        mp_name=check_field(clean_text, mp_name, label=gettext_noop("MP's name"), max_length=200),
        ground=ground,
        ground_detail=check_field(
            clean_text, ground_detail, label=gettext_noop("details"), max_length=500, required=False
        ),
        opens_on=opens_on,
        closes_on=closes_on,
        signing_places=places,
        electorate_at_close=electorate_at_close,
        campaign=campaign,
    )
    audit.record(actor=actor, action="campaigns.recall.record", target=petition)
    return petition


@transaction.atomic
def recall_add_count(
    *,
    actor: User | None,
    petition: RecallPetition,
    published_on: dt.date,
    signatures: int,
    electorate: int | None = None,
    is_final: bool = False,
    source: str = "",
) -> RecallCount:
    """Enter an official count as published (§5). A final count after the closing day
    with the register size settles the outcome."""
    if actor is not None and not permissions.can_record_for(actor, petition.constituency):
        raise PermissionDenied(gettext("only the officers of this constituency party may do that"))
    if signatures < 0:
        raise DomainError(gettext("Signatures cannot be negative."))
    if published_on < petition.opens_on:
        raise DomainError(gettext("A count cannot be published before the petition opens."))
    if is_final and published_on < petition.closes_on:
        raise DomainError(gettext("The final count comes on or after the closing day."))
    if electorate is not None and electorate < 1:
        raise DomainError(gettext("The electorate must be a positive number."))
    petition = RecallPetition.objects.select_for_update().get(pk=petition.pk)
    if petition.counts.filter(is_final=True).exists():
        raise DomainError(gettext("The final count is already recorded."))
    previous = petition.counts.order_by("-published_on", "-pk").first()
    if previous is not None and published_on < previous.published_on:
        raise DomainError(gettext("Counts are entered in order: this one predates the last."))
    count = RecallCount.objects.create(
        petition=petition,
        published_on=published_on,
        signatures=signatures,
        electorate=electorate,
        is_final=is_final,
        source=source.strip()[:300],
    )
    if is_final and electorate is not None:
        petition.electorate_at_close = electorate
        petition.save(update_fields=["electorate_at_close"])
    audit.record(
        actor=actor,
        action="campaigns.recall.count",
        target=petition,
        data={"signatures": signatures, "final": is_final, "published_on": published_on},
    )
    return count
