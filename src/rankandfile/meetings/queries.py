"""Reads for meetings, motions and messages: who is entitled to attend, the quorum and
whether it is met, a motion's journey, the groups officers write to, who is willing.

Rules cited are in docs/rules/meetings.md.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.utils import timezone

from rankandfile.ballots.models import Ballot, Elector, VoteRecord
from rankandfile.campaigns.models import Volunteer
from rankandfile.conference import procedure
from rankandfile.conference.models import Composite, Delegate, ProgrammeEntry, Submission
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.rules import MeetingRules
from rankandfile.core.models import User
from rankandfile.meetings.models import (
    AgendaItem,
    Attendance,
    CommunicationPreference,
    Meeting,
    Motion,
    OfficerMessage,
)
from rankandfile.membership.eligibility import EligibilityRule, electorate
from rankandfile.membership.models import CLP, Branch, Member, Role


def rules_on(day: dt.date) -> MeetingRules:
    """The meeting rules of the rule book in force on ``day``."""
    return parameters_in_force(on=day).meetings


def unit_members(*, branch: Branch | None, clp: CLP | None, day: dt.date) -> QuerySet[Member]:
    """Members of the unit on ``day`` (a member that day, not suspended; rule M1)."""
    if branch is not None:
        rule = EligibilityRule(freeze_date=day, months=0, scope_kind="branch", scope_id=branch.pk)
    else:
        assert clp is not None
        rule = EligibilityRule(freeze_date=day, months=0, scope_kind="clp", scope_id=clp.pk)
    return electorate(rule).filter(erased_at__isnull=True)


def entitled_members(meeting: Meeting) -> QuerySet[Member]:
    """Members entitled to attend (rule M1): the unit's members on the meeting's day; for
    an executive committee, those of them who hold one of the unit's offices."""
    day = timezone.localdate(meeting.starts_at)
    qs = unit_members(branch=meeting.branch, clp=meeting.clp, day=day)
    if meeting.kind == Meeting.Kind.EXECUTIVE:
        offices = Role.objects.filter(start__lte=day).filter(Q(end__isnull=True) | Q(end__gt=day))
        if meeting.branch_id is not None:
            offices = offices.filter(kind=Role.Kind.BRANCH_OFFICER, branch=meeting.branch)
        else:
            offices = offices.filter(kind__in=Role.CLP_KINDS, clp=meeting.clp)
        qs = qs.filter(user_id__in=offices.values("user_id"))
    return qs


def quorum_for(*, kind: str, is_branch: bool, entitled: int, rules: MeetingRules) -> int:
    """The quorum (rule M3): an executive committee, its share of its members; otherwise
    the larger of the unit's minimum and the share of members entitled, rounded up;
    never more than the members entitled (a meeting that could never be quorate)."""
    if kind == Meeting.Kind.EXECUTIVE:
        need = math.ceil(Fraction(entitled) * rules.executive_quorum_share)
    else:
        minimum = rules.branch_quorum_min if is_branch else rules.clp_quorum_min
        need = max(minimum, math.ceil(Fraction(entitled) * rules.quorum_share))
    return min(need, entitled)


def notice_days(kind: str, rules: MeetingRules) -> int:
    return rules.executive_notice_days if kind == Meeting.Kind.EXECUTIVE else rules.notice_days


@dataclass(frozen=True)
class QuorumState:
    present: int
    quorum: int
    entitled: int

    @property
    def met(self) -> bool:
        return self.present >= self.quorum

    @property
    def short_by(self) -> int:
        return max(0, self.quorum - self.present)


def quorum_state(meeting: Meeting) -> QuorumState:
    """Present now against the quorum (1 query)."""
    present = Attendance.objects.filter(meeting=meeting).count()
    return QuorumState(present=present, quorum=meeting.quorum, entitled=meeting.entitled_count)


def meeting_items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        AgendaItem.objects.filter(meeting=meeting).select_related(
            "motion__forwarded_from__branch", "amendment", "minutes_of"
        )
    )


def attendance(meeting: Meeting) -> QuerySet[Attendance]:
    return Attendance.objects.filter(meeting=meeting).select_related("member")


def entitled_by_number(meeting: Meeting, number: str) -> Member | None:
    """A member entitled to attend, by membership number (an out-of-scope number answers
    exactly as an unknown one)."""
    return entitled_members(meeting).filter(membership_number=number.strip().upper()).first()


def previous_meeting_awaiting_minutes(meeting: Meeting) -> Meeting | None:
    """The unit's last closed meeting of the same kind whose draft minutes await approval."""
    return (
        Meeting.objects.filter(
            branch=meeting.branch,
            clp=meeting.clp,
            kind=meeting.kind,
            state=Meeting.State.CLOSED,
            minutes_state=Meeting.Minutes.DRAFT,
            starts_at__lt=meeting.starts_at,
        )
        .order_by("-starts_at")
        .first()
    )


def next_clp_meeting(clp_id: int, after: dt.datetime) -> Meeting | None:
    """The CLP's next general or all-member meeting not yet begun (motions go there)."""
    return (
        Meeting.objects.filter(
            clp_id=clp_id,
            state=Meeting.State.SCHEDULED,
            starts_at__gt=after,
            kind__in=[Meeting.Kind.GENERAL, Meeting.Kind.ALL_MEMBER],
        )
        .order_by("starts_at")
        .first()
    )


def build_minutes(meeting: Meeting, items: list[AgendaItem], present: int) -> str:
    """Draft minutes from the decisions recorded item by item (rule M5)."""
    local = timezone.localtime(meeting.starts_at)
    lines = [
        f"Minutes of the {meeting.get_kind_display().lower()} of {meeting.unit_name}",
        f"{local:%A %d %B %Y, %H:%M}, {meeting.location}",
        f"Present: {present} of {meeting.entitled_count} members entitled to attend "
        f"(quorum {meeting.quorum}).",
        "",
    ]
    for n, item in enumerate(items, start=1):
        lines.append(f"{n}. {item.title}")
        outcome = item.get_outcome_display() if item.outcome else "Not taken"
        votes = ""
        if item.votes_for is not None:
            votes = (
                f" ({item.votes_for} for, {item.votes_against or 0} against, "
                f"{item.votes_abstain or 0} abstaining)"
            )
        lines.append(f"   {outcome}{votes}.")
        if item.decision:
            lines.append(f"   {item.decision}")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- The member's side -------------------------------------------------------------------
@dataclass(frozen=True)
class MemberMeetings:
    upcoming: list[Meeting]
    past: list[Meeting]
    motions: list[Motion]


def member_meetings(member: Member, *, now: dt.datetime | None = None) -> MemberMeetings:
    """Meetings of the member's branch and CLP, upcoming and with minutes, and their motions."""
    at = now or timezone.now()
    unit = Q(clp_id=member.clp_id)
    if member.branch_id is not None:
        unit |= Q(branch_id=member.branch_id)
    meetings = Meeting.objects.filter(unit).select_related("branch", "clp")
    upcoming = list(
        meetings.filter(ends_at__gte=at)
        .exclude(state__in=[Meeting.State.CLOSED, Meeting.State.CANCELLED])
        .order_by("starts_at")[:10]
    )
    past = list(meetings.filter(state=Meeting.State.CLOSED).order_by("-starts_at")[:10])
    motions = list(
        Motion.objects.filter(unit).select_related("branch", "clp").order_by("-created_at")[:10]
    )
    return MemberMeetings(upcoming=upcoming, past=past, motions=motions)


def preferences_of(member: Member) -> CommunicationPreference:
    """The member's preferences (unsaved defaults when they never changed them)."""
    pref = CommunicationPreference.objects.filter(member=member).first()
    return pref or CommunicationPreference(member=member)


# --- Motions and their provenance -----------------------------------------------------------
def motion_events(motion: Motion) -> list[tuple[Motion, list[object]]]:
    """Each motion of the chain (branch first) with its history."""
    return [(m, list(m.events.select_related("meeting"))) for m in motion.chain()]


def submission_of(motion: Motion) -> Submission | None:
    return Submission.objects.filter(origin_motion=motion).select_related("conference").first()


@dataclass(frozen=True)
class SentenceSource:
    sentence: str
    submission: str  # the conference submission's reference ("" when none)
    clp: str
    began_in: str  # the branch (or CLP) where the sentence was first moved
    motion_id: int | None


def _began_in(motion: Motion, sentence: str) -> tuple[str, Motion]:
    """Where a sentence of a CLP motion was first moved: the branch motion it was
    forwarded from when the branch's wording holds it, else the CLP itself (added by an
    amendment at the CLP)."""
    origin = motion.forwarded_from
    if origin is not None and origin.branch is not None:
        found = procedure.provenance(sentence, {"branch": origin.text, "clp": ""})
        if found and found[0].source == "branch" and found[0].matched * 2 > found[0].total:
            return f"{origin.branch.name} branch", origin
    return motion.unit_name, motion


def sentence_sources(text: str, submissions: list[Submission]) -> list[SentenceSource]:
    """Trace each sentence of ``text`` (a composite's or a motion's) to the submission it
    came from (``conference.procedure.provenance``) and on to the branch where it began."""
    by_ref = {s.reference: s for s in submissions}
    out: list[SentenceSource] = []
    origins = procedure.provenance(text, {s.reference: s.text for s in submissions})
    for o in origins:
        sub = by_ref.get(o.source or "")
        if sub is None:
            out.append(SentenceSource(o.sentence, "", "", "", None))
            continue
        motion = sub.origin_motion
        if motion is None:
            out.append(SentenceSource(o.sentence, sub.reference, sub.organisation_name, "", None))
            continue
        where, m = _began_in(motion, o.sentence)
        out.append(SentenceSource(o.sentence, sub.reference, sub.organisation_name, where, m.pk))
    return out


def entry_sources(entry: ProgrammeEntry) -> list[SentenceSource]:
    """Sentence sources of a programme entry made from a composite or a motion."""
    item = entry.agenda_item
    if item is None:
        return []
    if item.composite_id is not None:
        return composite_sources(item.composite)  # type: ignore[arg-type]
    if item.submission_id is not None:
        subs = list(
            Submission.objects.filter(pk=item.submission_id).select_related(
                "clp", "affiliate", "origin_motion__forwarded_from__branch", "origin_motion__clp"
            )
        )
        return sentence_sources(entry.text, subs)
    return []


def composite_sources(composite: Composite) -> list[SentenceSource]:
    subs = list(
        Submission.objects.filter(Q(composite=composite) | Q(topic=composite.topic_id))
        .filter(kind=Submission.Kind.MOTION)
        .select_related(
            "clp", "affiliate", "origin_motion__forwarded_from__branch", "origin_motion__clp"
        )
    )
    if not any(s.origin_motion_id for s in subs):
        return []
    return sentence_sources(composite.text, subs)


# --- Officers' messages ------------------------------------------------------------------------
def _scoped(qs: QuerySet[Member], message: OfficerMessage) -> QuerySet[Member]:
    if message.branch is not None:
        return qs.filter(branch=message.branch)
    return qs.filter(clp=message.clp)


def audience_members(message: OfficerMessage, *, day: dt.date | None = None) -> QuerySet[Member]:
    """Everyone in the chosen group, within the message's unit (before preferences).

    "Not voted" is read from ``VoteRecord`` only (that a member voted), never from papers
    (docs/security.md): the electors of the ballot without a vote record.
    """
    day = day or timezone.localdate()
    members = unit_members(branch=message.branch, clp=message.clp, day=day)
    aud = message.audience
    if aud == OfficerMessage.Audience.BRANCH:
        members = members.filter(branch=message.audience_branch)
    elif aud == OfficerMessage.Audience.DELEGATES:
        delegates = Delegate.objects.filter(
            clp_id=message.unit_clp_id, conference__ends_on__gte=day
        ).values("member_id")
        members = members.filter(pk__in=delegates)
    elif aud == OfficerMessage.Audience.VOLUNTEERS:
        volunteers = Volunteer.objects.filter(campaign__clp_id=message.unit_clp_id).values(
            "member_id"
        )
        members = members.filter(pk__in=volunteers)
    elif aud == OfficerMessage.Audience.NOT_VOTED:
        voted = VoteRecord.objects.filter(ballot=message.ballot, member_id=OuterRef("pk"))
        electors = Elector.objects.filter(ballot=message.ballot).values("member_id")
        members = members.filter(pk__in=electors).filter(~Exists(voted))
    return _scoped(members, message)


def unwilling(category: str) -> Q:
    """Members who turned off this category of email."""
    return Q(pk__in=CommunicationPreference.objects.filter(**{category: False}).values("member_id"))


@dataclass(frozen=True)
class Recipients:
    """Who would receive a message: counts for the preview, the ids for sending."""

    ids: list[int]
    unwilling: int
    no_email: int
    bounced: int = 0

    @property
    def count(self) -> int:
        return len(self.ids)


def recipients(qs: QuerySet[Member], category: str) -> Recipients:
    """Split a group into those who will be sent the email (an address, willing, that
    address not known to bounce), those who said no, those without an address and those
    whose address bounced."""
    group = qs.order_by()
    no_pref = group.exclude(unwilling(category))
    with_email = no_pref.exclude(email="")
    bounced_ids = set(
        with_email.filter(mail_prefs__bounced_address=F("email")).values_list("pk", flat=True)
    )
    ids = [
        pk for pk in with_email.order_by("pk").values_list("pk", flat=True) if pk not in bounced_ids
    ]
    total = group.count()
    refused = total - no_pref.count()
    return Recipients(
        ids=ids,
        unwilling=refused,
        no_email=total - refused - len(ids) - len(bounced_ids),
        bounced=len(bounced_ids),
    )


def open_ballots_for(user: object, *, clp_id: int | None = None) -> list[Ballot]:
    """Open CLP and branch ballots the user manages (of one CLP when given)."""
    from rankandfile.ballots.permissions import can_manage_ballot

    qs = Ballot.objects.filter(state=Ballot.State.OPEN).filter(
        Q(clp__isnull=False) | Q(branch__isnull=False)
    )
    if clp_id is not None:
        qs = qs.filter(Q(clp_id=clp_id) | Q(branch__clp_id=clp_id))
    return [b for b in qs.select_related("branch", "clp") if can_manage_ballot(user, b)]


def messages_sent_since(user: User, since: dt.datetime) -> int:
    return OfficerMessage.objects.filter(sent_by=user, created_at__gte=since).count()
