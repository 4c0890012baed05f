"""Everything held about one member, gathered across the apps (a subject access request).

:func:`subject_data` returns plain JSON-ready data: the member record and history, the
login, its roles and API tokens (never secrets or digests), the ballots the member was on
the electorate of and whether they voted — never how: papers are not linked to anyone
(docs/architecture.md, "Ballot secrecy") — conference delegate records and card votes,
selection applications, campaign signatures, replies and volunteering linked to their
email addresses or login, accountability alert preferences, and the audit entries about
them or made by them.

Callers check permission first (``privacy.permissions``) and go through
``privacy.services.subject_data_export``, which audits the export.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.utils import timezone

from rankandfile.accountability.models import AlertPreference
from rankandfile.ballots.models import Elector, VoteRecord
from rankandfile.campaigns.models import Pledge, Rsvp, Signature, Volunteer
from rankandfile.conference.models import AffiliateDelegation, Card, Delegate
from rankandfile.core.models import AuditEntry, User
from rankandfile.elections.models import Supporter
from rankandfile.meetings.models import Attendance, CommunicationPreference, Delivery
from rankandfile.membership.models import Member, Role
from rankandfile.selections.models import Application

FORMAT_VERSION = 1


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def member_emails(member: Member) -> list[str]:
    """The addresses the member is known by: their record's and their login's."""
    emails = {member.email.strip().lower()} if member.email else set()
    if member.user_id is not None and member.user is not None:
        emails.add(member.user.email.strip().lower())
    return sorted(e for e in emails if e)


def subject_data(member: Member) -> dict[str, Any]:
    user: User | None = member.user if member.user_id else None
    emails = member_emails(member)
    return {
        "format": f"rankandfile-subject-access-v{FORMAT_VERSION}",
        "generated_at": _iso(timezone.now()),
        "member": _member(member),
        "membership_history": [
            {
                "kind": p.kind,
                "start": _iso(p.start),
                "end": _iso(p.end),
                "end_reason": p.end_reason,
                "note": p.note,
            }
            for p in member.periods.order_by("start", "kind")
        ],
        "login": _login(user) if user is not None else None,
        "roles": _roles(user) if user is not None else [],
        "ballots": _ballots(member),
        "conference": _conference(member, user),
        "selections": _applications(member),
        "campaigns": _campaigns(member, user, emails),
        "accountability": _alerts(member),
        "meetings": _meetings(member),
        "audit_entries": _audit(member, user),
    }


def _member(member: Member) -> dict[str, Any]:
    return {
        "membership_number": member.membership_number,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "email": member.email,
        "address": member.address,
        "postcode": member.postcode,
        "gender": member.get_gender_display() if member.gender else "",
        "date_of_birth": _iso(member.date_of_birth),
        "preferred_language": member.get_preferred_language_display()
        if member.preferred_language
        else "",
        "constituency_party": member.clp.name,
        "branch": member.branch.name if member.branch_id and member.branch else None,
        "updated_at": _iso(member.updated_at),
        "erased_at": _iso(member.erased_at),
    }


def _login(user: User) -> dict[str, Any]:
    return {
        "email": user.email,
        "full_name": user.full_name,
        "active": user.is_active,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
        "api_tokens": [
            {
                "name": t.name,
                "prefix": f"rf_{t.prefix}_…",
                "created_at": _iso(t.created_at),
                "last_used_at": _iso(t.last_used_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in user.api_tokens.order_by("created_at")
        ],
    }


def _roles(user: User) -> list[dict[str, Any]]:
    return [
        {
            "role": r.get_kind_display(),
            "title": r.title,
            "scope": r.scope_label,
            "start": _iso(r.start),
            "end": _iso(r.end),
        }
        for r in Role.objects.filter(user=user)
        .select_related("clp", "branch__clp", "region", "affiliate")
        .order_by("start", "pk")
    ]


def _ballots(member: Member) -> list[dict[str, Any]]:
    electors = list(
        Elector.objects.filter(member=member).select_related("ballot").order_by("ballot_id")
    )
    voted = set(VoteRecord.objects.filter(member=member).values_list("ballot_id", flat=True))
    return [
        {
            "ballot": e.ballot.title,
            "ballot_id": e.ballot_id,
            "state": e.ballot.get_state_display(),
            "electorate_frozen_at": _iso(e.ballot.frozen_at),
            "invited_at": _iso(e.invited_at),
            "reminded_at": _iso(e.reminded_at),
            "voted": e.ballot_id in voted,
        }
        for e in electors
    ]


def _conference(member: Member, user: User | None) -> dict[str, Any]:
    delegates = list(
        Delegate.objects.filter(member=member)
        .select_related("conference", "clp")
        .order_by("conference__year")
    )
    cards = (
        list(
            Card.objects.filter(user=user)
            .exclude(choice="")
            .select_related("item")
            .order_by("cast_at", "pk")
        )
        if user is not None
        else []
    )
    led = (
        list(AffiliateDelegation.objects.filter(leader=user).select_related("conference"))
        if user is not None
        else []
    )
    return {
        "delegate_of": [
            {
                "conference": d.conference.title,
                "year": d.conference.year,
                "constituency_party": d.clp.name,
                "kind": d.get_kind_display(),
                "elected": d.get_method_display(),
                "registered_at": _iso(d.registered_at),
                "credential": d.credential,
                "checked_in_at": _iso(d.checked_in_at),
            }
            for d in delegates
        ],
        "affiliate_delegations_led": [
            {"conference": d.conference.title, "delegation": str(d)} for d in led
        ],
        "card_votes_cast": [
            {
                "item": str(c.item),
                "on_behalf_of": c.unit_name,
                "choice": c.get_choice_display(),
                "cast_at": _iso(c.cast_at),
            }
            for c in cards
        ],
    }


def _applications(member: Member) -> list[dict[str, Any]]:
    return [
        {
            "selection": str(a.selection),
            "name_on_ballot": a.name,
            "statement": a.statement,
            "contact_email": a.contact_email,
            "contact_phone": a.contact_phone,
            "is_woman": a.is_woman,
            "is_bame": a.is_bame,
            "trade_union": a.trade_union,
            "union_membership_number": a.union_membership_number,
            "status": a.get_status_display(),
            "applied_at": _iso(a.created_at),
        }
        for a in Application.objects.filter(member=member)
        .select_related("selection__clp", "selection__round")
        .order_by("created_at")
    ]


def _campaigns(member: Member, user: User | None, emails: list[str]) -> dict[str, Any]:
    signatures = Signature.objects.filter(email__in=emails).select_related("campaign")
    rsvp_filter = Q(email__in=emails) | (Q(user=user) if user is not None else Q(pk__in=[]))
    rsvps = Rsvp.objects.filter(rsvp_filter).select_related("event__campaign")
    pledges = (
        Pledge.objects.filter(submitted_by=user).select_related("constituency")
        if user is not None
        else Pledge.objects.none()
    )
    return {
        "signatures": [
            {
                "campaign": s.campaign.title,
                "first_name": s.first_name,
                "last_name": s.last_name,
                "email": s.email,
                "postcode": s.postcode,
                "town": s.town,
                "shown_publicly": s.show_publicly,
                "signed_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
            }
            for s in signatures.order_by("created_at")
        ],
        "event_replies": [
            {
                "event": r.event.title,
                "campaign": r.event.campaign.title,
                "name": r.name,
                "email": r.email,
                "replied_at": _iso(r.created_at),
            }
            for r in rsvps.order_by("created_at")
        ],
        "volunteering": [
            {
                "campaign": v.campaign.title,
                "activities": v.activities,
                "availability": v.availability,
                "offered_at": _iso(v.created_at),
            }
            for v in Volunteer.objects.filter(member=member).select_related("campaign")
        ],
        "pledges_submitted": [
            {
                "name": p.name,
                "constituency": p.constituency.name,
                "statement": p.statement,
                "pledged_on": _iso(p.pledged_on),
                "status": p.get_status_display(),
            }
            for p in pledges.order_by("pledged_on")
        ],
    }


def _alerts(member: Member) -> dict[str, Any]:
    pref = AlertPreference.objects.filter(member=member).first()
    return {"mp_vote_alerts": pref.enabled if pref is not None else False}


def _meetings(member: Member) -> dict[str, Any]:
    """Meetings attended, emails sent by the meetings app, and what the member receives."""
    pref = CommunicationPreference.objects.filter(member=member).first()
    return {
        "meeting_notices": pref.meeting_notices if pref is not None else True,
        "officer_messages": pref.officer_messages if pref is not None else True,
        "attended": [
            {
                "meeting": a.meeting.title,
                "on": _iso(a.meeting.starts_at),
                "checked_in": a.get_method_display(),
            }
            for a in Attendance.objects.filter(member=member).select_related("meeting")
        ],
        "emails": [
            {
                "what": d.message.subject
                if d.message
                else f"Notice: {d.meeting.title if d.meeting else ''}",
                "state": d.state,
                "sent_at": _iso(d.sent_at),
            }
            for d in Delivery.objects.filter(member=member).select_related("message", "meeting")
        ],
    }


def _audit(member: Member, user: User | None) -> list[dict[str, Any]]:
    about = Q(object_type=member._meta.label_lower, object_id=str(member.pk))
    if user is not None:
        about |= Q(object_type=user._meta.label_lower, object_id=str(user.pk)) | Q(actor=user)
    return [
        {
            "seq": e.seq,
            "at": _iso(e.at),
            "by": e.actor_label,
            "action": e.action,
            "about": e.object_label,
            "channel": e.channel,
            # An officer's address is theirs, not the member's: only the member's own.
            "ip_address": e.ip_address if user is not None and e.actor_id == user.pk else None,
            "details": e.data,
            "digest": e.digest,
        }
        for e in AuditEntry.objects.filter(about).order_by("seq")
    ]


def supporter_data(supporter: Supporter) -> dict[str, Any]:
    """Everything held about an election's supporter (decision 0025): the registration,
    the electorates they were put on and whether they voted (never how), and their
    voting login's details when it serves nothing else."""
    electorates = [
        {
            "ballot": e.ballot.title,
            "section": e.section,
            "invited_at": _iso(e.invited_at),
            "voted": VoteRecord.objects.filter(
                ballot_id=e.ballot_id, supporter_id=supporter.pk
            ).exists(),
        }
        for e in Elector.objects.filter(supporter_id=supporter.pk).select_related("ballot")
    ]
    return {
        "generated_at": _iso(timezone.now()),
        "supporter": {
            "id": supporter.pk,
            "election": supporter.contest.title,
            "kind": supporter.kind,
            "name": supporter.name,
            "email": supporter.email,
            "affiliate": str(supporter.affiliate) if supporter.affiliate_id else None,
            "fee_pence_paid": supporter.fee_pence_paid,
            "paid_on": _iso(supporter.paid_on),
            "registered_at": _iso(supporter.registered_at),
            "verified_at": _iso(supporter.verified_at),
            "erased_at": _iso(supporter.erased_at),
        },
        "electorates": electorates,
        "login": _login(supporter.user) if supporter.user is not None else None,
    }
