"""Amendments to motions, composites, rule changes and CAC-designated documents on the
published agenda; their rulings, and applying a carried amendment to its target's text."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from rankandfile.conference import permissions, procedure
from rankandfile.conference.models import (
    AgendaItem,
    Amendment,
    Composite,
    Conference,
    ConferenceDocument,
    Submission,
)
from rankandfile.conference.queries import amendments as amendments_queries
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.services.common import clock, require_manager, time_text
from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.models import CLP, Affiliate

#: What an amendment amends: a motion or rule change, a composite, or a CAC document.
Target = Submission | Composite | ConferenceDocument


def _target_text(target: Target) -> str:
    return target.text


def _label(target: Target) -> str:
    if isinstance(target, Composite):
        return gettext("composite %(number)s") % {"number": target.number}
    if isinstance(target, ConferenceDocument):
        return target.label
    return target.reference


def target_problem(conference: Conference, target: Target) -> str | None:
    """Why ``target`` cannot be amended (None: it can): it must be on the conference's
    published agenda — a motion or rule change in order and debated this year, a
    composite agreed by every mover, or a document the CAC designated for this conference."""
    dates = conference.dates
    if dates.agenda_published_at is None:
        return gettext(
            "amendments are to items on the published agenda, and it is not published yet"
        )
    if isinstance(target, ConferenceDocument):
        if target.conference_id != conference.pk:
            return gettext("%(label)s is not on the agenda of this conference") % {
                "label": target.label
            }
        return None
    if isinstance(target, Composite):
        if target.conference_id != conference.pk:
            return gettext("composite %(number)s is not on the agenda of this conference") % {
                "number": target.number
            }
        if target.status != Composite.Status.AGREED:
            return gettext("composite %(number)s is still being agreed by its movers") % {
                "number": target.number
            }
        return None
    if target.debate_year != conference.year:
        return gettext("%(reference)s is not on the agenda of the %(year)s conference") % {
            "reference": target.reference,
            "year": conference.year,
        }
    if target.status != Submission.Status.IN_ORDER:
        return gettext(
            "%(reference)s is %(status)s; only an item in order on the published agenda can "
            "be amended"
        ) % {"reference": target.reference, "status": target.get_status_display().lower()}
    return None


def _check_mover(actor: User, clp: CLP | None, affiliate: Affiliate | None) -> None:
    if (clp is None) == (affiliate is None):
        raise DomainError(gettext("choose the CLP or the affiliate moving this amendment"))
    if clp is not None and not permissions.can_submit_for_clp(actor, clp):
        raise PermissionDenied(gettext("you are not an officer of %(clp)s") % {"clp": clp})
    if affiliate is not None and not permissions.can_submit_for_affiliate(actor, affiliate):
        raise PermissionDenied(
            gettext("you are not an officer of %(affiliate)s") % {"affiliate": affiliate}
        )


def _amendment_exists(target: Target, clp: CLP | None, affiliate: Affiliate | None) -> bool:
    qs = amendments_queries.amendments_of(target)
    return qs.filter(clp=clp).exists() if clp else qs.filter(affiliate=affiliate).exists()


def _checked_amendment(
    actor: User,
    conference: Conference,
    target: Target,
    text: str,
    clp: CLP | None,
    affiliate: Affiliate | None,
    at: dt.datetime,
) -> tuple[str, str, int]:
    """The amendment's checks, each with its own message (``amendment_create``'s
    docstring lists them); the target's text, the amended text and the words changed."""
    _check_mover(actor, clp, affiliate)
    deadline = conference.dates.amendments_deadline
    if at > deadline:
        raise DomainError(
            gettext("the deadline for amendments to the %(year)s conference passed at %(time)s")
            % {"year": conference.year, "time": time_text(deadline)}
        )
    problem = target_problem(conference, target)
    if problem:
        raise DomainError(problem)
    org = clp or affiliate
    if isinstance(target, Submission) and (
        (clp is not None and target.clp_id == clp.pk)
        or (affiliate is not None and target.affiliate_id == affiliate.pk)
    ):
        raise DomainError(
            gettext("%(org)s moves %(reference)s; it cannot amend its own motion")
            % {"org": org, "reference": target.reference}
        )
    base = _target_text(target).strip()
    text = text.strip()
    if not text or text == base or procedure.words_changed(base, text) == 0:
        raise DomainError(
            gettext("the amendment changes nothing: delete or insert words in the target's text")
        )
    p = parameters_in_force(on=timezone.localdate(at))
    n = procedure.words_changed(base, text)
    if n > p.amendment_max_words:
        raise DomainError(
            gettext(
                "the amendment changes %(n)s words (deleted plus inserted); the limit is %(limit)s"
            )
            % {"n": n, "limit": p.amendment_max_words}
        )
    if _amendment_exists(target, clp, affiliate):
        raise DomainError(
            gettext(
                "%(org)s has already submitted an amendment to %(item)s; each organisation may "
                "move one amendment to each item. Withdraw it first to submit another."
            )
            % {"org": org, "item": _label(target)}
        )
    return base, text, n


@transaction.atomic
def amendment_create(
    *,
    actor: User,
    conference: Conference,
    target: Target,
    text: str,
    note: str = "",
    clp: CLP | None = None,
    affiliate: Affiliate | None = None,
    now: dt.datetime | None = None,
) -> Amendment:
    """A CLP or affiliate amends a motion, composite, rule change or CAC-designated
    document (an NEC statement, a policy document) on the published agenda.

    ``text`` is the target's whole text as the amendment would leave it (words deleted and
    inserted); it is stored with the text it was written against. Checks, each with its own
    message: an officer of the organisation; before the amendments deadline; the target on
    the published agenda; not the organisation's own motion; the text changes something and
    at most ``amendment_max_words`` words (deleted plus inserted); one amendment per
    organisation per target."""
    at = clock(now)
    base, text, n = _checked_amendment(actor, conference, target, text, clp, affiliate, at)
    seq = Amendment.objects.filter(conference=conference).count() + 1
    amendment = Amendment.objects.create(
        conference=conference,
        reference=f"{conference.year}/A{seq:03d}",
        submission=target if isinstance(target, Submission) else None,
        composite=target if isinstance(target, Composite) else None,
        document=target if isinstance(target, ConferenceDocument) else None,
        clp=clp,
        affiliate=affiliate,
        base_text=base,
        text=text,
        words_changed=n,
        note=note.strip(),
        submitted_by=actor,
        submitted_at=at,
    )
    audit.record(
        actor=actor,
        action="conference.amendment_create",
        target=amendment,
        data={"target": str(target), "words_changed": n},
    )
    return amendment


@transaction.atomic
def amendment_withdraw(*, actor: User, amendment: Amendment) -> Amendment:
    if not permissions.is_amendment_sponsor(actor, amendment):
        raise PermissionDenied(
            gettext("only an officer of the moving organisation may withdraw it")
        )
    if amendment.status == Amendment.Status.WITHDRAWN or amendment.items.exists():
        raise DomainError(gettext("this amendment can no longer be withdrawn"))
    amendment.status = Amendment.Status.WITHDRAWN
    amendment.save(update_fields=["status"])
    audit.record(actor=actor, action="conference.amendment_withdraw", target=amendment)
    return amendment


@transaction.atomic
def amendment_rule(
    *,
    actor: User,
    amendment: Amendment,
    in_order: bool,
    reason: str = "",
    now: dt.datetime | None = None,
) -> Amendment:
    """The CAC rules an amendment in or out of order, always with a written reason when
    out of order (the mover sees it). A ruling can be changed until the amendment is on
    the floor."""
    require_manager(actor)
    a = Amendment.objects.select_for_update().get(pk=amendment.pk)
    if a.status == Amendment.Status.WITHDRAWN:
        raise DomainError(gettext("the amendment has been withdrawn"))
    if a.items.exists():
        raise DomainError(gettext("the amendment is already on the floor; its ruling is final"))
    reason = reason.strip()
    if not in_order and not reason:
        raise DomainError(
            gettext("give the reason the amendment is out of order; the mover sees it")
        )
    a.status = Amendment.Status.IN_ORDER if in_order else Amendment.Status.OUT_OF_ORDER
    a.ruling_reason = reason
    a.ruled_by = actor
    a.ruled_at = clock(now)
    a.save(update_fields=["status", "ruling_reason", "ruled_by", "ruled_at"])
    audit.record(
        actor=actor,
        action="conference.amendment_rule",
        target=a,
        data={"in_order": in_order, "reason": reason},
    )
    return a


def target_agenda_item(amendment: Amendment) -> AgendaItem | None:
    qs = AgendaItem.objects.filter(session__conference_id=amendment.conference_id)
    if amendment.composite_id is not None:
        qs = qs.filter(composite_id=amendment.composite_id)
    elif amendment.document_id is not None:
        qs = qs.filter(document_id=amendment.document_id)
    elif amendment.submission_id is not None:
        qs = qs.filter(submission_id=amendment.submission_id)
    return qs.order_by("pk").first()


def require_amendments_decided(item: AgendaItem) -> None:
    pending = amendments_queries.undecided_amendments(item)
    if pending:
        refs = ", ".join(a.reference for a in pending)
        raise DomainError(
            ngettext(
                "vote on the amendment %(refs)s first: amendments in order are decided before "
                "the item they amend",
                "vote on the amendments %(refs)s first: amendments in order are decided before "
                "the item they amend",
                len(pending),
            )
            % {"refs": refs}
        )


def apply_carried_amendment(actor: User, item: AgendaItem) -> None:
    """A carried amendment changes the text its target is voted on (kept on the target's
    agenda item; the amendment keeps the text after it, its provenance)."""
    assert item.amendment_id is not None
    amendment = Amendment.objects.select_for_update().get(pk=item.amendment_id)
    target_item = target_agenda_item(amendment)
    if target_item is None:  # pragma: no cover - item_create requires the target's item
        raise DomainError(gettext("the item this amendment amends is not on the floor"))
    target_item = AgendaItem.objects.select_for_update().get(pk=target_item.pk)
    current = target_item.amended_text or _target_text(amendment.target).strip()
    new = procedure.apply_amendment(amendment.base_text, amendment.text, current)
    if new is None:
        amendment.fell = True
        amendment.save(update_fields=["fell"])
        audit.record(actor=actor, action="conference.amendment_fell", target=amendment)
        return
    amendment.text_after = new
    amendment.save(update_fields=["text_after"])
    target_item.amended_text = new
    target_item.save(update_fields=["amended_text"])
    audit.record(
        actor=actor,
        action="conference.amendment_carried",
        target=amendment,
        data={"item": target_item.pk},
    )


@transaction.atomic
def document_designate(
    *,
    actor: User,
    conference: Conference,
    kind: str,
    title: str,
    text: str,
    now: dt.datetime | None = None,
) -> ConferenceDocument:
    """The CAC puts an NEC statement or a policy document before conference for amendment
    and a vote (issue 16.5). Before the amendments deadline (CLPs and affiliates need the
    time to amend it); a title and a text."""
    require_manager(actor)
    at = clock(now)
    if kind not in ConferenceDocument.Kind.values:
        raise DomainError(gettext("choose an NEC statement or a policy document"))
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise DomainError(gettext("a document needs a title and a text"))
    deadline = conference.dates.amendments_deadline
    if at > deadline:
        raise DomainError(
            gettext(
                "the deadline for amendments passed at %(time)s: a document designated now "
                "could not be amended"
            )
            % {"time": time_text(deadline)}
        )
    n = ConferenceDocument.objects.filter(conference=conference).count() + 1
    doc = ConferenceDocument.objects.create(
        conference=conference,
        number=n,
        kind=kind,
        title=title,
        text=text,
        designated_by=actor,
        designated_at=at,
    )
    audit.record(actor=actor, action="conference.document_designate", target=doc)
    return doc
