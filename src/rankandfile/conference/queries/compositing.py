"""Reads for compositing: a composite with its originals, sentence provenance and sign-offs;
a topic's motions."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from rankandfile.conference import procedure
from rankandfile.conference.models import Composite, CompositeSignoff, Conference, Submission, Topic


@dataclass
class CompositeView:
    composite: Composite
    originals: list[Submission]
    origins: list[procedure.SentenceOrigin]
    signed: dict[int, CompositeSignoff] = field(default_factory=dict)

    @property
    def new_words(self) -> list[str]:
        return [w for o in self.origins for w in o.new_words]

    @property
    def unsigned(self) -> list[Submission]:
        return [s for s in self.originals if s.pk not in self.signed]


def composite_view(composite: Composite) -> CompositeView:
    originals = list(
        Submission.objects.filter(
            Q(composite=composite) | Q(topic=composite.topic, kind=Submission.Kind.MOTION)
        )
        .filter(status__in=[Submission.Status.IN_ORDER, Submission.Status.COMPOSITED])
        .filter(Q(composite__isnull=True) | Q(composite=composite))
        .select_related("clp", "affiliate")
        .order_by("reference")
    )
    sources = {s.reference: s.text for s in originals}
    signed = {
        so.submission_id: so
        for so in CompositeSignoff.objects.filter(composite=composite).select_related("signed_by")
    }
    return CompositeView(
        composite=composite,
        originals=originals,
        origins=procedure.provenance(composite.text, sources),
        signed=signed,
    )


def composites_of(conference: Conference) -> QuerySet[Composite]:
    return Composite.objects.filter(conference=conference).select_related("topic")


def topic_motions(topic: Topic) -> QuerySet[Submission]:
    """The motions in order on a topic: a composite's originals."""
    return Submission.objects.filter(
        topic=topic, kind=Submission.Kind.MOTION, status=Submission.Status.IN_ORDER
    ).select_related("clp", "affiliate")


def topic_motion_texts(topic: Topic) -> dict[str, str]:
    """Reference -> text of the topic's motions in order or composited (provenance)."""
    return {
        s.reference: s.text
        for s in Submission.objects.filter(
            topic=topic,
            kind=Submission.Kind.MOTION,
            status__in=[Submission.Status.IN_ORDER, Submission.Status.COMPOSITED],
        )
    }
