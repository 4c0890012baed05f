"""Selections of parliamentary candidates: rounds, each CLP's selection and timetable,
trigger-ballot decisions, applications, nominations, hustings and reminders sent.

The members' ballot itself is a :class:`rankandfile.ballots.models.Ballot` (alternative
vote); a selection only points at it.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from rankandfile.ballots.models import Ballot
from rankandfile.membership.models import CLP, MP, Affiliate, Branch, Member
from rankandfile.selections import triggers


def one_unit_per_selection(prefix: str) -> list[models.BaseConstraint]:
    """Constraints for a row that belongs to exactly one branch *or* one affiliate, at most
    once per selection (trigger decisions, nominations)."""
    return [
        models.CheckConstraint(
            condition=Q(branch__isnull=False, affiliate__isnull=True)
            | Q(branch__isnull=True, affiliate__isnull=False),
            name=f"{prefix}_one_unit",
        ),
        models.UniqueConstraint(
            fields=["selection", "branch"],
            condition=Q(branch__isnull=False),
            name=f"{prefix}_one_per_branch",
        ),
        models.UniqueConstraint(
            fields=["selection", "affiliate"],
            condition=Q(affiliate__isnull=False),
            name=f"{prefix}_one_per_affiliate",
        ),
    ]


class Mode(models.TextChoices):
    TRIGGER_PRE_2018 = triggers.TRIGGER_PRE_2018, "Trigger ballot (before 2018)"
    TRIGGER_2018 = triggers.TRIGGER_2018, "Trigger ballot (2018)"
    TRIGGER_2021 = triggers.TRIGGER_2021, "Trigger ballot (2021)"
    MANDATORY_OPEN = triggers.MANDATORY_OPEN, "Mandatory open selection"


class SelectionRound(models.Model):
    """A round of selections opened by the national party: which constituencies, the
    freeze date of the electorate, and the deadlines every CLP's timetable must meet."""

    name = models.CharField(max_length=200)
    mode = models.CharField(
        max_length=20, choices=Mode.choices, help_text="From the rule book in force at opening."
    )
    freeze_date = models.DateField(help_text="Membership is judged on this day.")
    applications_close = models.DateField()
    ballot_closes_by = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ballot_closes_by__gt=models.F("applications_close")),
                name="round_ballot_after_applications",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.TextChoices):
    TRIGGER = "trigger", "Trigger ballot"
    APPLICATIONS = "applications", "Applications open"
    LONGLIST = "longlist", "Longlisting"
    SHORTLIST = "shortlist", "Shortlisting"
    NOMINATIONS = "nominations", "Nominations"
    HUSTINGS = "hustings", "Hustings"
    BALLOT = "ballot", "Members' ballot"
    DECLARED = "declared", "Declared"
    RESELECTED = "reselected", "Sitting MP reselected (no open selection)"


STAGE_ORDER = [s.value for s in Stage if s != Stage.RESELECTED]


class Selection(models.Model):
    """One CLP's selection of its parliamentary candidate in a round, with its timetable.

    Timetable dates (each the *last day* of its stage): ``trigger_closes`` (trigger modes
    only), ``applications_close``, ``longlist_by``, ``shortlist_by``,
    ``nominations_close``, ``hustings_by``, then the ballot from ``ballot_opens`` to
    ``ballot_closes``.
    """

    round = models.ForeignKey(SelectionRound, on_delete=models.CASCADE, related_name="selections")
    clp = models.ForeignKey(CLP, on_delete=models.PROTECT, related_name="selections")
    sitting_mp = models.ForeignKey(
        MP, null=True, blank=True, on_delete=models.SET_NULL, related_name="selections"
    )
    mode = models.CharField(max_length=20, choices=Mode.choices)
    stage = models.CharField(max_length=12, choices=Stage.choices)
    trigger_closes = models.DateField(null=True, blank=True)
    applications_open = models.DateField()
    applications_close = models.DateField()
    longlist_by = models.DateField()
    shortlist_by = models.DateField()
    nominations_close = models.DateField()
    hustings_by = models.DateField()
    ballot_opens = models.DateField()
    ballot_closes = models.DateField()
    trigger_explanation = models.TextField(blank=True)
    trigger_result = models.BooleanField(null=True, blank=True)
    ballot = models.OneToOneField(
        Ballot, null=True, blank=True, on_delete=models.PROTECT, related_name="selection"
    )
    selected = models.ForeignKey(
        "Application", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declared_at = models.DateTimeField(null=True, blank=True)
    appeals_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["clp__name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "clp"], name="selection_one_per_clp_round")
        ]

    def __str__(self) -> str:
        return f"{self.clp.name}: {self.round.name}"

    @property
    def has_trigger(self) -> bool:
        return self.mode in triggers.TRIGGER_MODES and self.sitting_mp_id is not None

    def timetable(self) -> list[tuple[str, str, dt.date | None, dt.date]]:
        """(stage value, label, first day or None, last day) in order."""
        rows: list[tuple[str, str, dt.date | None, dt.date]] = []
        if self.has_trigger and self.trigger_closes:
            rows.append((Stage.TRIGGER, "Trigger ballot", None, self.trigger_closes))
        rows += [
            (Stage.APPLICATIONS, "Applications", self.applications_open, self.applications_close),
            (Stage.LONGLIST, "Longlist drawn by the panel", None, self.longlist_by),
            (Stage.SHORTLIST, "Shortlist drawn by the panel", None, self.shortlist_by),
            (Stage.NOMINATIONS, "Nominations from branches and affiliates", None,
             self.nominations_close),
            (Stage.HUSTINGS, "Hustings", None, self.hustings_by),
            (Stage.BALLOT, "Members' ballot", self.ballot_opens, self.ballot_closes),
        ]  # fmt: skip
        return rows


class TriggerDecision(models.Model):
    """A branch meeting's or an affiliate's decision in a trigger ballot (S1, S2)."""

    class AffiliateVote(models.TextChoices):
        OPEN = "open", "Wants an open selection"
        RESELECT = "reselect", "Does not want an open selection"
        ABSTAIN = "abstain", "Abstained"

    selection = models.ForeignKey(
        Selection, on_delete=models.CASCADE, related_name="trigger_decisions"
    )
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT)
    affiliate = models.ForeignKey(Affiliate, null=True, blank=True, on_delete=models.PROTECT)
    meeting_date = models.DateField(null=True, blank=True)
    members_present = models.PositiveIntegerField(null=True, blank=True)
    votes_for = models.PositiveIntegerField(null=True, blank=True)
    votes_against = models.PositiveIntegerField(null=True, blank=True)
    affiliate_vote = models.CharField(
        max_length=10, choices=AffiliateVote.choices, blank=True, default=""
    )
    wants_open = models.BooleanField(null=True, blank=True, help_text="None: abstained.")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["affiliate", "branch__name"]
        constraints = one_unit_per_selection("trigger_decision")

    def __str__(self) -> str:
        return f"{self.unit_name}: {self.wants_open}"

    @property
    def unit_name(self) -> str:
        if self.branch is not None:
            return self.branch.name
        return str(self.affiliate)

    def as_vote(self) -> triggers.UnitVote:
        kind = triggers.BRANCH if self.branch_id else triggers.AFFILIATE
        return triggers.UnitVote(kind, self.unit_name, self.wants_open)


class Application(models.Model):
    """A member's application to be the candidate. Contact details, equality data and the
    trade-union details are private: the applicant and the selection's managers only."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        LONGLISTED = "longlisted", "Longlisted"
        SHORTLISTED = "shortlisted", "Shortlisted"
        NOT_LONGLISTED = "not_longlisted", "Not longlisted"
        NOT_SHORTLISTED = "not_shortlisted", "Not shortlisted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="applications")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="applications")
    mp = models.ForeignKey(
        MP, null=True, blank=True, on_delete=models.SET_NULL, related_name="applications",
        help_text="Set when the applicant is the sitting MP.",
    )  # fmt: skip
    name = models.CharField(max_length=200, help_text="Name on the ballot paper.")
    statement = models.TextField()
    # Private.
    contact_email = models.EmailField()
    contact_phone = models.CharField(max_length=30, blank=True)
    is_woman = models.BooleanField(default=False)
    is_bame = models.BooleanField(default=False)
    trade_union = models.CharField(max_length=120, blank=True)
    union_membership_number = models.CharField(max_length=40, blank=True)
    eligibility_note = models.TextField(blank=True)
    # Panel.
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.APPLIED)
    on_longlist = models.BooleanField(default=False)
    on_shortlist = models.BooleanField(default=False)
    ballot_position = models.PositiveSmallIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["selection", "member"], name="application_one_per_member"
            ),
            models.UniqueConstraint(
                fields=["selection", "name"], name="application_unique_ballot_name"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Nomination(models.Model):
    """A branch's or an affiliate's nomination of a shortlisted candidate (one each)."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="nominations")
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="nominations"
    )
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT)
    affiliate = models.ForeignKey(Affiliate, null=True, blank=True, on_delete=models.PROTECT)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["affiliate", "branch__name"]
        constraints = one_unit_per_selection("nomination")

    def __str__(self) -> str:
        return f"{self.unit_name} nominates {self.application}"

    @property
    def unit_name(self) -> str:
        return self.branch.name if self.branch is not None else str(self.affiliate)


class Hustings(models.Model):
    """A hustings meeting, published to the CLP's members."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="hustings")
    starts_at = models.DateTimeField()
    venue = models.CharField(max_length=200)
    details = models.TextField(blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "hustings"

    def __str__(self) -> str:
        return f"{self.venue}, {self.starts_at:%Y-%m-%d %H:%M}"


class ReminderSent(models.Model):
    """A reminder of a stage deadline sent to a selection's officers (sent once)."""

    selection = models.ForeignKey(Selection, on_delete=models.CASCADE, related_name="reminders")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    due = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["selection", "stage", "due"], name="reminder_once_per_stage_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.selection}: {self.stage} due {self.due}"
