"""Alert digests (rule L1): when a newly imported division is linked to a policy and an MP
voted against the policy in it, members of that MP's constituency party who opted in get
one email listing every such vote since their last digest.

"Newly imported": the division was first imported at most ``ALERT_WINDOW_DAYS`` before
the link was made (old divisions linked later are history, not news). Each (member, link)
is sent at most once (``AlertSent``); a link is marked ``alerted_at`` once handled.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from rankandfile.accountability.models import AlertPreference, AlertSent, MPVote, PolicyDivision
from rankandfile.accountability.scoring import Outcome, outcome
from rankandfile.core import audit
from rankandfile.core.links import absolute_url
from rankandfile.membership.language import in_language

ALERT_WINDOW_DAYS = 30


Against = dict[int, list[tuple[PolicyDivision, MPVote]]]


def _fresh(pending: list[PolicyDivision]) -> list[PolicyDivision]:
    """The links made at most ``ALERT_WINDOW_DAYS`` after their division was imported."""
    window = dt.timedelta(days=ALERT_WINDOW_DAYS)
    return [lk for lk in pending if lk.created_at - lk.division.imported_at <= window]


def _votes_against(fresh: list[PolicyDivision]) -> Against:
    """Per constituency, the (link, vote) pairs where its MP voted against the linked
    policy, from each division's primary source. MPs without a constituency are left out."""
    against: Against = defaultdict(list)
    by_division: dict[int, list[PolicyDivision]] = defaultdict(list)
    for lk in fresh:
        by_division[lk.division_id].append(lk)
    votes = MPVote.objects.filter(division_id__in=list(by_division)).select_related(
        "mp__constituency", "division"
    )
    for vote in votes:
        if vote.source != vote.division.primary_source:
            continue
        for lk in by_division[vote.division_id]:
            if outcome(vote.position, lk.aye_supports) == Outcome.AGAINST:
                against[vote.mp.constituency_id or 0].append((lk, vote))
    against.pop(0, None)
    return against


def _digest(member: Any, items: list[tuple[PolicyDivision, MPVote]]) -> EmailMessage:
    """One member's digest email listing ``items``, in the member's language."""
    with in_language(member):
        return _compose_digest(member, items)


def _compose_digest(member: Any, items: list[tuple[PolicyDivision, MPVote]]) -> EmailMessage:
    context = {
        "member": member,
        "items": [
            {
                "mp": vote.mp,
                "policy": lk.policy,
                "division": lk.division,
                "vote": vote.position_label,
                "supports": lk.direction_label,
                "justification": lk.justification,
                "policy_url": absolute_url(
                    reverse("accountability:policy", kwargs={"slug": lk.policy.slug})
                ),
                "mp_url": absolute_url(
                    reverse("accountability:mp", kwargs={"mnis_id": vote.mp.mnis_id})
                ),
            }
            for lk, vote in items
        ],
        "preferences_url": absolute_url(reverse("accountability:alerts")),
    }
    mp_name = items[0][1].mp.name
    return EmailMessage(
        subject=ngettext(
            "How %(mp_name)s voted: %(count)s vote against party policy",
            "How %(mp_name)s voted: %(count)s votes against party policy",
            len(items),
        )
        % {"mp_name": mp_name, "count": len(items)},
        body=render_to_string("accountability/email/digest.txt", context),
        to=[member.email],
    )


@transaction.atomic
def send_digests() -> int:
    """Send the pending digests; return how many emails went out."""
    now = timezone.now()
    pending = list(
        PolicyDivision.objects.select_for_update(skip_locked=True)
        .filter(alerted_at__isnull=True)
        .select_related("division", "policy")
    )
    if not pending:
        return 0
    fresh = _fresh(pending)
    against = _votes_against(fresh)
    prefs = AlertPreference.objects.filter(
        enabled=True, member__clp__constituency_id__in=list(against)
    ).select_related("member__clp")
    already = set(AlertSent.objects.filter(link__in=fresh).values_list("member_id", "link_id"))
    messages: list[EmailMessage] = []
    sent_rows: list[AlertSent] = []
    for pref in prefs:
        member = pref.member
        if not member.email:
            continue
        items = [
            (lk, vote)
            for lk, vote in against[member.clp.constituency_id]
            if (member.pk, lk.pk) not in already
        ]
        if not items:
            continue
        messages.append(_digest(member, items))
        sent_rows.extend(AlertSent(member=member, link=lk, sent_at=now) for lk, _ in items)
    PolicyDivision.objects.filter(pk__in=[lk.pk for lk in pending]).update(alerted_at=now)
    AlertSent.objects.bulk_create(sent_rows, ignore_conflicts=True)
    audit.record(
        actor=None,
        action="accountability.alert_digests",
        data={"links": len(pending), "fresh": len(fresh), "emails": len(messages)},
    )
    if messages:
        connection = get_connection()
        transaction.on_commit(lambda: connection.send_messages(messages))
    return len(messages)


def send_linked_division_notices(division_ids: list[int]) -> int:
    """L2: a re-import changed divisions already linked to policies (their votes, counts,
    title or date): email every policy officer in office today one notice listing each
    division and the policies it is linked to, so they can check the links still hold.
    Scores are recomputed by the import's own task. Returns how many emails went out."""
    from rankandfile.membership.models import Role

    links = list(
        PolicyDivision.objects.filter(division__division_id__in=division_ids)
        .select_related("division", "policy")
        .order_by("division__date", "division__division_id", "policy__title")
    )
    if not links:
        return 0
    today = timezone.localdate()
    recipients = sorted(
        {
            r.user.email
            for r in Role.objects.filter(kind=Role.Kind.POLICY_OFFICER).select_related("user")
            if r.active_on(today) and r.user.is_active and r.user.email
        }
    )
    items = [
        {
            "division": lk.division,
            "policy": lk.policy,
            "supports": lk.direction_label,
            "policy_url": absolute_url(
                reverse("accountability:policy", kwargs={"slug": lk.policy.slug})
            ),
        }
        for lk in links
    ]
    changed = len({lk.division_id for lk in links})
    messages = [
        EmailMessage(
            subject=ngettext(
                "Commons record changed: %(count)s linked division to check",
                "Commons record changed: %(count)s linked divisions to check",
                changed,
            )
            % {"count": changed},
            body=render_to_string("accountability/email/linked_changed.txt", {"items": items}),
            to=[email],
        )
        for email in recipients
    ]
    audit.record(
        actor=None,
        action="accountability.linked_division_changed",
        data={"divisions": sorted(set(division_ids)), "emails": len(messages)},
    )
    if messages:
        get_connection().send_messages(messages)
    return len(messages)
