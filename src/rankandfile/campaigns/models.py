"""Campaigns: by-election campaigns with a public petition, events and volunteers, the
pledge register, and the statutory recall petition tracker.

Personal data lives in :class:`Signature`, :class:`Rsvp` and :class:`Volunteer` only; the
campaign keeps aggregate counts (``confirmed_count``) that survive the purge after the
retention date (``docs/rules/campaigns.md`` §2).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from rankandfile.membership.models import CLP, MP, Constituency, Member

# Field limits: enforced by the forms (a clear message) and by the database.
NAME_MAX = 100
EMAIL_MAX = 254
TOWN_MAX = 80
TITLE_MAX = 120
DEMAND_MAX = 300
STORY_MAX = 10_000
STATEMENT_MAX = 2_000


class PartyEvent(models.TextChoices):
    """What the MP did (the kinds of ``accountability.queries.PartyChange``)."""

    NONE = "", "No event (a general campaign)"
    LEFT_PARTY = "left_party", "Left the party"
    LOST_WHIP = "lost_whip", "Lost the whip"
    CHANGED_PARTY = "changed_party", "Joined another party"


class Campaign(models.Model):
    """A local party's campaign for a by-election in one constituency."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Gathering signatures"
        HANDED_IN = "handed_in", "Handed in"
        CLOSED = "closed", "Closed"

    slug = models.SlugField(max_length=80, unique=True)
    clp = models.ForeignKey(CLP, on_delete=models.PROTECT, related_name="campaigns")
    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, related_name="campaigns"
    )
    mp = models.ForeignKey(
        MP, on_delete=models.SET_NULL, null=True, blank=True, related_name="campaigns"
    )
    event_kind = models.CharField(max_length=20, choices=PartyEvent.choices, blank=True, default="")
    event_date = models.DateField(null=True, blank=True)
    event_note = models.CharField(max_length=300, blank=True)
    event_source = models.CharField(
        max_length=20, blank=True, help_text="'accountability' when taken from the records"
    )
    title = models.CharField(max_length=TITLE_MAX)
    demand = models.CharField(max_length=DEMAND_MAX)
    story = models.TextField(max_length=STORY_MAX, blank=True)
    target = models.PositiveIntegerField(
        null=True, blank=True, help_text="Blank: 10% of the constituency's electorate."
    )
    state = models.CharField(max_length=12, choices=State.choices, default=State.DRAFT)
    data_use = models.TextField(
        max_length=2000,
        help_text="What signers' data will be used for, shown beside the consent box.",
    )
    retention_until = models.DateField(
        help_text="Signers' personal data is deleted after this day."
    )
    launched_at = models.DateTimeField(null=True, blank=True)
    handed_in_at = models.DateTimeField(null=True, blank=True)
    handed_in_to = models.CharField(max_length=200, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    confirmed_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-launched_at", "title"]

    def __str__(self) -> str:
        return self.title

    @property
    def default_target(self) -> int | None:
        electorate = self.constituency.electorate
        if not electorate:
            return None
        return -(-electorate // 10)  # ceil(10%)

    @property
    def effective_target(self) -> int | None:
        return self.target or self.default_target

    @property
    def is_public(self) -> bool:
        return self.state != self.State.DRAFT

    @property
    def accepts_signatures(self) -> bool:
        return self.state == self.State.LIVE


class Signature(models.Model):
    """One person's signature on one campaign's petition.

    ``email`` is stored normalised (trimmed, lower-cased), so the one-signature-per-email
    rule is a database constraint on (campaign, email). Counted only once
    ``confirmed_at`` is set (double opt-in). Only digests of the emailed links are kept.
    """

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="signatures")
    first_name = models.CharField(max_length=NAME_MAX)
    last_name = models.CharField(max_length=NAME_MAX)
    email = models.EmailField(max_length=EMAIL_MAX)
    postcode = models.CharField(max_length=8)
    town = models.CharField(max_length=TOWN_MAX, blank=True)
    lives_in_constituency = models.BooleanField(default=False)
    consent = models.BooleanField(default=False)
    show_publicly = models.BooleanField(default=False)
    confirm_digest = models.CharField(max_length=64, blank=True, db_index=True)
    withdraw_digest = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField()
    confirmed_at = models.DateTimeField(null=True, blank=True)
    emails_sent = models.PositiveSmallIntegerField(
        default=0, help_text="Emails claimed for this signature (capped per address)."
    )

    class Meta:
        ordering = ["campaign", "-confirmed_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "email"], name="signature_one_per_email"),
            models.CheckConstraint(condition=Q(consent=True), name="signature_needs_consent"),
        ]
        indexes = [
            models.Index(
                fields=["campaign", "-confirmed_at"],
                condition=Q(confirmed_at__isnull=False),
                name="signature_confirmed_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} ({self.campaign_id})"


class CampaignEvent(models.Model):
    """A public meeting, street stall or canvassing session."""

    class Kind(models.TextChoices):
        MEETING = "meeting", "Public meeting"
        STALL = "stall", "Street stall"
        CANVASS = "canvass", "Canvassing session"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(max_length=STORY_MAX, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=200)
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Blank: no limit.")
    rsvp_count = models.PositiveIntegerField(default=0)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="event_ends_after"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(rsvp_count__lte=F("capacity")),
                name="event_within_capacity",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(0, self.capacity - self.rsvp_count)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.rsvp_count >= self.capacity


class Rsvp(models.Model):
    """A reply to an event: a name and an email (a member's login fills them in)."""

    event = models.ForeignKey(CampaignEvent, on_delete=models.CASCADE, related_name="rsvps")
    name = models.CharField(max_length=NAME_MAX)
    email = models.EmailField(max_length=EMAIL_MAX)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    cancel_digest = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField()
    reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["event", "email"], name="rsvp_one_per_email")
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.event_id}"


class Volunteer(models.Model):
    """A member who offers to help a campaign."""

    class Activity(models.TextChoices):
        CANVASSING = "canvassing", "Canvassing"
        STALLS = "stalls", "Street stalls"
        LEAFLETS = "leaflets", "Delivering leaflets"
        PHONES = "phones", "Phone banking"
        EVENTS = "events", "Organising meetings"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="volunteers")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="volunteering")
    activities = models.JSONField(default=list)
    availability = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["campaign", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "member"], name="volunteer_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} → {self.campaign_id}"


class Pledge(models.Model):
    """A public pledge by a candidate or sitting MP to resign and stand again in a
    by-election if they leave the party (``docs/rules/campaigns.md`` §4)."""

    class Role(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        MP = "mp", "Sitting MP"

    class Status(models.TextChoices):
        IN_FORCE = "in_force", "In force"
        KEPT = "kept", "Kept: left the party and resigned to stand again"
        HONOURED = "honoured", "Honoured: stood again in the by-election"
        BROKEN = "broken", "Broken: left the party and kept the seat"

    constituency = models.ForeignKey(Constituency, on_delete=models.PROTECT, related_name="pledges")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=10, choices=Role.choices)
    mp = models.ForeignKey(
        MP, on_delete=models.SET_NULL, null=True, blank=True, related_name="pledges"
    )
    statement = models.TextField(max_length=STATEMENT_MAX)
    pledged_on = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IN_FORCE)
    left_party_on = models.DateField(null=True, blank=True)
    event_kind = models.CharField(max_length=20, choices=PartyEvent.choices, blank=True)
    status_note = models.CharField(max_length=500, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # A pledge the candidate or MP submitted themselves is public once an officer of the
    # constituency party (or a national admin) has verified it; officers' entries are
    # verified when recorded.
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="submitted_pledges",
    )
    verified = models.BooleanField(default=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="verified_pledges",
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["constituency__name", "-pledged_on", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.constituency})"


class RecallPetition(models.Model):
    """A statutory recall petition under the Recall of MPs Act 2015
    (``docs/rules/campaigns.md`` §5; arithmetic in :mod:`rankandfile.campaigns.recall`)."""

    class Ground(models.TextChoices):
        CUSTODIAL = "custodial", "Convicted and sentenced to custody (s.1(3))"
        SUSPENSION = "suspension", "Suspended from the House for 10 sitting / 14 days (s.1(4))"
        EXPENSES = "expenses", "Convicted of a false or misleading expenses claim (s.1(6))"

    constituency = models.ForeignKey(
        Constituency, on_delete=models.PROTECT, related_name="recall_petitions"
    )
    mp = models.ForeignKey(
        MP, on_delete=models.SET_NULL, null=True, blank=True, related_name="recall_petitions"
    )
    mp_name = models.CharField(max_length=200)
    ground = models.CharField(max_length=12, choices=Ground.choices)
    ground_detail = models.CharField(max_length=500, blank=True)
    opens_on = models.DateField()
    closes_on = models.DateField()
    signing_places = models.JSONField(default=list)
    electorate_at_close = models.PositiveIntegerField(
        null=True, blank=True, help_text="Registered electors on the closing day."
    )
    campaign = models.ForeignKey(
        Campaign, on_delete=models.SET_NULL, null=True, blank=True, related_name="recalls"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-opens_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_on__gt=F("opens_on")), name="recall_closes_after_opening"
            )
        ]

    def __str__(self) -> str:
        return f"Recall petition: {self.mp_name} ({self.constituency})"

    @property
    def latest_count(self) -> RecallCount | None:
        counts = list(self.counts.all())
        return counts[-1] if counts else None


class RecallCount(models.Model):
    """An official count as published by the petition officer."""

    petition = models.ForeignKey(RecallPetition, on_delete=models.CASCADE, related_name="counts")
    published_on = models.DateField()
    signatures = models.PositiveIntegerField()
    electorate = models.PositiveIntegerField(
        null=True, blank=True, help_text="The register size stated with this count, if any."
    )
    is_final = models.BooleanField(default=False)
    source = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["published_on", "pk"]

    def __str__(self) -> str:
        return f"{self.signatures} on {self.published_on}"


class RateWindow(models.Model):
    """One fixed-window counter of the public forms' rate limits
    (:func:`rankandfile.campaigns.services.ratelimit.allow`).

    ``key`` is a digest of what is limited (a client address) and the window, so no
    address is stored; rows are deleted once their window has passed."""

    key = models.CharField(max_length=64, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key[:8]}…: {self.count}"
