"""Compositing (clause A6.2): the CAC drafts, every mover agrees the wording."""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext

from rankandfile.conference import permissions
from rankandfile.conference.models import (
    Composite,
    CompositeSignoff,
    Submission,
    Topic,
)
from rankandfile.conference.queries import compositing as compositing_queries
from rankandfile.conference.services.common import clock, require_manager
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@transaction.atomic
def composite_create(*, actor: User, topic: Topic, title: str, text: str) -> Composite:
    """Start a composite on a topic; its originals are the topic's motions in order."""
    require_manager(actor)
    if not Submission.objects.filter(
        topic=topic, status=Submission.Status.IN_ORDER, kind=Submission.Kind.MOTION
    ).exists():
        raise DomainError(
            gettext("there are no motions in order on %(topic)s to composite") % {"topic": topic}
        )
    if not title.strip() or not text.strip():
        raise DomainError(gettext("a composite needs a title and a text"))
    n = (
        Composite.objects.filter(conference=topic.conference).aggregate(m=Max("number"))["m"] or 0
    ) + 1
    c = Composite.objects.create(
        conference=topic.conference,
        topic=topic,
        number=n,
        title=title.strip(),
        text=text.strip(),
        drafted_by=actor,
    )
    audit.record(actor=actor, action="conference.composite_create", target=c)
    return c


@transaction.atomic
def composite_update(*, actor: User, composite: Composite, title: str, text: str) -> Composite:
    """Redraft; every sign-off is withdrawn because the wording agreed has changed."""
    require_manager(actor)
    if composite.status == Composite.Status.AGREED:
        raise DomainError(gettext("the composite has been agreed by every mover and is final"))
    if not title.strip() or not text.strip():
        raise DomainError(gettext("a composite needs a title and a text"))
    composite.title, composite.text = title.strip(), text.strip()
    composite.save(update_fields=["title", "text", "updated_at"])
    dropped = CompositeSignoff.objects.filter(composite=composite).delete()[0]
    audit.record(
        actor=actor,
        action="conference.composite_update",
        target=composite,
        data={"signoffs_withdrawn": dropped},
    )
    return composite


@transaction.atomic
def composite_sign(
    *, actor: User, composite: Composite, submission: Submission, now: dt.datetime | None = None
) -> Composite:
    """A mover agrees the wording. When every original's mover has agreed, the composite is
    final and the originals are marked composited (linked both ways)."""
    view = compositing_queries.composite_view(composite)
    if submission.pk not in {s.pk for s in view.originals}:
        raise DomainError(gettext("that motion is not one of this composite's originals"))
    if not permissions.can_sign_composite(actor, submission):
        raise PermissionDenied(gettext("only the mover's organisation may agree the composite"))
    if composite.status == Composite.Status.AGREED:
        raise DomainError(gettext("the composite is already agreed"))
    if submission.pk in view.signed:
        raise DomainError(
            gettext("%(organisation)s has already agreed this wording")
            % {"organisation": submission.organisation_name}
        )
    CompositeSignoff.objects.create(
        composite=composite,
        submission=submission,
        signed_by=actor,
        signed_at=clock(now),
        text_digest=_digest(composite.text),
    )
    audit.record(
        actor=actor,
        action="conference.composite_sign",
        target=composite,
        data={"submission": submission.reference},
    )
    if len(view.unsigned) == 1:  # this was the last one
        composite.status = Composite.Status.AGREED
        composite.save(update_fields=["status", "updated_at"])
        Submission.objects.filter(pk__in=[s.pk for s in view.originals]).update(
            status=Submission.Status.COMPOSITED, composite=composite
        )
        audit.record(actor=actor, action="conference.composite_agreed", target=composite)
    return composite
