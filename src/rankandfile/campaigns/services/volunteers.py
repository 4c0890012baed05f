"""Volunteers: members offering help to a campaign."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from rankandfile.campaigns.models import (
    Campaign,
    Volunteer,
)
from rankandfile.campaigns.services.common import (
    check_field,
)
from rankandfile.campaigns.services.lifecycle import require_manager
from rankandfile.campaigns.validation import (
    clean_text,
)
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.models import Member


@transaction.atomic
def volunteer_signup(
    *,
    actor: User,
    campaign: Campaign,
    activities: Sequence[str],
    availability: str = "",
    member: Member | None = None,
) -> Volunteer:
    """A member offers to help (§3). Signing up again updates the offer.

    With ``member``, one of the campaign's officers records a member who offered in person
    (at a stall or a meeting); otherwise the actor volunteers themselves.
    """
    if member is not None:
        require_manager(actor, campaign)
    else:
        member = Member.objects.filter(user=actor).first() if actor.is_authenticated else None
    if member is None:
        raise PermissionDenied(
            gettext("Only party members can volunteer: sign in with your member login.")
        )
    if campaign.state not in (Campaign.State.LIVE, Campaign.State.HANDED_IN):
        raise DomainError(gettext("This campaign is not taking volunteers."))
    bad = [a for a in activities if a not in Volunteer.Activity.values]
    if bad or not activities:
        raise DomainError(gettext("Choose at least one way to help from the list."))
    availability = check_field(
        clean_text, availability, label=gettext_noop("availability"), max_length=300, required=False
    )
    volunteer, created = Volunteer.objects.update_or_create(
        campaign=campaign,
        member=member,
        defaults={
            "activities": sorted(set(activities)),
            "availability": availability,
        },
        create_defaults={
            "activities": sorted(set(activities)),
            "availability": availability,
            "created_at": timezone.now(),
        },
    )
    audit_label = f"volunteer for {campaign.title}"  # the audit log stays English
    audit.record(
        actor=actor,
        action="campaigns.volunteer.signup" if created else "campaigns.volunteer.update",
        target=campaign,
        label=audit_label,
    )
    return volunteer


@transaction.atomic
def volunteer_withdraw(*, actor: User, campaign: Campaign) -> bool:
    deleted, _ = Volunteer.objects.filter(campaign=campaign, member__user=actor).delete()
    if deleted:
        audit.record(actor=actor, action="campaigns.volunteer.withdraw", target=campaign)
    return bool(deleted)


# --- pledges --------------------------------------------------------------------------------
