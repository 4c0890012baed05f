"""The pledge register: candidates' and MPs' pledges, submitted, verified, kept or broken."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from rankandfile.campaigns import permissions
from rankandfile.campaigns.models import (
    STATEMENT_MAX,
    PartyEvent,
    Pledge,
)
from rankandfile.campaigns.services.common import (
    check_field,
)
from rankandfile.campaigns.validation import (
    clean_text,
)
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.models import MP, Constituency, Member


@transaction.atomic
def pledge_record(
    *,
    actor: User | None,
    constituency: Constituency,
    name: str,
    role: str,
    statement: str,
    pledged_on: dt.date,
    mp: MP | None = None,
) -> Pledge:
    """Enter a candidate's or sitting MP's pledge in the public register (§4)."""
    if actor is not None and not permissions.can_record_for(actor, constituency):
        raise PermissionDenied(gettext("only the officers of this constituency party may do that"))
    if role not in Pledge.Role.values:
        raise DomainError(gettext("Choose candidate or sitting MP."))
    if pledged_on > timezone.localdate():
        raise DomainError(gettext("The pledge date cannot be in the future."))
    if mp is not None and mp.constituency_id not in (None, constituency.pk):
        raise DomainError(
            gettext("%(mp_name)s is not the MP for %(constituency_name)s.")
            % {"mp_name": mp.name, "constituency_name": constituency.name}
        )
    statement = _check_statement(statement)
    pledge = Pledge.objects.create(
        constituency=constituency,
        name=check_field(clean_text, name, label=gettext_noop("name"), max_length=200),
        role=role,
        mp=mp,
        statement=statement,
        pledged_on=pledged_on,
        recorded_by=actor,
    )
    audit.record(actor=actor, action="campaigns.pledge.record", target=pledge)
    return pledge


def _check_statement(statement: str) -> str:
    statement = (statement or "").strip()
    if not statement:
        raise DomainError(gettext("Enter the pledge's statement, in the signer's words."))
    if len(statement) > STATEMENT_MAX:
        raise DomainError(
            gettext("The statement is too long: at most %(statement_max)s characters.")
            % {"statement_max": STATEMENT_MAX}
        )
    return statement


@transaction.atomic
def pledge_submit(
    *,
    actor: User,
    constituency: Constituency,
    role: str,
    statement: str,
    name: str = "",
) -> Pledge:
    """A candidate or sitting MP makes their own pledge (§4). It is dated today and stays
    out of the public register until an officer of the constituency party or a national
    admin verifies that the signer is who they say (:func:`pledge_verify`)."""
    member = Member.objects.filter(user=actor).first() if actor.is_authenticated else None
    if member is None:
        raise PermissionDenied(
            gettext("Only party members can make a pledge: sign in with your member login.")
        )
    if role not in Pledge.Role.values:
        raise DomainError(gettext("Choose candidate or sitting MP."))
    if Pledge.objects.filter(
        submitted_by=actor, constituency=constituency, verified=False
    ).exists():
        raise DomainError(
            gettext("Your pledge for this constituency is already waiting to be verified.")
        )
    mp = None
    if role == Pledge.Role.MP:
        mp = MP.objects.filter(constituency=constituency).order_by("-pk").first()
    full_name = name.strip() or f"{member.first_name} {member.last_name}".strip()
    pledge = Pledge.objects.create(
        constituency=constituency,
        name=check_field(clean_text, full_name, label=gettext_noop("name"), max_length=200),
        role=role,
        mp=mp,
        statement=_check_statement(statement),
        pledged_on=timezone.localdate(),
        submitted_by=actor,
        verified=False,
    )
    audit.record(actor=actor, action="campaigns.pledge.submit", target=pledge)
    return pledge


@transaction.atomic
def pledge_verify(*, actor: User | None, pledge: Pledge, accept: bool) -> Pledge | None:
    """An officer of the pledge's constituency party (or a national admin) accepts a
    submitted pledge into the public register, or rejects it (it is deleted)."""
    if actor is not None and not permissions.can_record_for(actor, pledge.constituency):
        raise PermissionDenied(gettext("only the officers of this constituency party may do that"))
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    if pledge.verified:
        raise DomainError(gettext("This pledge is already in the register."))
    if not accept:
        audit.record(
            actor=actor,
            action="campaigns.pledge.reject",
            target=pledge,
            data={"name": pledge.name},
        )
        pledge.delete()
        return None
    pledge.verified = True
    pledge.verified_by = actor
    pledge.verified_at = timezone.now()
    pledge.recorded_by = actor
    pledge.save(update_fields=["verified", "verified_by", "verified_at", "recorded_by"])
    audit.record(actor=actor, action="campaigns.pledge.verify", target=pledge)
    return pledge


@transaction.atomic
def pledge_set_status(
    *,
    actor: User | None,
    pledge: Pledge,
    status: str,
    left_party_on: dt.date | None = None,
    event_kind: str = "",
    note: str = "",
) -> Pledge:
    """Record what became of a pledge when its signer left the party (§4): kept (they
    resigned to stand again), honoured (they stood in the by-election), broken (they kept
    the seat), or back in force (a correction)."""
    if actor is not None and not permissions.can_record_for(actor, pledge.constituency):
        raise PermissionDenied(gettext("only the officers of this constituency party may do that"))
    if status not in Pledge.Status.values:
        raise DomainError(gettext("Choose a status from the list."))
    if status != Pledge.Status.IN_FORCE and left_party_on is None:
        raise DomainError(gettext("Give the date the signer left the party."))
    if left_party_on is not None and left_party_on < pledge.pledged_on:
        raise DomainError(gettext("They left before they pledged: check the dates."))
    if event_kind not in PartyEvent.values:
        raise DomainError(gettext("Choose what the signer did from the list."))
    pledge = Pledge.objects.select_for_update().get(pk=pledge.pk)
    before = pledge.status
    pledge.status = status
    pledge.left_party_on = left_party_on if status != Pledge.Status.IN_FORCE else None
    pledge.event_kind = event_kind if status != Pledge.Status.IN_FORCE else ""
    pledge.status_note = check_field(
        clean_text, note, label=gettext_noop("note"), max_length=500, required=False
    )
    pledge.status_changed_at = timezone.now()
    pledge.save()
    audit.record(
        actor=actor,
        action="campaigns.pledge.status",
        target=pledge,
        data={"from": before, "to": status},
    )
    return pledge


# --- recall petitions --------------------------------------------------------------------------
