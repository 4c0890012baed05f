"""Conference: the versioned rule book and programme, and the conferences that change them.

Cross-app contract (other apps rely on these names):
- ``RuleBookVersion`` / ``rulebook.parameters_in_force(on=date)`` — the rule book's
  parameters in force on a date (selections read their mode and thresholds from it);
- ``ProgrammeEntry`` — an entry of the party programme (accountability links policies to
  it); ``ProgrammeEntry.objects.current()`` is the programme in force now.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.db.models import Q


class OrganisationMixin:
    """For rows that belong to one CLP or one affiliate (submissions, amendments)."""

    clp_id: int | None
    clp: Any
    affiliate: Any

    @property
    def organisation(self) -> Any:
        return self.clp if self.clp_id else self.affiliate

    @property
    def organisation_name(self) -> str:
        org = self.organisation
        return str(org) if org is not None else ""


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
    #: Where this wording came from: the rule change carried (null: older than the software).
    agenda_item = models.ForeignKey(
        "AgendaItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    origin = models.CharField(
        max_length=300, blank=True, help_text='e.g. "Rule change carried at the 2018 conference"'
    )
    since_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Conference year this wording was decided."
    )

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
    #: The vote that put it there (null for entries loaded from before the software).
    agenda_item = models.ForeignKey(
        "AgendaItem", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: The card-vote figures as announced (exact shares and display percentages).
    figures = models.JSONField(default=dict, blank=True)

    objects = ProgrammeEntryQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        verbose_name_plural = "programme entries"

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


# --- The conference year: deadlines, topics, submissions -------------------------------
class ConferenceDates(models.Model):
    """Deadlines and the census date of a conference (one row per conference).

    Kept apart from :class:`Conference` so the cross-app contract model stays small.
    """

    conference = models.OneToOneField(Conference, on_delete=models.CASCADE, related_name="dates")
    motions_deadline = models.DateTimeField()
    rule_changes_deadline = models.DateTimeField()
    amendments_deadline = models.DateTimeField()
    delegates_deadline = models.DateTimeField()
    census_date = models.DateField(
        help_text="Membership on this day decides each CLP's delegate entitlement and weight."
    )
    agenda_published_at = models.DateTimeField(null=True, blank=True)
    priorities_opened_at = models.DateTimeField(null=True, blank=True)
    priorities_closed_at = models.DateTimeField(null=True, blank=True)
    priorities_result = models.JSONField(default=dict, blank=True)

    def __str__(self) -> str:
        return f"Deadlines of {self.conference}"


class Topic(models.Model):
    """A subject heading the CAC groups submissions under (the priorities ballot's options)."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(max_length=120)
    position = models.PositiveIntegerField(default=0)
    debated = models.BooleanField(default=False)
    prioritised_by = models.CharField(
        max_length=60, blank=True, help_text="Sections that prioritised it, e.g. 'clp, affiliate'."
    )

    class Meta:
        ordering = ["conference", "position", "name"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "name"], name="topic_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class Submission(OrganisationMixin, models.Model):
    """A motion or a rule change submitted by a CLP or an affiliate.

    Exactly one of ``clp`` and ``affiliate`` is set (database constraint). A rule change
    names the clause it amends and the proposed new text; ``debate_year`` is the year of
    the conference that debates it (a CLP rule change waits ``clp_rule_change_delay_years``).
    """

    class Kind(models.TextChoices):
        MOTION = "motion", "Motion"
        RULE_CHANGE = "rule_change", "Rule change"

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted, awaiting the CAC"
        IN_ORDER = "in_order", "In order"
        OUT_OF_ORDER = "out_of_order", "Ruled out of order"
        COMPOSITED = "composited", "Composited"
        WITHDRAWN = "withdrawn", "Withdrawn"

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="submissions")
    reference = models.CharField(max_length=20, blank=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    clp = models.ForeignKey(
        "membership.CLP", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    affiliate = models.ForeignKey(
        "membership.Affiliate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(max_length=200)
    text = models.TextField()
    clause_number = models.CharField(max_length=30, blank=True)
    parameter_changes = models.JSONField(default=dict, blank=True)
    debate_year = models.PositiveSmallIntegerField()
    supersedes = models.ForeignKey(
        ProgrammeEntry,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="superseding_submissions",
        help_text="The programme entry this motion would replace if adopted.",
    )
    meeting_date = models.DateField()
    meeting_for = models.PositiveIntegerField()
    meeting_against = models.PositiveIntegerField()
    meeting_abstain = models.PositiveIntegerField(default=0)
    submitted_by = models.ForeignKey(
        "core.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.SUBMITTED)
    ruling_reason = models.TextField(blank=True)
    ruled_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ruled_at = models.DateTimeField(null=True, blank=True)
    topic = models.ForeignKey(
        Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="submissions"
    )
    composite = models.ForeignKey(
        "Composite",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="originals",
    )
    #: The CLP motion this submission was made from (rankandfile.meetings), if any.
    origin_motion = models.OneToOneField(
        "meetings.Motion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="submission",
    )

    class Meta:
        ordering = ["conference", "reference", "pk"]
        constraints = [
            models.CheckConstraint(
                name="submission_one_organisation",
                condition=Q(clp__isnull=False, affiliate__isnull=True)
                | Q(clp__isnull=True, affiliate__isnull=False),
            ),
            models.CheckConstraint(
                name="submission_rule_change_names_clause",
                condition=Q(kind="motion") | ~Q(clause_number=""),
            ),
        ]
        indexes = [models.Index(fields=["debate_year", "kind", "status"])]

    def __str__(self) -> str:
        return f"{self.reference or '—'} {self.title}"

    @property
    def parameter_change_rows(self) -> list[tuple[str, str, str]]:
        """(parameter, meaning, new value) of the parameter changes the CAC attached to
        this rule change: shown on the agenda, the ballot and the results board."""
        from rankandfile.conference.rulechanges import shown

        return shown(self.parameter_changes or {})


class Composite(models.Model):
    """A composite motion merged from the in-order motions on a prioritised topic."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft (being agreed)"
        AGREED = "agreed", "Agreed by every mover"

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="composites")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="composites")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    text = models.TextField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    drafted_by = models.ForeignKey(
        "core.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["conference", "number"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "number"], name="composite_unique_number")
        ]

    def __str__(self) -> str:
        return f"Composite {self.number}: {self.title}"


class CompositeSignoff(models.Model):
    """A sponsoring organisation's agreement to the composite's final wording."""

    composite = models.ForeignKey(Composite, on_delete=models.CASCADE, related_name="signoffs")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="+")
    signed_by = models.ForeignKey(
        "core.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_at = models.DateTimeField()
    text_digest = models.CharField(max_length=64, help_text="SHA-256 of the wording agreed.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["composite", "submission"], name="signoff_unique")
        ]

    def __str__(self) -> str:
        return f"Agreement to composite {self.composite_id} for submission {self.submission_id}"


class ConferenceDocument(models.Model):
    """A document the CAC puts before conference for amendment and a vote: an NEC
    statement or a policy document (issue 16.5). CLPs and affiliates amend it as they
    amend a motion; carried by the programme threshold on a card vote, it enters the
    programme as amended."""

    class Kind(models.TextChoices):
        NEC_STATEMENT = "nec_statement", "NEC statement"
        POLICY_DOCUMENT = "policy_document", "Policy document"

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="documents")
    number = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=200)
    text = models.TextField()
    designated_by = models.ForeignKey(
        "core.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    designated_at = models.DateTimeField()

    class Meta:
        ordering = ["conference", "number"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "number"], name="document_unique_number")
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.get_kind_display()} D{self.number}: {self.title}"


class Amendment(OrganisationMixin, models.Model):
    """An amendment by a CLP or an affiliate to a motion, composite or rule change on the
    published agenda (exactly one target, exactly one organisation: database constraints).

    It is written as changes to the target's words: ``base_text`` is the target's text when
    the amendment was submitted and ``text`` the target's text as the amendment would leave
    it (the page shows the word diff). ``words_changed`` counts the words deleted plus the
    words inserted (the limit is the rule book's ``amendment_max_words``). When its vote
    carries, ``text_after`` keeps the target's text as amended (provenance of each change).
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted, awaiting the CAC"
        IN_ORDER = "in_order", "In order"
        OUT_OF_ORDER = "out_of_order", "Ruled out of order"
        WITHDRAWN = "withdrawn", "Withdrawn"

    conference = models.ForeignKey(Conference, on_delete=models.PROTECT, related_name="amendments")
    reference = models.CharField(max_length=20)
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    composite = models.ForeignKey(
        Composite, null=True, blank=True, on_delete=models.PROTECT, related_name="amendments"
    )
    document = models.ForeignKey(
        ConferenceDocument,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="amendments",
    )
    clp = models.ForeignKey(
        "membership.CLP", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    affiliate = models.ForeignKey(
        "membership.Affiliate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    base_text = models.TextField()
    text = models.TextField()
    words_changed = models.PositiveIntegerField()
    note = models.TextField(blank=True, help_text="The mover's explanation (not part of the text).")
    submitted_by = models.ForeignKey(
        "core.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.SUBMITTED)
    ruling_reason = models.TextField(blank=True)
    ruled_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ruled_at = models.DateTimeField(null=True, blank=True)
    text_after = models.TextField(
        blank=True, help_text="The target's text after this amendment was carried."
    )
    fell = models.BooleanField(
        default=False, help_text="Carried, but an earlier carried amendment changed the same words."
    )

    class Meta:
        ordering = ["conference", "reference", "pk"]
        constraints = [
            models.CheckConstraint(
                name="amendment_one_organisation",
                condition=Q(clp__isnull=False, affiliate__isnull=True)
                | Q(clp__isnull=True, affiliate__isnull=False),
            ),
            models.CheckConstraint(
                name="amendment_one_target",
                condition=Q(submission__isnull=False, composite__isnull=True, document__isnull=True)
                | Q(submission__isnull=True, composite__isnull=False, document__isnull=True)
                | Q(submission__isnull=True, composite__isnull=True, document__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["document", "clp"],
                condition=Q(document__isnull=False, clp__isnull=False) & ~Q(status="withdrawn"),
                name="amendment_once_clp_document",
            ),
            models.UniqueConstraint(
                fields=["document", "affiliate"],
                condition=Q(document__isnull=False, affiliate__isnull=False)
                & ~Q(status="withdrawn"),
                name="amendment_once_affiliate_document",
            ),
            models.UniqueConstraint(
                fields=["conference", "reference"], name="amendment_unique_reference"
            ),
            models.UniqueConstraint(
                fields=["submission", "clp"],
                condition=Q(submission__isnull=False, clp__isnull=False) & ~Q(status="withdrawn"),
                name="amendment_once_clp_submission",
            ),
            models.UniqueConstraint(
                fields=["submission", "affiliate"],
                condition=Q(submission__isnull=False, affiliate__isnull=False)
                & ~Q(status="withdrawn"),
                name="amendment_once_affiliate_submission",
            ),
            models.UniqueConstraint(
                fields=["composite", "clp"],
                condition=Q(composite__isnull=False, clp__isnull=False) & ~Q(status="withdrawn"),
                name="amendment_once_clp_composite",
            ),
            models.UniqueConstraint(
                fields=["composite", "affiliate"],
                condition=Q(composite__isnull=False, affiliate__isnull=False)
                & ~Q(status="withdrawn"),
                name="amendment_once_affiliate_composite",
            ),
        ]

    def __str__(self) -> str:
        return f"Amendment {self.reference} to {self.target_label}"

    @property
    def target(self) -> Any:
        if self.document_id:
            return self.document
        return self.submission if self.submission_id else self.composite

    @property
    def target_label(self) -> str:
        if self.document_id and self.document is not None:
            return self.document.label
        if self.composite_id and self.composite is not None:
            return f"Composite {self.composite.number}: {self.composite.title}"
        if self.submission is not None:
            return f"{self.submission.reference} {self.submission.title}"
        return ""


# --- Delegates ---------------------------------------------------------------------------
class Delegate(models.Model):
    """A CLP's delegate to a conference (a member of that CLP)."""

    class Kind(models.TextChoices):
        GENERAL = "general", "Delegate"
        WOMAN = "woman", "Women's delegate"
        YOUTH = "youth", "Youth delegate"

    class Method(models.TextChoices):
        BALLOT = "ballot", "Elected by ballot"
        MEETING = "meeting", "Elected at a meeting"

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="delegates")
    clp = models.ForeignKey("membership.CLP", on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey("membership.Member", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.GENERAL)
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.MEETING)
    ballot = models.ForeignKey(
        "ballots.Ballot", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    meeting_date = models.DateField(null=True, blank=True)
    registered_by = models.ForeignKey(
        "core.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_at = models.DateTimeField()
    credential = models.CharField(max_length=12, help_text="Number printed on the pass.")
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["conference", "clp", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "member"], name="delegate_once"),
            models.UniqueConstraint(
                fields=["conference", "credential"], name="delegate_credential"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} ({self.clp})"


class AffiliateDelegation(models.Model):
    """An affiliate's delegation: it casts the affiliated membership in a card vote."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="delegations")
    affiliate = models.ForeignKey(
        "membership.Affiliate", on_delete=models.PROTECT, related_name="+"
    )
    affiliated_members = models.PositiveIntegerField()
    size = models.PositiveSmallIntegerField(default=1, help_text="People in the delegation.")
    leader = models.ForeignKey(
        "core.User",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Casts the delegation's card vote.",
    )
    registered_at = models.DateTimeField()
    checked_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["conference", "affiliate"]
        constraints = [
            models.UniqueConstraint(fields=["conference", "affiliate"], name="delegation_once")
        ]

    def __str__(self) -> str:
        return f"{self.affiliate} delegation"


class PriorityChoice(models.Model):
    """One delegation's priorities-ballot vote: up to N topics."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="+")
    section = models.CharField(max_length=10)
    clp = models.ForeignKey("membership.CLP", null=True, blank=True, on_delete=models.CASCADE)
    affiliate = models.ForeignKey(
        "membership.Affiliate", null=True, blank=True, on_delete=models.CASCADE
    )
    topics = models.ManyToManyField(Topic, related_name="+")
    cast_by = models.ForeignKey("core.User", null=True, on_delete=models.SET_NULL, related_name="+")
    cast_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["conference", "clp"],
                condition=Q(clp__isnull=False),
                name="priority_clp_once",
            ),
            models.UniqueConstraint(
                fields=["conference", "affiliate"],
                condition=Q(affiliate__isnull=False),
                name="priority_affiliate_once",
            ),
        ]

    def __str__(self) -> str:
        return f"Priorities of {self.clp_id or self.affiliate_id} ({self.section})"


# --- The floor ---------------------------------------------------------------------------
class FloorSession(models.Model):
    """A session of conference (e.g. "Tuesday morning")."""

    conference = models.ForeignKey(Conference, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(max_length=120)
    starts_at = models.DateTimeField()

    class Meta:
        ordering = ["conference", "starts_at"]

    def __str__(self) -> str:
        return self.title


class AgendaItem(models.Model):
    """An item of business and its vote (show of hands or card vote).

    ``for_share`` is the exact combined share for, as "p/q" (card votes); ``result`` the
    full card-vote result (``counting.cardvote.CardVoteResult.to_dict()``).
    """

    class Method(models.TextChoices):
        HANDS = "hands", "Show of hands"
        CARD = "card", "Card vote"

    class State(models.TextChoices):
        PENDING = "pending", "Not yet taken"
        OPEN = "open", "Voting open"
        CLOSED = "closed", "Decided"

    class Outcome(models.TextChoices):
        NONE = "", "—"
        CARRIED = "carried", "Carried"
        LOST = "lost", "Lost"
        REFERRED_BACK = "referred_back", "Referred back"
        REMITTED = "remitted", "Remitted to the NEC"
        WITHDRAWN = "withdrawn", "Withdrawn"

    session = models.ForeignKey(FloorSession, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    composite = models.ForeignKey(
        Composite, null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    #: A CAC-designated document (NEC statement, policy document) put to the vote.
    document = models.ForeignKey(
        ConferenceDocument, null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    #: An amendment's own vote (taken before its target's).
    amendment = models.ForeignKey(
        "Amendment", null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    #: The text the item is voted on when carried amendments changed it (blank: unamended).
    amended_text = models.TextField(blank=True)
    method = models.CharField(max_length=5, choices=Method.choices, default=Method.CARD)
    state = models.CharField(max_length=7, choices=State.choices, default=State.PENDING)
    outcome = models.CharField(max_length=14, choices=Outcome.choices, blank=True, default="")
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    for_share = models.CharField(max_length=80, blank=True)
    result = models.JSONField(default=dict, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["session__starts_at", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                name="item_not_both_motion_and_composite",
                condition=Q(submission__isnull=True) | Q(composite__isnull=True),
            ),
            models.CheckConstraint(
                name="item_document_alone",
                condition=Q(document__isnull=True)
                | Q(submission__isnull=True, composite__isnull=True),
            ),
            models.CheckConstraint(
                name="item_amendment_alone",
                condition=Q(amendment__isnull=True)
                | Q(submission__isnull=True, composite__isnull=True, document__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Card(models.Model):
    """One voter's card in a card vote, frozen when the vote opens.

    A CLP delegate's card carries the CLP's membership (``unit_weight``) shared among the
    CLP's delegates present (``unit_present``); an affiliate delegation's card its
    affiliated membership (``unit_present`` = 1). ``choice`` is blank until cast.
    """

    class Choice(models.TextChoices):
        NONE = "", "Not yet voted"
        FOR = "for", "For"
        AGAINST = "against", "Against"
        ABSTAIN = "abstain", "Abstain"

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="cards")
    section = models.CharField(max_length=10)
    unit_id = models.PositiveIntegerField(help_text="The CLP's or affiliate's id.")
    unit_name = models.CharField(max_length=200)
    unit_weight = models.PositiveIntegerField()
    unit_present = models.PositiveIntegerField()
    #: Null for a delegate without a login: the CAC records their paper card (CardRecord).
    user = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    delegate = models.ForeignKey(Delegate, null=True, blank=True, on_delete=models.PROTECT)
    delegation = models.ForeignKey(
        AffiliateDelegation, null=True, blank=True, on_delete=models.PROTECT
    )
    choice = models.CharField(max_length=8, choices=Choice.choices, blank=True, default="")
    cast_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["item", "delegate"],
                condition=Q(delegate__isnull=False),
                name="card_delegate",
            ),
            models.UniqueConstraint(
                fields=["item", "delegation"],
                condition=Q(delegation__isnull=False),
                name="card_delegation",
            ),
        ]
        indexes = [models.Index(fields=["item", "user"])]

    def __str__(self) -> str:
        return f"Card of {self.unit_name} in item {self.item_id}"


# --- The hall: current item, speakers' list, paper and proxy cards (issue 16) ----------------
class HallState(models.Model):
    """The live hall of a conference: the item before conference now and the speaking time.

    One row per conference, created on first use (``services.hall.hall_state_for``).
    """

    conference = models.OneToOneField(Conference, on_delete=models.CASCADE, related_name="hall")
    current_item = models.ForeignKey(
        AgendaItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    speaking_seconds = models.PositiveSmallIntegerField(
        default=180, help_text="Time allowed to each speaker from the floor."
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Hall of {self.conference}"


class SpeakerRequest(models.Model):
    """A delegate's request to speak on an item; the chair orders and calls them.

    One live request (waiting or speaking) per delegate and item (database constraint).
    """

    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting to be called"
        SPEAKING = "speaking", "Speaking"
        DONE = "done", "Has spoken"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Side(models.TextChoices):
        FOR = "for", "To support"
        AGAINST = "against", "To oppose"

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="speakers")
    delegate = models.ForeignKey(Delegate, on_delete=models.PROTECT, related_name="+")
    side = models.CharField(max_length=8, choices=Side.choices)
    position = models.PositiveIntegerField()
    status = models.CharField(max_length=9, choices=Status.choices, default=Status.WAITING)
    asked_at = models.DateTimeField()
    called_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["item", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "delegate"],
                condition=Q(status__in=["waiting", "speaking"]),
                name="speaker_one_live_request",
            ),
            models.UniqueConstraint(
                fields=["item"], condition=Q(status="speaking"), name="speaker_one_at_a_time"
            ),
        ]

    def __str__(self) -> str:
        return f"Request to speak on item {self.item_id} by delegate {self.delegate_id}"


class CardRecord(models.Model):
    """A card the CAC recorded for a delegation: a paper card handed in by a delegate
    without a phone, or a vote cast by proxy (the holder named). Audited; shown as such on
    the results board."""

    class Kind(models.TextChoices):
        PAPER = "paper", "Paper card"
        PROXY = "proxy", "Proxy vote"

    card = models.OneToOneField(Card, on_delete=models.CASCADE, related_name="record")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    proxy_holder = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        "core.User", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="card_record_proxy_named",
                condition=Q(kind="paper") | ~Q(proxy_holder=""),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for card {self.card_id}"
