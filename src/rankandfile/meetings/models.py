"""Branch and CLP meetings, the motions that travel from them to conference, and officers'
messages to members with each member's communication preferences.

A meeting belongs to exactly one unit: a branch or a CLP (database constraint). Its agenda
items record the decisions item by item; draft minutes are built from them when the
meeting closes and approved by an item of the unit's next meeting. A motion is a branch's
or a CLP's; a carried branch motion is forwarded as a CLP motion (``forwarded_from``) and
a carried CLP motion becomes a conference submission, which links back to it
(``conference.Submission.origin_motion``). ``MotionEvent`` rows are a motion's history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from rankandfile.membership.models import CLP, Branch, Member


def _one_unit(prefix: str = "") -> Q:
    return Q(**{f"{prefix}branch__isnull": False, f"{prefix}clp__isnull": True}) | Q(
        **{f"{prefix}branch__isnull": True, f"{prefix}clp__isnull": False}
    )


class UnitMixin:
    """For models with a ``branch`` and a ``clp`` of which exactly one is set."""

    @property
    def unit(self) -> Branch | CLP:
        unit: Branch | CLP | None = getattr(self, "branch", None) or getattr(self, "clp", None)
        assert unit is not None  # database constraint: exactly one
        return unit

    @property
    def unit_name(self) -> str:
        branch: Branch | None = getattr(self, "branch", None)
        if branch is not None:
            return f"{branch.name} branch"
        return str(getattr(self, "clp", ""))

    @property
    def unit_clp_id(self) -> int:
        """The CLP the unit is in (a branch's CLP, or the CLP itself)."""
        branch: Branch | None = getattr(self, "branch", None)
        if branch is not None:
            return int(branch.clp_id)
        return int(getattr(self, "clp_id", 0) or 0)


class Meeting(UnitMixin, models.Model):
    """A meeting of a branch or a CLP."""

    class Kind(models.TextChoices):
        GENERAL = "general", "General meeting"
        ALL_MEMBER = "all_member", "All-member meeting"
        EXECUTIVE = "executive", "Executive committee"

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        OPEN = "open", "In progress"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

    class Minutes(models.TextChoices):
        NONE = "", "No minutes yet"
        DRAFT = "draft", "Draft, to be approved at the next meeting"
        APPROVED = "approved", "Approved"

    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    clp = models.ForeignKey(
        CLP, null=True, blank=True, on_delete=models.PROTECT, related_name="meetings"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.GENERAL)
    title = models.CharField(max_length=200)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    location = models.CharField(max_length=300)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    #: Shown in the room; members type it to check themselves in while the meeting is open.
    checkin_code = models.CharField(max_length=8, blank=True)
    entitled_count = models.PositiveIntegerField(
        default=0, help_text="Members entitled to attend, counted when notice was given."
    )
    quorum = models.PositiveIntegerField(default=0)
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    notices_queued = models.PositiveIntegerField(default=0)
    #: Raised by each notice of change (rescheduled, cancelled): the .ics SEQUENCE.
    sequence = models.PositiveIntegerField(default=0)
    minutes_state = models.CharField(
        max_length=10, choices=Minutes.choices, blank=True, default=Minutes.NONE
    )
    minutes = models.TextField(blank=True)
    minutes_approved_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(name="meeting_one_unit", condition=_one_unit()),
            models.CheckConstraint(
                name="meeting_ends_after_start", condition=Q(ends_at__gt=models.F("starts_at"))
            ),
        ]
        indexes = [
            models.Index(fields=["clp", "starts_at"]),
            models.Index(fields=["branch", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d})"


class Motion(UnitMixin, models.Model):
    """A motion of a branch or a CLP. ``text`` is the current wording (after carried
    amendments); ``original_text`` as moved."""

    class State(models.TextChoices):
        DRAFT = "draft", "Not yet debated"
        TABLED = "tabled", "On a meeting's agenda"
        CARRIED = "carried", "Carried"
        LOST = "lost", "Lost"
        SUBMITTED = "submitted", "Submitted to conference"

    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="motions"
    )
    clp = models.ForeignKey(
        CLP, null=True, blank=True, on_delete=models.PROTECT, related_name="motions"
    )
    title = models.CharField(max_length=200)
    text = models.TextField()
    original_text = models.TextField()
    mover = models.CharField(max_length=200, blank=True, help_text="Who moves it (as minuted).")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    #: The branch motion this CLP motion was forwarded from.
    forwarded_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="forwarded_as"
    )
    decided_in = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    votes_for = models.PositiveIntegerField(default=0)
    votes_against = models.PositiveIntegerField(default=0)
    votes_abstain = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "pk"]
        constraints = [models.CheckConstraint(name="motion_one_unit", condition=_one_unit())]

    def __str__(self) -> str:
        return self.title

    def chain(self) -> list[Motion]:
        """This motion and the motions it was forwarded from, the first (branch) first."""
        out = [self]
        while out[0].forwarded_from is not None:
            out.insert(0, out[0].forwarded_from)
        return out


class MotionAmendment(models.Model):
    """An amendment moved to a motion at a meeting: the new wording in full."""

    class State(models.TextChoices):
        PENDING = "pending", "Not yet voted"
        CARRIED = "carried", "Carried"
        LOST = "lost", "Lost"

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="amendments")
    text = models.TextField(help_text="The motion's full text as amended.")
    base_text = models.TextField()
    mover = models.CharField(max_length=200, blank=True)
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"Amendment to {self.motion}"


class MotionEvent(models.Model):
    """One step in a motion's history (tabled, amended, carried, forwarded, submitted)."""

    motion = models.ForeignKey(Motion, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    what = models.CharField(max_length=300)
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return self.what


class AgendaItem(models.Model):
    """An item of a meeting's business and the decision taken on it."""

    class Kind(models.TextChoices):
        BUSINESS = "business", "Business"
        MINUTES = "minutes", "Minutes of the last meeting"
        MOTION = "motion", "Motion"
        AMENDMENT = "amendment", "Amendment"

    class Outcome(models.TextChoices):
        NONE = "", "Not yet decided"
        CARRIED = "carried", "Carried"
        LOST = "lost", "Lost"
        NOTED = "noted", "Noted"
        DEFERRED = "deferred", "Deferred"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.BUSINESS)
    title = models.CharField(max_length=200)
    motion = models.ForeignKey(
        Motion, null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    amendment = models.ForeignKey(
        MotionAmendment, null=True, blank=True, on_delete=models.PROTECT, related_name="items"
    )
    minutes_of = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True, default="")
    decision = models.TextField(blank=True)
    votes_for = models.PositiveIntegerField(null=True, blank=True)
    votes_against = models.PositiveIntegerField(null=True, blank=True)
    votes_abstain = models.PositiveIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["meeting", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class Attendance(models.Model):
    """A member present at a meeting (checked in by an officer or by themselves)."""

    class Method(models.TextChoices):
        OFFICER = "officer", "Checked in by an officer"
        SELF = "self", "Checked in with the room code"

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="+")
    method = models.CharField(max_length=8, choices=Method.choices)
    checked_in_at = models.DateTimeField()
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["checked_in_at"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "member"], name="attendance_once")
        ]

    def __str__(self) -> str:
        return f"{self.member_id} at {self.meeting_id}"


class CommunicationPreference(models.Model):
    """What a member is willing to receive by email. No row: both on (the party's
    default); each email carries a one-click unsubscribe for its category."""

    member = models.OneToOneField(Member, on_delete=models.CASCADE, related_name="mail_prefs")
    meeting_notices = models.BooleanField(default=True)
    officer_messages = models.BooleanField(default=True)
    #: The address a notice or message to this member bounced at (permanently): skipped
    #: while it is still the member's address; a new address is tried again.
    bounced_address = models.EmailField(blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Preferences of {self.member_id}"


class MessageTemplate(UnitMixin, models.Model):
    """A saved subject and body officers of a unit start messages from."""

    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    clp = models.ForeignKey(CLP, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    subject = models.CharField(max_length=200)
    body = models.TextField()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(name="message_template_one_unit", condition=_one_unit())
        ]

    def __str__(self) -> str:
        return self.name


class OfficerMessage(UnitMixin, models.Model):
    """An email from officers of a unit to a group of its members."""

    class Audience(models.TextChoices):
        EVERYONE = "everyone", "Every member of the unit"
        BRANCH = "branch", "The members of one branch"
        DELEGATES = "delegates", "Conference delegates"
        VOLUNTEERS = "volunteers", "Campaign volunteers"
        NOT_VOTED = "not_voted", "Electors who have not voted in an open ballot"

    branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    clp = models.ForeignKey(CLP, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    audience = models.CharField(max_length=12, choices=Audience.choices)
    audience_branch = models.ForeignKey(
        Branch, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ballot = models.ForeignKey(
        "ballots.Ballot", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    recipients = models.PositiveIntegerField(default=0)
    skipped_unwilling = models.PositiveIntegerField(default=0)
    skipped_no_email = models.PositiveIntegerField(default=0)
    skipped_bounced = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(name="officer_message_one_unit", condition=_one_unit())
        ]
        indexes = [models.Index(fields=["sent_by", "created_at"])]

    def __str__(self) -> str:
        return self.subject


class Delivery(models.Model):
    """One email owed or sent: an officer's message or a meeting notice to one member.

    The row is the send's intent (decision 0026, as ballots' 0018): a worker leases
    queued rows (``lease_owner``, ``lease_until``), commits the Message-ID before the
    message leaves, and marks the row sent after the server accepted it. A row whose lease
    expired is leased again and re-sent with the same Message-ID; a bounce reported by the
    provider's webhook is matched to it. ``sequence`` is the meeting's notice of change
    the row carries (0: the first notice).
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        BOUNCED = "bounced", "Bounced"

    message = models.ForeignKey(
        OfficerMessage, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    meeting = models.ForeignKey(
        Meeting, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    email_id = models.CharField(
        max_length=200, blank=True, db_index=True, help_text="The Message-ID sent."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    sequence = models.PositiveIntegerField(default=0)
    lease_owner = models.CharField(max_length=32, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="delivery_one_source",
                condition=Q(message__isnull=False, meeting__isnull=True)
                | Q(message__isnull=True, meeting__isnull=False),
            ),
            models.UniqueConstraint(
                fields=["message", "member"],
                condition=Q(message__isnull=False),
                name="delivery_message_once",
            ),
            models.UniqueConstraint(
                fields=["meeting", "member", "sequence"],
                condition=Q(meeting__isnull=False),
                name="delivery_meeting_once",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "message"]),
            models.Index(fields=["state", "meeting"]),
        ]

    def __str__(self) -> str:
        return f"Delivery {self.pk} ({self.state})"
