"""Conference: the versioned rule book and programme, and the conferences that change them.

Cross-app contract (other apps rely on these names):
- ``RuleBookVersion`` / ``rulebook.parameters_in_force(on=date)`` — the rule book's
  parameters in force on a date (selections read their mode and thresholds from it);
- ``ProgrammeEntry`` — an entry of the party programme (accountability links policies to
  it); ``ProgrammeEntry.objects.current()`` is the programme in force now.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import Q


class Conference(models.Model):
    """One annual conference (the sovereign body that changes programme and rule book)."""

    year = models.PositiveSmallIntegerField(unique=True)
    title = models.CharField(max_length=200)
    venue = models.CharField(max_length=200, blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()

    class Meta:
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="conference_dates_order"
            )
        ]

    def __str__(self) -> str:
        return self.title


class RuleBookVersion(models.Model):
    """A version of the rule book: its clauses and the parameters the software obeys.

    The version in force on a day is the one with the latest ``effective_from`` on or
    before it. ``parameters`` holds ``rules.RuleParameters.to_json()``.
    """

    number = models.PositiveIntegerField(unique=True)
    title = models.CharField(max_length=200)
    effective_from = models.DateField(unique=True)
    adopted_by = models.ForeignKey(
        Conference,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rule_book_versions",
        help_text="The conference whose rule changes produced this version.",
    )
    parameters = models.JSONField()
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"{self.title} (in force from {self.effective_from:%-d %B %Y})"


class RuleClause(models.Model):
    """One numbered clause of a rule-book version (e.g. chapter 5, clause II.3)."""

    version = models.ForeignKey(RuleBookVersion, on_delete=models.CASCADE, related_name="clauses")
    number = models.CharField(max_length=30, help_text='e.g. "5.II.3"')
    chapter = models.CharField(max_length=120)
    heading = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    position = models.PositiveIntegerField(help_text="Order within the rule book.")

    class Meta:
        ordering = ["version", "position"]
        constraints = [
            models.UniqueConstraint(fields=["version", "number"], name="clause_unique_number"),
            models.UniqueConstraint(fields=["version", "position"], name="clause_unique_position"),
        ]

    def __str__(self) -> str:
        return f"Clause {self.number}"


class ProgrammeVersion(models.Model):
    """A published version of the party programme (one per conference that changed it)."""

    number = models.PositiveIntegerField(unique=True)
    conference = models.ForeignKey(
        Conference,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="programme_versions",
    )
    published_on = models.DateField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"Programme v{self.number} ({self.published_on:%Y})"


class ProgrammeEntryQuerySet(models.QuerySet["ProgrammeEntry"]):
    def in_version(self, version: ProgrammeVersion) -> ProgrammeEntryQuerySet:
        """Entries in force in ``version``: added in it or before, not yet removed."""
        return self.filter(added_in__number__lte=version.number).filter(
            Q(removed_in__isnull=True) | Q(removed_in__number__gt=version.number)
        )

    def current(self) -> ProgrammeEntryQuerySet:
        return self.filter(removed_in__isnull=True)

    def on(self, day: dt.date) -> ProgrammeEntryQuerySet:
        return self.filter(added_in__published_on__lte=day).filter(
            Q(removed_in__isnull=True) | Q(removed_in__published_on__gt=day)
        )


class ProgrammeEntry(models.Model):
    """One entry of the party programme, put there by a conference vote.

    An entry never changes: a later conference that changes the policy adds a new entry
    that ``supersedes`` it, and the old one gets ``removed_in``; history is kept.
    """

    reference = models.CharField(max_length=20, unique=True, help_text='e.g. "2025/07"')
    title = models.CharField(max_length=200)
    topic = models.CharField(max_length=120)
    text = models.TextField()
    conference = models.ForeignKey(
        Conference, on_delete=models.PROTECT, related_name="programme_entries"
    )
    added_in = models.ForeignKey(
        ProgrammeVersion, on_delete=models.PROTECT, related_name="entries_added"
    )
    removed_in = models.ForeignKey(
        ProgrammeVersion,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries_removed",
    )
    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    objects = ProgrammeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name_plural = "programme entries"

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"
