"""Reads for setting a conference up: the conferences run with the software and their topics
(with the motions in order on each)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from rankandfile.conference.models import Conference, Submission, Topic


def conferences_set_up() -> QuerySet[Conference]:
    """Conferences run with the software (with dates), newest first."""
    return Conference.objects.filter(dates__isnull=False).order_by("-year")


def topics_of(conference: Conference) -> QuerySet[Topic]:
    return Topic.objects.filter(conference=conference).order_by("position", "name")


def topics_with_counts(conference: Conference) -> list[Topic]:
    return list(
        Topic.objects.filter(conference=conference).annotate(
            motions=Count(
                "submissions",
                filter=Q(
                    submissions__status__in=[
                        Submission.Status.IN_ORDER,
                        Submission.Status.COMPOSITED,
                    ]
                ),
            )
        )
    )
