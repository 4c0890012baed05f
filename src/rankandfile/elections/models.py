"""Internal elections: the leader, the deputy leader and the NEC's CLP section.

A :class:`Contest` runs from nominations to declaration. MPs nominate through their own
page (:class:`MPAccount` ties an MP to a login), CLPs by a vote at a meeting or an
all-member nomination ballot (:class:`UnitBallot`, a ``ballots`` ballot), affiliates
through their officers. The members' ballot is a ``ballots`` ballot; so is every CLP's
nomination ballot. A :class:`PastRound` records a past nomination round (modelled
figures, labelled as such) to compare what each historic rule would have admitted.
Rules: docs/rules/elections.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rankandfile.ballots.models import Ballot
from rankandfile.membership.models import CLP, MP, Affiliate, Member


class Office(models.TextChoices):
    LEADER = "leader", "Leader"
    DEPUTY = "deputy", "Deputy leader"
    NEC_CLP = "nec_clp", "NEC, CLP section"


class ContestKind(models.TextChoices):
    VACANCY = "vacancy", "Vacancy"
    CHALLENGE = "challenge", "Challenge to the incumbent"
    ELECTION = "election", "Periodic election (NEC)"


class Stage(models.TextChoices):
    NOMINATIONS = "nominations", "Nominations open"
    BALLOT = "ballot", "Members' ballot"
    DECLARED = "declared", "Declared"


class Contest(models.Model):
    """One election for one office, from the opening of nominations to the declaration.

    ``rules_on`` fixes the rule book that governs it (``parameters_in_force(on=rules_on)``).
    The field — MPs, MEPs, CLPs, affiliated membership — is frozen when nominations open,
    so the thresholds do not move while candidates collect nominations.
    """

    title = models.CharField(max_length=200)
    office = models.CharField(max_length=10, choices=Office.choices)
    kind = models.CharField(max_length=10, choices=ContestKind.choices)
    rules_on = models.DateField()
    mp_nominations_close = models.DateTimeField()
    nominations_close = models.DateTimeField()
    field_mps = models.PositiveIntegerField()
    field_meps = models.PositiveIntegerField(default=0)
    field_clps = models.PositiveIntegerField()
    field_affiliated_membership = models.PositiveIntegerField(default=0)
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.NOMINATIONS)
    ballot = models.OneToOneField(
        Ballot, null=True, blank=True, on_delete=models.PROTECT, related_name="election"
    )
    declared_at = models.DateTimeField(null=True, blank=True)
    appeals_until = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="contest_units_close_after_mps",
                condition=Q(nominations_close__gte=models.F("mp_nominations_close")),
            ),
            models.CheckConstraint(
                name="contest_kind_matches_office",
                condition=Q(office="nec_clp", kind="election")
                | (Q(office__in=["leader", "deputy"]) & ~Q(kind="election")),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_nec(self) -> bool:
        return self.office == Office.NEC_CLP


class Candidate(models.Model):
    """Someone standing in a contest. ``is_incumbent`` marks the challenged office-holder."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField(max_length=200)
    member = models.ForeignKey(
        Member, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    is_woman = models.BooleanField(default=False)
    is_incumbent = models.BooleanField(default=False)
    statement = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    on_ballot = models.BooleanField(default=False)
    ballot_position = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["contest", "name"]
        constraints = [
            models.UniqueConstraint(fields=["contest", "name"], name="candidate_unique_name"),
            models.UniqueConstraint(
                fields=["contest"],
                condition=Q(is_incumbent=True),
                name="candidate_one_incumbent",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class MPAccount(models.Model):
    """The login an MP uses to nominate (their own page). Set by national admins."""

    mp = models.OneToOneField(MP, on_delete=models.CASCADE, related_name="election_account")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mp_account"
    )

    def __str__(self) -> str:
        return f"{self.mp} (login #{self.user_id})"


class Supporter(models.Model):
    """An affiliated or registered supporter on one contest's electorate (not a member;
    decision 0025). Registered by a national officer (``supporter_register``): a
    registered supporter with the fee paid on ``paid_on`` (inside the rules' window), an
    affiliated one with the affiliate whose political levy they pay. ``user`` is the login
    they vote with (signed in or with an API token); the one-time ballot link works
    without it. ``erased_at``: erased under the GDPR (name and address cleared, the row
    kept so the electorate's history stands); an erased supporter is not put on a roll.
    """

    class Kind(models.TextChoices):
        AFFILIATED = "affiliated", "Affiliated supporter"
        REGISTERED = "registered", "Registered supporter"

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="supporters")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    affiliate = models.ForeignKey(
        Affiliate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    fee_pence_paid = models.PositiveIntegerField(default=0)
    paid_on = models.DateField(null=True, blank=True)
    registered_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supporterships",
    )
    erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contest", "name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["contest", "email"],
                condition=Q(erased_at__isnull=True),
                name="supporter_once_per_contest",
            ),
            models.CheckConstraint(
                name="supporter_kind_details",
                condition=Q(kind="affiliated", affiliate__isnull=False, paid_on__isnull=True)
                | Q(kind="registered", affiliate__isnull=True, paid_on__isnull=False)
                | Q(erased_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display().lower()})"

    @property
    def fee_words(self) -> str:
        return f"£{self.fee_pence_paid / 100:.2f}"


class Nomination(models.Model):
    """A nomination by an MP, a CLP or an affiliate. Withdrawn nominations stay, marked.

    Database constraints: an MP has one live nomination per contest; a CLP and an
    affiliate nominate a candidate once (the services allow one candidate per unit for
    leader and deputy, and up to the seats for the NEC).
    """

    class By(models.TextChoices):
        MP = "mp", "MP"
        CLP = "clp", "CLP"
        AFFILIATE = "affiliate", "Affiliate"

    class Method(models.TextChoices):
        OWN = "own", "The MP's own nomination"
        MEETING = "meeting", "Vote at a meeting"
        OMOV = "omov", "All-member nomination ballot"
        OFFICERS = "officers", "By the affiliate's officers"

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="nominations")
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="nominations")
    by = models.CharField(max_length=10, choices=By.choices)
    method = models.CharField(max_length=10, choices=Method.choices)
    mp = models.ForeignKey(MP, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    clp = models.ForeignKey(CLP, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    affiliate = models.ForeignKey(
        Affiliate, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    meeting_on = models.DateField(null=True, blank=True)
    votes_for = models.PositiveIntegerField(null=True, blank=True)
    votes_cast = models.PositiveIntegerField(null=True, blank=True)
    ballot = models.ForeignKey(
        Ballot, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["contest", "by", "created_at"]
        constraints = [
            models.CheckConstraint(
                name="nomination_by_matches_unit",
                condition=Q(by="mp", mp__isnull=False, clp__isnull=True, affiliate__isnull=True)
                | Q(by="clp", clp__isnull=False, mp__isnull=True, affiliate__isnull=True)
                | Q(by="affiliate", affiliate__isnull=False, mp__isnull=True, clp__isnull=True),
            ),
            models.CheckConstraint(
                name="nomination_votes_consistent",
                condition=Q(votes_for__isnull=True)
                | Q(votes_cast__isnull=False, votes_for__lte=models.F("votes_cast")),
            ),
            models.UniqueConstraint(
                fields=["contest", "mp"],
                condition=Q(withdrawn_at__isnull=True, mp__isnull=False),
                name="nomination_one_per_mp",
            ),
            models.UniqueConstraint(
                fields=["contest", "clp", "candidate"],
                condition=Q(withdrawn_at__isnull=True, clp__isnull=False),
                name="nomination_clp_once_per_candidate",
            ),
            models.UniqueConstraint(
                fields=["contest", "affiliate", "candidate"],
                condition=Q(withdrawn_at__isnull=True, affiliate__isnull=False),
                name="nomination_affiliate_once_per_candidate",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nominator} nominates {self.candidate}"

    @property
    def nominator(self) -> str:
        unit = self.mp or self.clp or self.affiliate
        return str(unit)


class UnitBallot(models.Model):
    """A CLP's all-member (OMOV) nomination ballot, held through the ``ballots`` app."""

    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="unit_ballots")
    clp = models.ForeignKey(CLP, on_delete=models.PROTECT, related_name="+")
    ballot = models.OneToOneField(Ballot, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contest", "clp"], name="unit_ballot_once_per_clp")
        ]

    def __str__(self) -> str:
        return f"{self.clp}: nomination ballot for {self.contest}"


class Hustings(models.Model):
    contest = models.ForeignKey(Contest, on_delete=models.CASCADE, related_name="hustings")
    starts_at = models.DateTimeField()
    place = models.CharField(max_length=200)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["contest", "starts_at"]
        verbose_name_plural = "hustings"

    def __str__(self) -> str:
        return f"{self.place}, {self.starts_at:%d %B %Y}"


class PastRound(models.Model):
    """A recorded past nomination round, for "what the rules would have done".

    ``modelled`` rounds carry figures modelled on a real contest (``source`` says which
    and how), not the official record; pages label them so.
    """

    title = models.CharField(max_length=200, unique=True)
    office = models.CharField(max_length=10, choices=Office.choices)
    kind = models.CharField(max_length=10, choices=ContestKind.choices)
    held_on = models.DateField()
    field_mps = models.PositiveIntegerField()
    field_meps = models.PositiveIntegerField(default=0)
    field_clps = models.PositiveIntegerField()
    field_affiliated_membership = models.PositiveIntegerField(default=0)
    modelled = models.BooleanField(default=True)
    source = models.TextField()

    class Meta:
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return self.title


class PastCandidate(models.Model):
    """One candidate's nominations in a past round; ``affiliates`` is a list of
    ``{"name", "is_union", "members"}``."""

    round = models.ForeignKey(PastRound, on_delete=models.CASCADE, related_name="candidates")
    name = models.CharField(max_length=200)
    mps = models.PositiveIntegerField()
    clps = models.PositiveIntegerField(default=0)
    affiliates = models.JSONField(default=list, blank=True)
    is_incumbent = models.BooleanField(default=False)

    class Meta:
        ordering = ["round", "-mps", "name"]
        constraints = [
            models.UniqueConstraint(fields=["round", "name"], name="past_candidate_unique")
        ]

    def __str__(self) -> str:
        return self.name
