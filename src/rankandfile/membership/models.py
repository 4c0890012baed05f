"""Party structure (regions, constituencies, CLPs, branches, affiliates, MPs), members with
their membership history, and officer roles scoped to a unit."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Region(models.Model):
    """An English region or a nation (Scotland, Wales, Northern Ireland)."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Constituency(models.Model):
    """A Westminster constituency (2010-2024 boundaries: 650 of them)."""

    name = models.CharField(max_length=100, unique=True)
    ons_code = models.CharField(max_length=9, unique=True)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="constituencies")
    electorate = models.PositiveIntegerField(
        null=True, blank=True, help_text="Registered parliamentary electors, where known."
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "constituencies"

    def __str__(self) -> str:
        return self.name


def clp_label(name: str) -> str:
    """A CLP's name as people read it: "Streatham CLP", never "Streatham CLP CLP"."""
    name = name.strip()
    return name if name.upper().endswith("CLP") else f"{name} CLP"


class CLP(models.Model):
    """A constituency party: all members living in one constituency."""

    constituency = models.OneToOneField(Constituency, on_delete=models.PROTECT, related_name="clp")
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "constituency party"
        verbose_name_plural = "constituency parties"

    def __str__(self) -> str:
        return self.name

    @property
    def label(self) -> str:
        return clp_label(self.name)


class Branch(models.Model):
    """A ward branch: the smallest unit, in one CLP."""

    clp = models.ForeignKey(CLP, on_delete=models.PROTECT, related_name="branches")
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["clp__name", "name"]
        verbose_name_plural = "branches"
        constraints = [
            models.UniqueConstraint(fields=["clp", "name"], name="branch_unique_name_in_clp")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.clp.name})"


class Affiliate(models.Model):
    """An affiliated organisation: a trade union or a socialist society."""

    class Kind(models.TextChoices):
        UNION = "union", "Trade union"
        SOCIETY = "society", "Socialist society"

    name = models.CharField(max_length=200, unique=True)
    short_name = models.CharField(max_length=40, unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    clps: models.ManyToManyField[CLP, AffiliateCLP] = models.ManyToManyField(
        CLP, through="AffiliateCLP", related_name="affiliates", blank=True
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.short_name

    def affiliated_membership(self, year: int) -> int | None:
        row = self.years.filter(year=year).first()
        return row.affiliated_members if row else None


class AffiliationYear(models.Model):
    """An affiliate's affiliated membership (members paying the levy) for one year."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField()
    affiliated_members = models.PositiveIntegerField()

    class Meta:
        ordering = ["affiliate", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["affiliate", "year"], name="affiliation_year_unique")
        ]

    def __str__(self) -> str:
        return f"{self.affiliate} {self.year}: {self.affiliated_members}"


class AffiliateCLP(models.Model):
    """An affiliate's local affiliation to a CLP (it may then nominate in selections)."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE)
    clp = models.ForeignKey(CLP, on_delete=models.CASCADE)
    since = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["affiliate", "clp"], name="affiliate_clp_unique")
        ]

    def __str__(self) -> str:
        return f"{self.affiliate} → {self.clp}"


class MP(models.Model):
    """A member of parliament, identified by their MNIS id (the Parliament APIs' id).

    ``party`` is the party as at the latest record; the accountability app keeps the full
    history of parties at each division.
    """

    mnis_id = models.PositiveIntegerField(unique=True)
    name = models.CharField(max_length=200)
    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, related_name="mps", null=True, blank=True
    )
    party = models.CharField(max_length=100)
    in_office = models.BooleanField(default=True)
    left_party_on = models.DateField(
        null=True, blank=True, help_text="Date the MP left our party, if they did."
    )
    left_party_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "MP"
        verbose_name_plural = "MPs"

    def __str__(self) -> str:
        return self.name


class Gender(models.TextChoices):
    WOMAN = "woman", _("Woman")
    MAN = "man", _("Man")
    NON_BINARY = "non_binary", _("Non-binary")
    SELF_DESCRIBED = "other", _("Self-described")
    UNDISCLOSED = "", _("Not given")


class Member(models.Model):
    """A party member. ``clp`` is where they live; ``branch`` their ward branch in it."""

    membership_number = models.CharField(max_length=20, unique=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member",
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True, db_index=True)
    address = models.TextField(blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    clp = models.ForeignKey(CLP, on_delete=models.PROTECT, related_name="members")
    branch = models.ForeignKey(
        Branch, on_delete=models.PROTECT, related_name="members", null=True, blank=True
    )
    gender = models.CharField(max_length=12, choices=Gender.choices, blank=True, default="")
    date_of_birth = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Set when the member's personal data was erased (privacy.services.member_erase): the
    # record stays, as a membership number and history, for ballots and conference.
    erased_at = models.DateTimeField(null=True, blank=True)
    # The language the member chose with the site's switcher (blank: none chosen); the
    # emails sent to them outside a request are written in it (membership.language).
    # A database default too: the demo seeder and the importer's COPY insert rows naming
    # their columns, and leave this one out.
    preferred_language = models.CharField(
        max_length=8, choices=settings.LANGUAGES, blank=True, default="", db_default=""
    )

    class Meta:
        ordering = ["last_name", "first_name", "membership_number"]
        indexes = [
            models.Index(fields=["clp", "last_name"]),
            # Lists a CLP's (and so a region's) member ids from the index alone
            # (membership.eligibility.electorate; migration 0002).
            models.Index(fields=["clp", "id"], name="member_clp_id_cover"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.membership_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def audit_label(self) -> str:
        """How audit entries name a member: by number only, never by name (personal data
        in the append-only log would outlive an erasure; docs/privacy.md)."""
        return f"member {self.membership_number}"

    def age_on(self, day: dt.date) -> int | None:
        if self.date_of_birth is None:
            return None
        dob = self.date_of_birth
        return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class Period(models.Model):
    """A span of a member's history, half-open: ``[start, end)``.

    ``end`` is the first day the status no longer applies (a member who lapsed on
    1 March was not a member on 1 March); ``None`` means ongoing. Membership periods of one
    member never overlap or touch (services merge them); suspension and arrears periods
    sit inside the membership they affect.
    """

    class Kind(models.TextChoices):
        MEMBERSHIP = "membership", _("Membership")
        SUSPENSION = "suspension", _("Suspension")
        ARREARS = "arrears", _("Arrears")

    class EndReason(models.TextChoices):
        NONE = "", "—"
        LAPSED = "lapsed", _("Lapsed")
        RESIGNED = "resigned", _("Resigned")
        EXPELLED = "expelled", _("Expelled")
        DIED = "died", _("Died")
        LIFTED = "lifted", _("Suspension lifted")
        PAID = "paid", _("Arrears paid")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="periods")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    start = models.DateField()
    end = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=10, choices=EndReason.choices, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["member", "start", "kind"]
        # Partial indexes for the electorate query (membership.eligibility; migration 0002).
        indexes = [
            models.Index(
                condition=Q(kind="membership"),
                fields=["member", "start", "end"],
                name="period_membership_by_member",
            ),
            models.Index(
                condition=Q(kind__in=["suspension", "arrears"]),
                fields=["member", "kind", "start", "end"],
                name="period_status_by_member",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=models.F("start")),
                name="period_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start} – {self.end or 'now'}"

    def covers(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


class Role(models.Model):
    """An office held by a login, scoped to one unit.

    Scope rules (database-enforced): branch officers name a branch; CLP officers a CLP;
    affiliate officers an affiliate; regional officers a region; national admins and
    national scrutineers no unit; a scrutineer may instead be scoped to a CLP or region.
    """

    class Kind(models.TextChoices):
        BRANCH_OFFICER = "branch_officer", "Branch officer"
        CLP_CHAIR = "clp_chair", "CLP chair"
        CLP_SECRETARY = "clp_secretary", "CLP secretary"
        CLP_OFFICER = "clp_officer", "CLP officer"
        AFFILIATE_OFFICER = "affiliate_officer", "Affiliate officer"
        REGIONAL_OFFICER = "regional_officer", "Regional officer"
        NATIONAL_ADMIN = "national_admin", "National admin (NEC)"
        SCRUTINEER = "scrutineer", "Scrutineer"
        CAC = "cac", "Conference arrangements committee (CAC)"
        POLICY_OFFICER = "policy_officer", "Policy officer (accountability links)"

    CLP_KINDS = (Kind.CLP_CHAIR, Kind.CLP_SECRETARY, Kind.CLP_OFFICER)
    # National offices that name no unit.
    NATIONAL_KINDS = (Kind.NATIONAL_ADMIN, Kind.CAC, Kind.POLICY_OFFICER)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    title = models.CharField(max_length=100, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE)
    clp = models.ForeignKey(CLP, null=True, blank=True, on_delete=models.CASCADE)
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.CASCADE)
    affiliate = models.ForeignKey(Affiliate, null=True, blank=True, on_delete=models.CASCADE)
    start = models.DateField(default=dt.date.today)
    end = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["kind", "user"]
        constraints = [
            models.CheckConstraint(
                name="role_scope_matches_kind",
                condition=(
                    Q(
                        kind="branch_officer",
                        branch__isnull=False,
                        clp__isnull=True,
                        region__isnull=True,
                        affiliate__isnull=True,
                    )
                    | Q(
                        kind__in=["clp_chair", "clp_secretary", "clp_officer"],
                        clp__isnull=False,
                        branch__isnull=True,
                        region__isnull=True,
                        affiliate__isnull=True,
                    )
                    | Q(
                        kind="affiliate_officer",
                        affiliate__isnull=False,
                        clp__isnull=True,
                        branch__isnull=True,
                        region__isnull=True,
                    )
                    | Q(
                        kind="regional_officer",
                        region__isnull=False,
                        clp__isnull=True,
                        branch__isnull=True,
                        affiliate__isnull=True,
                    )
                    | Q(
                        kind__in=["national_admin", "cac", "policy_officer"],
                        region__isnull=True,
                        clp__isnull=True,
                        branch__isnull=True,
                        affiliate__isnull=True,
                    )
                    | Q(kind="scrutineer", branch__isnull=True, affiliate__isnull=True)
                    & ~Q(region__isnull=False, clp__isnull=False)
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.scope_label}"

    @property
    def scope_label(self) -> str:
        unit = self.branch or self.clp or self.affiliate or self.region
        return str(unit) if unit else "national"

    def active_on(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day < self.end)


class AccountInvitation(models.Model):
    """An invitation for a member to activate their login (``membership.accounts``).

    One row per member: the latest one-time activation link. Only the SHA-256 of the
    link's secret is stored (``token_digest``); the link expires (``expires_at``) and
    works once (``used_at``). A send owed is a row state (``send_queued_at``), leased by a
    worker (``send_lease``/``send_lease_until``) so that a killed worker neither loses
    nor doubles an email (decision 0024, as ballots' decision 0018).
    """

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="invitation")
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_by_member = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    send_queued_at = models.DateTimeField(null=True, blank=True)
    send_lease = models.CharField(max_length=32, blank=True)
    send_lease_until = models.DateTimeField(null=True, blank=True)
    # The intent of a send, committed before the server is spoken to: the Message-ID and
    # the link's secret sealed under SECRET_KEY (cleared once the send is confirmed).
    message_id = models.CharField(max_length=200, blank=True)
    sealed_secret = models.CharField(max_length=200, blank=True)
    token_digest = models.CharField(max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    last_send_error = models.CharField(max_length=300, blank=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["send_queued_at"],
                name="invitation_owed",
                condition=Q(send_queued_at__isnull=False),
            )
        ]

    def __str__(self) -> str:
        return f"account invitation for {self.member.audit_label}"
