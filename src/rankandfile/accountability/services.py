"""Writes: policies, division links, party changes, alert preferences.

Each service takes an explicit ``actor``, checks permission, runs in a transaction,
records an audit entry, and schedules the score recompute (and alert digests) after
commit (rule B1). Imports live in ``importer``.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext

from rankandfile.accountability import permissions, tasks
from rankandfile.accountability.models import (
    AlertPreference,
    Division,
    PartyChange,
    Policy,
    PolicyDivision,
)
from rankandfile.conference.models import ProgrammeEntry
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.models import MP, Member

MIN_JUSTIFICATION = 20


def _audit_label(policy_title: str, division_id: int) -> str:
    """The audit log's label for a link: a record, so English, never translated."""
    return f"{policy_title} ← division {division_id}"


def _require_manager(actor: User | None) -> None:
    if actor is not None and not permissions.can_manage_policies(actor):
        raise PermissionDenied(
            gettext("only policy officers and national admins maintain policies")
        )


def _schedule(policy_ids: list[int]) -> None:
    transaction.on_commit(lambda: tasks.after_link_change(policy_ids))


def _unique_slug(title: str) -> str:
    base = slugify(title)[:100] or "policy"
    slug, n = base, 2
    while Policy.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    return slug


@transaction.atomic
def policy_create(
    *,
    actor: User | None,
    title: str = "",
    description: str = "",
    programme_entry: ProgrammeEntry | None = None,
) -> Policy:
    """A policy: a programme entry (title and text from the entry) or a free-standing one
    (rule P2). A programme entry has at most one policy."""
    _require_manager(actor)
    if programme_entry is not None:
        if Policy.objects.filter(programme_entry=programme_entry).exists():
            raise DomainError(
                gettext("programme entry %(reference)s already has a policy")
                % {"reference": programme_entry.reference}
            )
        title = title.strip() or programme_entry.title
        description = description.strip() or programme_entry.text
    title = title.strip()
    if not title:
        raise DomainError(gettext("a free-standing policy needs a title"))
    policy = Policy.objects.create(
        title=title[:200],
        slug=_unique_slug(title),
        description=description.strip(),
        programme_entry=programme_entry,
    )
    audit.record(
        actor=actor,
        action="accountability.policy_create",
        target=policy,
        data={"programme_entry": programme_entry.reference if programme_entry else None},
    )
    return policy


@transaction.atomic
def link_save(
    *,
    actor: User | None,
    policy: Policy,
    division: Division,
    aye_supports: bool,
    strength: str,
    justification: str,
) -> PolicyDivision:
    """Link a division to a policy (or change the link): the direction that supports the
    policy, its strength, and a written justification shown publicly (rule P1)."""
    _require_manager(actor)
    if strength not in PolicyDivision.Strength.values:
        raise DomainError(
            gettext("strength must be one of %(choices)s")
            % {"choices": ", ".join(PolicyDivision.Strength.values)}
        )
    justification = justification.strip()
    if len(justification) < MIN_JUSTIFICATION:
        raise DomainError(
            gettext(
                "write a justification of at least %(min_justification)s "
                "characters: members see why this division tests the policy"
            )
            % {"min_justification": MIN_JUSTIFICATION}
        )
    link, created = PolicyDivision.objects.select_for_update().get_or_create(
        policy=policy,
        division=division,
        defaults={
            "aye_supports": aye_supports,
            "strength": strength,
            "justification": justification,
            "created_by": actor,
        },
    )
    if not created:
        before = {"aye_supports": link.aye_supports, "strength": link.strength}
        link.aye_supports = aye_supports
        link.strength = strength
        link.justification = justification
        link.save()
    else:
        before = None
    audit.record(
        actor=actor,
        action="accountability.link_create" if created else "accountability.link_update",
        target=link,
        label=_audit_label(policy.title, division.division_id),
        data={
            "policy": policy.slug,
            "division_id": division.division_id,
            "aye_supports": aye_supports,
            "strength": strength,
            "justification": justification,
            "before": before,
        },
    )
    _schedule([policy.pk])
    return link


@transaction.atomic
def link_remove(*, actor: User | None, link: PolicyDivision, reason: str) -> None:
    """Remove a division from a policy; the reason goes to the audit log."""
    _require_manager(actor)
    if not reason.strip():
        raise DomainError(gettext("say why the link is removed"))
    policy_id = link.policy_id
    audit.record(
        actor=actor,
        action="accountability.link_remove",
        target=link,
        label=_audit_label(link.policy.title, link.division.division_id),
        data={"reason": reason.strip(), "justification": link.justification},
    )
    link.delete()
    _schedule([policy_id])


@transaction.atomic
def party_change_record(
    *,
    actor: User | None,
    mp: MP,
    date: dt.date,
    kind: str,
    from_party: str,
    to_party: str,
    note: str = "",
) -> PartyChange:
    """Record (or correct) a change in an MP's party on a date (rule A7); scores follow."""
    _require_manager(actor)
    if kind not in PartyChange.Kind.values:
        raise DomainError(
            gettext("kind must be one of %(choices)s")
            % {"choices": ", ".join(PartyChange.Kind.values)}
        )
    if not from_party.strip() or not to_party.strip():
        raise DomainError(gettext("name the party before and after the change"))
    change, _ = PartyChange.objects.update_or_create(
        mp=mp,
        date=date,
        defaults={
            "kind": kind,
            "from_party": from_party.strip(),
            "to_party": to_party.strip(),
            "note": note.strip()[:300],
            "origin": PartyChange.Origin.OFFICER,
        },
    )
    audit.record(
        actor=actor,
        action="accountability.party_change",
        target=change,
        data={"mp": mp.mnis_id, "date": date, "kind": kind, "from": from_party, "to": to_party},
    )
    transaction.on_commit(
        lambda: tasks.recompute_scores_task.enqueue(None, "party change recorded")
    )
    return change


@transaction.atomic
def alerts_set(*, actor: User, member: Member, enabled: bool) -> AlertPreference:
    """A member opts in to (or out of) digests about their MP's votes (rule L1)."""
    if member.user_id != actor.pk:
        raise PermissionDenied(gettext("members set their own alert preferences"))
    pref, _ = AlertPreference.objects.update_or_create(member=member, defaults={"enabled": enabled})
    audit.record(
        actor=actor,
        action="accountability.alerts_set",
        target=pref,
        label=str(member),
        data={"enabled": enabled},
    )
    return pref
