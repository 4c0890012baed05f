"""Accountability: Commons divisions and votes, MPs' party history, policies linked to
divisions, stored scores, and members' alert preferences.

Cross-app contract: ``queries.mp_scorecard(mp)``, ``queries.party_changes(mp)`` and the
URL ``accountability:mp`` (kwarg ``mnis_id``) read these tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rankandfile.accountability.scoring import Position


class Source(models.TextChoices):
    """Where a division's votes came from. The Commons Votes export (CSV or API JSON) is
    authoritative; the MNIS-keyed history fills divisions it does not cover."""

    COMMONS = "commons", "Commons Votes (CSV export or API)"
    MNIS = "mnis", "MNIS-keyed history (brexit_parliament.csv)"


class Division(models.Model):
    """A recorded vote of the House of Commons."""

    division_id = models.PositiveIntegerField(
        unique=True, help_text="Commons Votes DivisionId (not the House's division number)."
    )
    number = models.PositiveIntegerField(
        null=True, blank=True, help_text="The House's division number (restarts each session)."
    )
    date = models.DateField(db_index=True)
    title = models.CharField(max_length=500)
    aye_count = models.PositiveIntegerField(null=True, blank=True, help_text="Excludes tellers.")
    no_count = models.PositiveIntegerField(null=True, blank=True, help_text="Excludes tellers.")
    is_deferred = models.BooleanField(
        default=False, help_text="Deferred or ballot-paper division: no tellers."
    )
    primary_source = models.CharField(max_length=10, choices=Source.choices)
    imported_at = models.DateTimeField(help_text="When the division was first imported.")

    class Meta:
        ordering = ["-date", "-division_id"]

    def __str__(self) -> str:
        number = f"No. {self.number}, " if self.number else ""
        return f"{self.title} ({number}{self.date:%-d %b %Y})"


class DivisionSource(models.Model):
    """One source's copy of a division (for idempotence and reconciliation)."""

    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="sources")
    source = models.CharField(max_length=10, choices=Source.choices)
    file_format = models.CharField(max_length=20)
    file_name = models.CharField(max_length=300)
    digest = models.CharField(max_length=64, help_text="SHA-256 of the parsed content.")
    rows = models.PositiveIntegerField()
    imported_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["division", "source"], name="division_source_unique")
        ]

    def __str__(self) -> str:
        return f"{self.division_id} from {self.source}"


class MPVote(models.Model):
    """How one MP took part in one division, according to one source.

    ``position`` is a :class:`scoring.Position` code; tellers are recorded on their side
    with ``teller`` set (rule A4). ``party`` is the party as the record gives it — except
    where the record prints an office in its place ("Speaker", "Deputy Speaker"): then
    ``office`` keeps what was printed and ``party`` is the MP's party from the MNIS history
    (rule I8), or the office again when that history has none.
    """

    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="votes")
    mp = models.ForeignKey("membership.MP", on_delete=models.CASCADE, related_name="commons_votes")
    source = models.CharField(max_length=10, choices=Source.choices)
    position = models.PositiveSmallIntegerField(
        choices=[(p.value, p.name.replace("_", " ").lower()) for p in Position]
    )
    teller = models.BooleanField(default=False)
    proxy_name = models.CharField(max_length=200, blank=True)
    party = models.CharField(max_length=100)
    office = models.CharField(max_length=100, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["division", "mp", "source"], name="mpvote_unique_per_source"
            ),
            models.CheckConstraint(
                condition=Q(position__gte=1, position__lte=4), name="mpvote_position_valid"
            ),
        ]
        indexes = [models.Index(fields=["mp", "source", "division"], name="mpvote_by_mp")]

    def __str__(self) -> str:
        return f"{self.mp_id} in {self.division_id}: {self.position_label}"

    @property
    def position_label(self) -> str:
        label = {
            Position.AYE: "Aye",
            Position.NO: "No",
            Position.BOTH: "Both lobbies",
            Position.ABSENT: "No vote recorded",
        }.get(Position(self.position), "—")
        if self.teller:
            label = f"{label} (teller)"
        return label


class PackedVotes(models.Model):
    """One source's votes in one division, packed as arrays for the batch recompute.

    A denormalised copy of the :class:`MPVote` rows written by the importer in the same
    transaction: ``mp_ids`` (int32), ``positions`` (int8 :class:`scoring.Position` codes)
    and ``ours`` (uint8: 1 where the record prints our party), all little-endian and in
    the same order. The recompute reads one row per division instead of 650.
    """

    division = models.ForeignKey(Division, on_delete=models.CASCADE, related_name="packed")
    source = models.CharField(max_length=10, choices=Source.choices)
    mp_ids = models.BinaryField()
    positions = models.BinaryField()
    ours = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["division", "source"], name="packed_votes_unique")
        ]

    def __str__(self) -> str:
        return f"packed votes of {self.division_id} from {self.source}"


class PartyChange(models.Model):
    """A change in an MP's party: left the party, lost or regained the whip, changed party.

    Derived from the division records (the party printed at each division) or entered by
    an officer; ``date`` is the first day of the new party.
    """

    class Kind(models.TextChoices):
        LEFT_PARTY = "left_party", "Left the party"
        LOST_WHIP = "lost_whip", "Lost the whip"
        REGAINED_WHIP = "regained_whip", "Regained the whip"
        CHANGED_PARTY = "changed_party", "Changed party"

    class Origin(models.TextChoices):
        RECORD = "record", "Division records"
        MEMBERSHIP = "membership", "Party records"
        OFFICER = "officer", "Entered by an officer"
        MEMBERS_API = "members_api", "Parliament's Members API"

    mp = models.ForeignKey("membership.MP", on_delete=models.CASCADE, related_name="party_changes")
    date = models.DateField()
    kind = models.CharField(max_length=20, choices=Kind.choices)
    from_party = models.CharField(max_length=100)
    to_party = models.CharField(max_length=100)
    note = models.CharField(max_length=300, blank=True)
    origin = models.CharField(max_length=12, choices=Origin.choices)

    class Meta:
        ordering = ["mp", "date"]
        constraints = [
            models.UniqueConstraint(fields=["mp", "date"], name="party_change_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.mp}: {self.get_kind_display()} on {self.date}"


class Policy(models.Model):
    """A policy MPs are scored against: a programme entry or a free-standing policy."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    programme_entry = models.OneToOneField(
        "conference.ProgrammeEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="accountability_policy",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        verbose_name_plural = "policies"

    def __str__(self) -> str:
        return self.title

    @property
    def is_programme(self) -> bool:
        return self.programme_entry_id is not None


class PolicyDivision(models.Model):
    """A division linked to a policy, with the direction that supports the policy, its
    strength and the officer's written justification (shown publicly)."""

    class Strength(models.TextChoices):
        STRONG = "strong", "Strong (counts towards the score)"
        WEAK = "weak", "Weak (informative)"

    policy = models.ForeignKey(Policy, on_delete=models.CASCADE, related_name="links")
    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="links")
    aye_supports = models.BooleanField(help_text="True if voting aye supports the policy.")
    strength = models.CharField(max_length=6, choices=Strength.choices)
    justification = models.TextField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    alerted_at = models.DateTimeField(
        null=True, blank=True, help_text="When alert digests for this link were sent."
    )

    class Meta:
        ordering = ["division__date", "division__division_id"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "division"], name="policy_division_unique")
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} ← {self.division_id} ({self.strength})"

    @property
    def strong(self) -> bool:
        return self.strength == self.Strength.STRONG

    @property
    def direction_label(self) -> str:
        return "Aye" if self.aye_supports else "No"


class Score(models.Model):
    """An MP's stored score on one policy (written only by the batch recompute)."""

    # Derived rows, brought up to date by the batch in one transaction (it writes only the
    # rows whose values changed; ``computed_at`` is when a row was last written): no database FK
    # constraints (their per-row checks dominated the bulk write); deletes still cascade
    # through the ORM. The unique (mp, policy) index serves the MP lookups.
    mp = models.ForeignKey(
        "membership.MP",
        on_delete=models.CASCADE,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    policy = models.ForeignKey(
        Policy, on_delete=models.CASCADE, related_name="scores", db_constraint=False
    )
    # TheyWorkForYou method (A1-A3)
    points = models.FloatField()
    possible = models.FloatField()
    distance = models.FloatField(null=True)
    wording = models.CharField(max_length=60)
    strong_votes = models.PositiveIntegerField()
    absences = models.PositiveIntegerField()
    # Public Whip classic (A5)
    pw_distance = models.FloatField(null=True)
    pw_wording = models.CharField(max_length=60)
    # Party comparison (A6)
    party = models.CharField(max_length=100, blank=True)
    party_distance = models.FloatField(null=True)
    significant = models.BooleanField(default=False)
    # TheyWorkForYou method over every division the MP sat for in the parliament, whatever
    # their party then (A8): differs from the above only for MPs who changed party.
    all_distance = models.FloatField(null=True)
    all_wording = models.CharField(max_length=60, default="")
    all_strong_votes = models.PositiveIntegerField(default=0)
    all_absences = models.PositiveIntegerField(default=0)
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mp", "policy"], name="score_unique")]

    def __str__(self) -> str:
        return f"{self.mp_id} on {self.policy_id}: {self.wording}"

    @property
    def agreement(self) -> float | None:
        return None if self.distance is None else 1.0 - self.distance

    @property
    def absence_capped(self) -> bool:
        """True when TheyWorkForYou's absence caps moved the distance away from
        ``points / possible`` (rule A3), so the page can say why."""
        if self.distance is None or not self.possible:
            return False
        return abs(self.distance - self.points / self.possible) > 1e-9

    @property
    def uncapped_agreement(self) -> float | None:
        """``1 - points / possible``: the agreement before the absence caps."""
        return 1.0 - self.points / self.possible if self.possible else None

    @property
    def absent_a_third(self) -> bool:
        """Strong absences are a third or more of the strong divisions sat (A3)."""
        return 3 * self.absences >= self.strong_votes + self.absences > 0

    @property
    def all_agreement(self) -> float | None:
        return None if self.all_distance is None else 1.0 - self.all_distance

    @property
    def all_differs(self) -> bool:
        """The score over all the MP's votes differs from the one while a party member."""
        return (self.all_wording, self.all_strong_votes, self.all_absences) != (
            self.wording,
            self.strong_votes,
            self.absences,
        ) or (self.all_distance is None) != (self.distance is None)

    @property
    def pw_agreement(self) -> float | None:
        return None if self.pw_distance is None else 1.0 - self.pw_distance

    @property
    def party_agreement(self) -> float | None:
        return None if self.party_distance is None else 1.0 - self.party_distance


class ScoreRun(models.Model):
    """One batch recompute: what it covered and how long it took."""

    reason = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    seconds = models.FloatField()
    mps = models.PositiveIntegerField()
    policies = models.PositiveIntegerField()
    divisions = models.PositiveIntegerField()
    scores = models.PositiveIntegerField()

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Score run {self.started_at:%Y-%m-%d %H:%M}"


class ImportRun(models.Model):
    """One run of the importer (command or page), with its report."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()
    files = models.JSONField()
    report = models.JSONField()

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"Import {self.at:%Y-%m-%d %H:%M}"


class AlertPreference(models.Model):
    """A member's opt-in to digests when their MP votes against a linked policy."""

    member = models.OneToOneField(
        "membership.Member", on_delete=models.CASCADE, related_name="accountability_alerts"
    )
    enabled = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Alerts for member {self.member_id}: {self.enabled}"


class AlertSent(models.Model):
    """That a member was told about one link (so no digest repeats an item)."""

    member = models.ForeignKey("membership.Member", on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(PolicyDivision, on_delete=models.CASCADE, related_name="alerts")
    sent_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "link"], name="alert_sent_once")]

    def __str__(self) -> str:
        return f"Alert to {self.member_id} about {self.link_id}"


class FetchCache(models.Model):
    """The last answer of one Parliament API address (``live``), for conditional requests:
    its validators (``ETag``, ``Last-Modified``) and body. Written only in the transaction
    of a fetch that was imported, so a failed run leaves the cache as it was."""

    url = models.CharField(max_length=500, unique=True)
    etag = models.CharField(max_length=200, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    body = models.TextField()
    fetched_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.url
