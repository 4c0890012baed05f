"""Secret ballots.

Secrecy by construction: :class:`VoteRecord` (that a member voted) and :class:`Paper`
(how someone voted) share no key, no foreign key, no timestamp and no sequential id —
both use random UUID primary keys and the only time kept is the ballot's own. A paper's
``tracking_code`` is random and shown once to the voter; nothing stores which voter
received it. ``tests/ballots/test_secrecy.py`` walks the schema and the admin to prove
there is no path from a member to their paper.

Against a reader of the database itself (transaction ids, row order), papers of an open
ballot exist only as :class:`SealedPaper` rows, encrypted under a key that is not in the
database, and become :class:`Paper` rows, in random order, in the closing transaction
(``ballots.secrecy``, docs/decisions/0014-secrecy-mixer.md).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from rankandfile.membership.models import CLP, Branch, Member, Region


class Method(models.TextChoices):
    """Counting methods offered for ballots (names as in ``rankandfile.counting``)."""

    AV = "av", "Alternative vote (eliminating ballot)"
    SCOTTISH_STV = "scottish-stv", "Single transferable vote (Scottish rules)"
    MEEK = "meek", "Single transferable vote (Meek)"
    PLURALITY = "plurality", "First past the post"
    BLOCK = "block", "Block vote (several seats)"
    APPROVAL = "approval", "Approval"
    SCHULZE = "schulze", "Schulze (Condorcet)"
    YESNO = "yesno", "Yes / No / Abstain"


RANKED_METHODS = {Method.AV, Method.SCOTTISH_STV, Method.MEEK, Method.SCHULZE, Method.PLURALITY}
MARK_METHODS = {Method.APPROVAL, Method.BLOCK}
QUOTA_METHODS = {Method.SCOTTISH_STV, Method.MEEK}


class Threshold(models.TextChoices):
    SIMPLE = "simple", "Simple majority of those voting"
    TWO_THIRDS = "two_thirds", "Two-thirds of those voting"
    TWO_THIRDS_PRESENT = "two_thirds_present", "Two-thirds of all votes including abstentions"


class Visibility(models.TextChoices):
    OFFICERS = "officers", "Officers and scrutineers only"
    ELECTORATE = "electorate", "The electorate"
    PUBLIC = "public", "Everyone"


class Section(models.TextChoices):
    """The electorate section an elector votes in (issue 18; decision 0025): members, or
    the elections app's affiliated and registered supporters."""

    MEMBER = "member", "Members"
    AFFILIATED = "affiliated", "Affiliated supporters"
    REGISTERED = "registered", "Registered supporters"


SECTIONS = [s.value for s in Section]


class PaperSection(models.TextChoices):
    """The section written on an opened paper: only as finely as it will be published
    (``secrecy.published_sections``) — a section too small to publish by itself is merged
    into "supporters" or not recorded at all, so a copy of the database cannot pick out a
    small section's papers either (decision 0025)."""

    MEMBER = "member", "Members"
    AFFILIATED = "affiliated", "Affiliated supporters"
    REGISTERED = "registered", "Registered supporters"
    SUPPORTERS = "supporters", "Supporters (affiliated and registered)"
    NOT_RECORDED = "", "Not recorded"


class Ballot(models.Model):
    """One ballot: question or positions, options, method, electorate rule, timetable."""

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed (count pending)"
        COUNTED = "counted", "Counted"
        DECLARED = "declared", "Declared"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    method = models.CharField(max_length=20, choices=Method.choices)
    seats = models.PositiveSmallIntegerField(default=1)
    quota_attribute = models.CharField(max_length=20, default="gender", blank=True)
    quota_minimums = models.JSONField(
        default=dict, blank=True, help_text='e.g. {"woman": 2}: at least 2 seats for women.'
    )
    threshold = models.CharField(
        max_length=20, choices=Threshold.choices, default=Threshold.SIMPLE, blank=True
    )
    # Who runs it (permissions) and who may vote (the eligibility rule).
    scope_kind = models.CharField(
        max_length=10,
        choices=[
            ("party", "Whole party"),
            ("region", "Region"),
            ("clp", "CLP"),
            ("branch", "Branch"),
        ],
        default="clp",
    )
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.PROTECT)
    clp = models.ForeignKey(CLP, null=True, blank=True, on_delete=models.PROTECT)
    branch = models.ForeignKey(Branch, null=True, blank=True, on_delete=models.PROTECT)
    freeze_date = models.DateField()
    months_required = models.PositiveSmallIntegerField(default=6)
    exclude_suspended = models.BooleanField(default=True)
    exclude_arrears = models.BooleanField(default=True)
    min_age = models.PositiveSmallIntegerField(null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(null=True, blank=True)
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()
    results_visibility = models.CharField(
        max_length=12, choices=Visibility.choices, default=Visibility.ELECTORATE
    )
    # The count publishes AV figures by electorate section (``tally.by_section``) where the
    # rules say so (the elections app sets it; decision 0025).
    publish_by_section = models.BooleanField(default=False, db_default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Frozen at opening.
    frozen_at = models.DateTimeField(null=True, blank=True)
    electorate_size = models.PositiveIntegerField(null=True, blank=True)
    electorate_digest = models.CharField(max_length=64, blank=True)
    # Recorded so any tie broken by lot can be replayed.
    seed = models.BigIntegerField(null=True, blank=True)
    # Set by the count.
    counted_at = models.DateTimeField(null=True, blank=True)
    turnout = models.PositiveIntegerField(null=True, blank=True)
    result = models.JSONField(null=True, blank=True)
    papers_blt = models.TextField(blank=True)
    papers_csv = models.TextField(blank=True)
    papers_digest = models.CharField(max_length=64, blank=True)
    declared_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="ballot_closes_after_opening"
            ),
            models.CheckConstraint(condition=Q(seats__gte=1), name="ballot_seats_positive"),
            models.CheckConstraint(
                name="ballot_scope_matches_kind",
                condition=Q(
                    scope_kind="party", region__isnull=True, clp__isnull=True, branch__isnull=True
                )
                | Q(
                    scope_kind="region", region__isnull=False, clp__isnull=True, branch__isnull=True
                )
                | Q(scope_kind="clp", clp__isnull=False, region__isnull=True, branch__isnull=True)
                | Q(
                    scope_kind="branch", branch__isnull=False, region__isnull=True, clp__isnull=True
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def scope_id(self) -> int | None:
        return {
            "party": None,
            "region": self.region_id,
            "clp": self.clp_id,
            "branch": self.branch_id,
        }[self.scope_kind]

    @property
    def scope_label(self) -> str:
        unit: Any = {"party": None, "region": self.region, "clp": self.clp, "branch": self.branch}[
            self.scope_kind
        ]
        return str(unit) if unit is not None else "Whole party"

    @property
    def is_ranked(self) -> bool:
        return self.method in RANKED_METHODS


class Option(models.Model):
    """A candidate or an option on the ballot paper, in the order printed."""

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    gender = models.CharField(max_length=12, blank=True)

    class Meta:
        ordering = ["ballot", "position"]
        constraints = [
            models.UniqueConstraint(fields=["ballot", "name"], name="option_unique_name"),
            models.UniqueConstraint(fields=["ballot", "position"], name="option_unique_position"),
        ]

    def __str__(self) -> str:
        return self.name


class Elector(models.Model):
    """A member — or a supporter (``supporter_id``, the elections app's ``Supporter``; no
    foreign key across apps) — on the frozen electorate of one ballot, with their
    invitation and their electorate ``section`` (decision 0025).

    ``token_digest`` is the SHA-256 of the one-time ballot link's secret; the secret itself
    exists only in the email. It is cleared when the member votes.
    """

    # No index of its own on ``ballot``: the unique (ballot, member) index serves every
    # lookup by ballot, and each index is one more write per elector when a million are
    # frozen at once.
    #
    # No database-level foreign-key checks either (docs/decisions/0004-electorate-without-
    # fk-checks.md): the electorate is written once, by one INSERT ... SELECT from the
    # member table inside the transaction that opens the ballot, so every row references
    # an existing ballot and member by construction; PostgreSQL's per-row checks (which
    # lock every member row) were two thirds of the time to freeze a million electors.
    # Deletion is still governed by Django (CASCADE with the ballot, PROTECT for members).
    ballot = models.ForeignKey(
        Ballot,
        on_delete=models.CASCADE,
        related_name="electors",
        db_index=False,
        db_constraint=False,
    )
    member = models.ForeignKey(
        Member,
        on_delete=models.PROTECT,
        related_name="electorships",
        db_constraint=False,
        null=True,
        blank=True,
    )
    supporter_id = models.PositiveBigIntegerField(null=True, blank=True)
    section = models.CharField(
        max_length=12, choices=Section.choices, default=Section.MEMBER, db_default="member"
    )
    # Unique where set (a partial index): at freezing every elector has none, so the
    # index is not written a million times with NULLs.
    token_digest = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001 - NULL: no link
    invited_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(default=0)
    last_send_error = models.CharField(max_length=300, blank=True)
    # (db_default: the electorate is frozen by a raw INSERT ... SELECT naming only the
    # columns it fills.)
    # The send owed to this elector (ballots/invitations.py, "Exactly one email"): queued
    # by an invite or remind action, leased by one worker at a time, and while a message
    # is in flight its Message-ID and the link's secret sealed under a key derived from
    # SECRET_KEY, so a send interrupted by a crash is repeated byte for byte. All cleared
    # when the server accepts the message.
    send_kind = models.CharField(max_length=12, blank=True, default="", db_default="")
    send_queued_at = models.DateTimeField(null=True, blank=True)
    send_lease = models.CharField(max_length=32, blank=True, default="", db_default="")
    send_lease_until = models.DateTimeField(null=True, blank=True)
    send_message_id = models.CharField(max_length=200, blank=True, default="", db_default="")
    send_sealed = models.CharField(max_length=64, blank=True, default="", db_default="")
    # The Message-ID (SMTP) or the provider's message id (API) of the last accepted email:
    # bounce and complaint reports are matched on it.
    sent_message_id = models.CharField(max_length=200, blank=True, default="", db_default="")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "member"], name="elector_once_per_ballot"),
            models.UniqueConstraint(
                fields=["ballot", "supporter_id"],
                condition=Q(supporter_id__isnull=False),
                name="elector_supporter_once_per_ballot",
            ),
            models.CheckConstraint(
                name="elector_member_or_supporter",
                condition=(Q(member__isnull=False, supporter_id__isnull=True, section="member"))
                | (Q(member__isnull=True, supporter_id__isnull=False) & ~Q(section="member")),
            ),
            models.UniqueConstraint(
                fields=["token_digest"],
                condition=Q(token_digest__isnull=False),
                name="elector_unique_link",
            ),
        ]
        indexes = [
            models.Index(fields=["ballot", "invited_at"]),
            # Only electors owed an email are in it: workers claim the next ones from it.
            models.Index(
                fields=["ballot", "id"],
                condition=Q(send_queued_at__isnull=False),
                name="elector_send_owed",
            ),
            models.Index(
                fields=["sent_message_id"],
                condition=~Q(sent_message_id=""),
                name="elector_sent_message",
            ),
        ]

    def __str__(self) -> str:
        who = self.member if self.member_id else f"supporter {self.supporter_id}"
        return f"{who} on {self.ballot}"


class VoteRecord(models.Model):
    """That a member (or a supporter, ``supporter_id``) voted — and nothing about how. One
    per voter per ballot: the unique constraints are what make a second, simultaneous
    submission fail. Random primary key, no timestamp, so records carry no order that
    could be matched to papers."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Looked up by (ballot, member): the unique index serves lookups by ballot too.
    ballot = models.ForeignKey(
        Ballot, on_delete=models.CASCADE, related_name="vote_records", db_index=False
    )
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    supporter_id = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "member"], name="one_vote_per_member"),
            models.UniqueConstraint(
                fields=["ballot", "supporter_id"],
                condition=Q(supporter_id__isnull=False),
                name="one_vote_per_supporter",
            ),
            models.CheckConstraint(
                name="vote_record_member_or_supporter",
                condition=Q(member__isnull=False, supporter_id__isnull=True)
                | Q(member__isnull=True, supporter_id__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"vote recorded on {self.ballot_id}"


class SealedPaper(models.Model):
    """A paper while its ballot is open: encrypted, in the database's eyes anonymous bytes.

    Written in the voter's transaction (``pending``: ``mixed`` false), so PostgreSQL's
    transaction id and the row's place on disk tie it to the voter's :class:`VoteRecord`;
    what it holds — the tracking code, the choice and the voter's electorate section,
    padded to one length per ballot — is
    sealed with AES-GCM under a key that is not in the database
    (``ballots.secrecy``). The mixer moves pending papers, at least ``BALLOT_MIX_BATCH``
    at a time, into the sealed box (``mixed`` true) in random order, re-sealed, in its own
    transaction; at close every sealed paper is opened and written as a :class:`Paper`
    in random order in the closing transaction, and the sealed rows are deleted.

    ``code_digest`` is a keyed hash (HMAC) of the tracking code: unique per ballot, so no
    two voters get one code, and useless without the key.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    ballot = models.ForeignKey(
        Ballot, on_delete=models.CASCADE, related_name="sealed_papers", db_index=False
    )
    code_digest = models.CharField(max_length=64)
    sealed = models.BinaryField()
    mixed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ballot", "code_digest"], name="sealed_paper_unique_code"
            )
        ]
        indexes = [
            # The mixer's and the vote's count of pending papers of a ballot.
            models.Index(fields=["ballot"], condition=Q(mixed=False), name="sealed_paper_pending")
        ]

    def __str__(self) -> str:
        return "sealed paper"


class Paper(models.Model):
    """How someone voted — and nothing about who. Random primary key, no timestamp.

    Papers exist only once the ballot is closed: they are written, all in one transaction
    and in random order, from the :class:`SealedPaper` rows when the count starts.

    ``choice`` holds option positions: a ranking (most preferred first) for ranked methods,
    the marked options for approval/block, or ``"yes"``/``"no"``/``"abstain"``.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The unique (ballot, tracking_code) index serves lookups by ballot.
    ballot = models.ForeignKey(
        Ballot, on_delete=models.CASCADE, related_name="papers", db_index=False
    )
    tracking_code = models.CharField(max_length=20)
    choice = models.JSONField()
    # The voter's electorate section, sealed with the paper while the ballot is open and
    # written here at the close (decision 0025) only as finely as it will be published
    # (``secrecy.published_sections``; blank when not broken down). Counted by section
    # (``tally``), never published with the paper: the published papers carry no section.
    section = models.CharField(
        max_length=12,
        choices=PaperSection.choices,
        default=PaperSection.NOT_RECORDED,
        db_default="",
        blank=True,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["ballot", "tracking_code"], name="paper_unique_code")
        ]

    def __str__(self) -> str:
        return f"paper {self.tracking_code}"


class EmailEvent(models.Model):
    """A delivery report about an email we sent: a bounce, a complaint, a rejection.

    Written by the email provider's tracking webhook (django-anymail, ``ballots.mail``),
    matched to the elector whose invitation it concerns by the message id recorded when
    the message was accepted (``Elector.sent_message_id``), else to the member by address.
    ``event_id`` makes a provider's retried webhook post count once.
    """

    class Kind(models.TextChoices):
        BOUNCED = "bounced", "Bounced"
        REJECTED = "rejected", "Rejected"
        COMPLAINED = "complained", "Complained (marked as spam)"
        UNSUBSCRIBED = "unsubscribed", "Unsubscribed"
        DEFERRED = "deferred", "Deferred"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    recipient = models.EmailField(max_length=254)
    reason = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    elector = models.ForeignKey(
        Elector, on_delete=models.SET_NULL, null=True, blank=True, related_name="email_events"
    )
    member = models.ForeignKey(
        Member, on_delete=models.SET_NULL, null=True, blank=True, related_name="email_events"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "event_id"],
                condition=~Q(event_id=""),
                name="email_event_once",
            )
        ]
        indexes = [models.Index(fields=["recipient"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.recipient}"
