"""Who may run campaigns and see their personal data.

- Run a campaign (create, edit, launch, hand in, close, events, export signatures, see
  volunteers and RSVPs): the CLP officers (chair, secretary, officer) of the campaign's
  constituency party, and national admins. Regional officers do not: personal data of
  signers is seen by the campaign's own officers only (``docs/rules/campaigns.md`` §2).
- See a campaign: anyone once it is launched; a draft only its officers.
- Record pledges and recall petitions: CLP officers of the constituency's party, national
  admins.
- Volunteer: any logged-in member.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from rankandfile.campaigns.models import Campaign, CampaignEvent, Pledge, RecallPetition
from rankandfile.core.errors import NotFound
from rankandfile.membership import permissions as membership_permissions
from rankandfile.membership.models import CLP, Constituency

AnyUser = Any


def can_run_campaigns_in(user: AnyUser, clp: CLP) -> bool:
    return membership_permissions.is_clp_officer(user, clp)


def can_manage_campaign(user: AnyUser, campaign: Campaign) -> bool:
    """The campaign's officers: they also see signers' personal data."""
    return membership_permissions.is_national_admin(
        user
    ) or campaign.clp_id in membership_permissions.officer_clp_ids(user)


can_see_personal_data = can_manage_campaign


def campaign_clps(user: AnyUser) -> QuerySet[CLP]:
    """Constituency parties in which the user may open a campaign."""
    qs = CLP.objects.select_related("constituency")
    if membership_permissions.is_national_admin(user):
        return qs
    return qs.filter(pk__in=membership_permissions.officer_clp_ids(user))


def can_record_for(user: AnyUser, constituency: Constituency) -> bool:
    """Pledges and recall petitions of a constituency."""
    if membership_permissions.is_national_admin(user):
        return True
    return CLP.objects.filter(
        constituency=constituency, pk__in=membership_permissions.officer_clp_ids(user)
    ).exists()


def recordable_constituencies(user: AnyUser) -> QuerySet[Constituency]:
    qs = Constituency.objects.all()
    if membership_permissions.is_national_admin(user):
        return qs
    return qs.filter(clp__pk__in=membership_permissions.officer_clp_ids(user))


def visible_campaigns(user: AnyUser) -> QuerySet[Campaign]:
    """Launched campaigns, plus drafts of the campaigns the user runs."""
    qs = Campaign.objects.select_related("constituency", "clp", "mp")
    if membership_permissions.is_national_admin(user):
        return qs
    return qs.filter(
        ~Q(state=Campaign.State.DRAFT) | Q(clp_id__in=membership_permissions.officer_clp_ids(user))
    )


def access_campaign(user: AnyUser, slug: str) -> Campaign:
    # A slice, not first(): the slug is unique, and first() would add an ORDER BY.
    campaign = next(iter(visible_campaigns(user).filter(slug=slug)[:1]), None)
    if campaign is None:
        raise NotFound(gettext("no such campaign"))
    return campaign


def signable_campaign(slug: str) -> Campaign:
    """The campaign behind the public signing form, lean (the hot path: one indexed
    lookup, no joins). Drafts are not found, exactly as on the page."""
    campaign = next(
        iter(Campaign.objects.exclude(state=Campaign.State.DRAFT).filter(slug=slug)[:1]), None
    )
    if campaign is None:
        raise NotFound(gettext("no such campaign"))
    return campaign


def access_managed_campaign(user: AnyUser, slug: str) -> Campaign:
    campaign = access_campaign(user, slug)
    if not can_manage_campaign(user, campaign):
        raise NotFound(gettext("no such campaign among those you run"))
    return campaign


def access_event(user: AnyUser, campaign: Campaign, event_id: int) -> CampaignEvent:
    event = CampaignEvent.objects.filter(campaign=campaign, pk=event_id).first()
    if event is None:
        raise NotFound(gettext("no such event"))
    return event


def access_recordable_pledge(user: AnyUser, pledge_id: int) -> Pledge:
    pledge = Pledge.objects.select_related("constituency").filter(pk=pledge_id).first()
    if pledge is None or not can_record_for(user, pledge.constituency):
        raise NotFound(gettext("no such pledge among those you record"))
    return pledge


def access_recall(user: AnyUser, petition_id: int) -> RecallPetition:
    petition = (
        RecallPetition.objects.select_related("constituency", "mp").filter(pk=petition_id).first()
    )
    if petition is None:
        raise NotFound(gettext("no such recall petition"))
    return petition
