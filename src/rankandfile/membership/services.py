"""Write services for membership histories: join, lapse, rejoin, suspend, arrears, expel,
and the wholesale replacement of a history.

Every service is keyword-only, runs in one transaction, locks the member row (so two
officers editing one history are serialised), checks the actor's permission, writes an
audit entry (``core.audit.record``) and raises :class:`DomainError` with a message an
officer can act on. ``actor=None`` means a system or CLI action: no permission check, the
audit log records "system".

Every service keeps the membership history rule (docs/rules/membership.md, implemented
once in ``membership.periods``), which ``membership.eligibility.electorate`` relies on:
each checks its own case first, with a message about that case, then ends with
:func:`_keep_rule`, the rule itself over the whole stored history. In short: periods are
half-open ``[start, end)`` with ``end > start``; periods of one kind never overlap (an
overlap is refused) nor touch (a rejoin on the day of a lapse reopens the lapsed period:
the membership was continuous); suspension and arrears lie inside one membership.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from rankandfile.core import audit
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership import permissions
from rankandfile.membership.eligibility import format_date
from rankandfile.membership.language import offered
from rankandfile.membership.models import Member, Period
from rankandfile.membership.periods import Entry, HistoryError, normalise_history

MEMBERSHIP = Period.Kind.MEMBERSHIP
SUSPENSION = Period.Kind.SUSPENSION
ARREARS = Period.Kind.ARREARS

#: End reasons a lapse may give (expulsion has its own service).
LAPSE_REASONS = (Period.EndReason.LAPSED, Period.EndReason.RESIGNED, Period.EndReason.DIED)


# --- helpers ------------------------------------------------------------------------------
def _lock(actor: User | None, member: Member) -> Member:
    """Re-read and lock the member row, then check the actor may manage it."""
    locked = (
        Member.objects.select_for_update(of=("self",))
        .select_related("clp__constituency")
        .get(pk=member.pk)
    )
    if actor is not None and not permissions.can_manage_member(actor, locked):
        raise PermissionDenied(
            gettext(
                "you may not change the membership record of %(name)s: only officers of "
                "%(clp)s, its regional officers and national admins may"
            )
            % {"name": locked.full_name, "clp": locked.clp.label}
        )
    return locked


def _periods(member: Member, kind: str) -> list[Period]:
    return list(Period.objects.filter(member=member, kind=kind).order_by("start"))


def _membership_on(member: Member, on: dt.date) -> Period | None:
    return next((p for p in _periods(member, MEMBERSHIP) if p.covers(on)), None)


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _record(actor: User | None, action: str, member: Member, **data: Any) -> None:
    """Check the history rule over the changed history, then write the audit entry."""
    _keep_rule(member)
    audit.record(actor=actor, action=action, target=member, data=data)


def _end_membership(
    actor: User | None, member: Member, on: dt.date, reason: str, note: str, action: str
) -> Period:
    """Close the open membership period on ``on``; truncate suspension/arrears with it."""
    current = next((p for p in _periods(member, MEMBERSHIP) if p.end is None), None)
    if current is None:
        raise DomainError(
            gettext(
                "%(name)s has no current membership to end: record a join or a rejoin "
                "first, or correct the history"
            )
            % {"name": member.full_name}
        )
    if on <= current.start:
        raise DomainError(
            gettext(
                "%(name)s's membership began on %(start)s: it can only end after that day, "
                "not on %(on)s"
            )
            % {"name": member.full_name, "start": format_date(current.start), "on": format_date(on)}
        )
    inner = list(
        Period.objects.filter(member=member, kind__in=[SUSPENSION, ARREARS], start__gte=on)
    )
    if inner:
        first = min(inner, key=lambda p: p.start)
        message = (
            gettext(
                "%(name)s has a suspension starting %(start)s, on or after %(on)s: correct "
                "it before ending the membership"
            )
            if first.kind == SUSPENSION
            else gettext(
                "%(name)s has arrears starting %(start)s, on or after %(on)s: correct "
                "them before ending the membership"
            )
        )
        raise DomainError(
            message
            % {"name": member.full_name, "start": format_date(first.start), "on": format_date(on)}
        )
    truncated = []
    for p in Period.objects.filter(member=member, kind__in=[SUSPENSION, ARREARS], start__lt=on):
        if p.end is None or p.end > on:
            truncated.append({"kind": p.kind, "start": _iso(p.start), "end": _iso(p.end)})
            p.end = on
            p.save(update_fields=["end"])
    current.end = on
    current.end_reason = reason
    if note:
        current.note = note[:300]
    current.save(update_fields=["end", "end_reason", "note"])
    _record(
        actor,
        action,
        member,
        on=_iso(on),
        reason=reason,
        note=note,
        period=current.pk,
        truncated=truncated,
    )
    return current


# --- services -----------------------------------------------------------------------------
@transaction.atomic
def member_join(*, actor: User | None, member: Member, on: dt.date) -> Period:
    """Record a first membership starting ``on`` (open-ended).

    Refused if the member already has any membership history: use :func:`member_rejoin`.
    Returns the new membership period.
    """
    member = _lock(actor, member)
    existing = _periods(member, MEMBERSHIP)
    if existing:
        raise DomainError(
            gettext(
                "%(name)s already has a membership history (first joined %(start)s): "
                "record a rejoin instead"
            )
            % {"name": member.full_name, "start": format_date(existing[0].start)}
        )
    period = Period.objects.create(member=member, kind=MEMBERSHIP, start=on)
    _record(actor, "member.join", member, on=_iso(on), period=period.pk)
    return period


@transaction.atomic
def member_lapse(
    *, actor: User | None, member: Member, on: dt.date, reason: str = Period.EndReason.LAPSED
) -> Period:
    """End the current membership: ``on`` is the first day the person is not a member.

    ``reason`` is one of lapsed, resigned, died (expulsion: :func:`member_expel`).
    Suspension and arrears periods still running on ``on`` end with the membership.
    Returns the closed membership period.
    """
    if reason not in LAPSE_REASONS:
        message = (
            gettext(
                "a lapse's reason must be one of %(reasons)s, not %(reason)s: use expel for "
                "an expulsion"
            )
            if reason == Period.EndReason.EXPELLED
            else gettext("a lapse's reason must be one of %(reasons)s, not %(reason)s")
        )
        raise DomainError(message % {"reasons": ", ".join(LAPSE_REASONS), "reason": repr(reason)})
    member = _lock(actor, member)
    return _end_membership(actor, member, on, reason, "", "member.lapse")


@transaction.atomic
def member_rejoin(*, actor: User | None, member: Member, on: dt.date) -> Period:
    """Record a rejoin on ``on`` after a lapse.

    A rejoin on the very day of the lapse reopens the lapsed period: membership was
    continuous. An expelled member may be readmitted only by a national admin (or the
    system). Returns the membership period now open.
    """
    member = _lock(actor, member)
    history = _periods(member, MEMBERSHIP)
    if not history:
        raise DomainError(
            gettext("%(name)s has never been a member: record a join instead")
            % {"name": member.full_name}
        )
    last = history[-1]
    if last.end is None:
        raise DomainError(
            gettext("%(name)s is already a member (since %(start)s)")
            % {"name": member.full_name, "start": format_date(last.start)}
        )
    if on < last.end:
        raise DomainError(
            gettext(
                "%(name)s's membership ended on %(end)s: a rejoin must be on or after that "
                "day, not %(on)s"
            )
            % {"name": member.full_name, "end": format_date(last.end), "on": format_date(on)}
        )
    if (
        last.end_reason == Period.EndReason.EXPELLED
        and actor is not None
        and not permissions.is_national_admin(actor)
    ):
        raise PermissionDenied(
            gettext(
                "%(name)s was expelled on %(end)s: only a national admin may readmit an "
                "expelled member"
            )
            % {"name": member.full_name, "end": format_date(last.end)}
        )
    if on == last.end:
        lapsed_on, last.end, last.end_reason = last.end, None, Period.EndReason.NONE
        last.save(update_fields=["end", "end_reason"])
        _record(
            actor,
            "member.rejoin",
            member,
            on=_iso(on),
            period=last.pk,
            continuous=True,
            lapsed_on=_iso(lapsed_on),
        )
        return last
    period = Period.objects.create(member=member, kind=MEMBERSHIP, start=on)
    _record(
        actor,
        "member.rejoin",
        member,
        on=_iso(on),
        period=period.pk,
        continuous=False,
        lapsed_on=_iso(last.end),
    )
    return period


# Whole sentences for suspensions and for arrears (marked here, translated where raised):
# Welsh cannot glue "a suspension" or "in arrears" into one English-shaped sentence.
_SUSPENSION_WORDS = {
    "ends_before": gettext_noop(
        "the suspension must end after it starts: %(until)s is not after %(on)s"
    ),
    "not_member": gettext_noop(
        "%(name)s is not a member on %(on)s: a suspension can only apply during membership"
    ),
    "after_membership": gettext_noop(
        "%(name)s's membership ends on %(end)s: the suspension must end by then"
    ),
    "overlap_until": gettext_noop(
        "%(name)s already has a suspension from %(start)s until %(end)s overlapping this one: "
        "end or correct it first"
    ),
    "overlap_open": gettext_noop(
        "%(name)s already has a suspension from %(start)s (open-ended) overlapping this one: "
        "end or correct it first"
    ),
    "nothing_to_end": gettext_noop(
        "%(name)s is not suspended up to %(on)s, so there is nothing to end"
    ),
    "nothing_to_end_starts": gettext_noop(
        "%(name)s is not suspended up to %(on)s, so there is nothing to end: the period "
        "starts on %(on)s; delete it by correcting the history"
    ),
}
_ARREARS_WORDS = {
    "ends_before": gettext_noop(
        "the arrears period must end after it starts: %(until)s is not after %(on)s"
    ),
    "not_member": gettext_noop(
        "%(name)s is not a member on %(on)s: an arrears period can only apply during membership"
    ),
    "after_membership": gettext_noop(
        "%(name)s's membership ends on %(end)s: the arrears period must end by then"
    ),
    "overlap_until": gettext_noop(
        "%(name)s already has an arrears period from %(start)s until %(end)s overlapping this "
        "one: end or correct it first"
    ),
    "overlap_open": gettext_noop(
        "%(name)s already has an arrears period from %(start)s (open-ended) overlapping this "
        "one: end or correct it first"
    ),
    "nothing_to_end": gettext_noop(
        "%(name)s is not in arrears up to %(on)s, so there is nothing to end"
    ),
    "nothing_to_end_starts": gettext_noop(
        "%(name)s is not in arrears up to %(on)s, so there is nothing to end: the period "
        "starts on %(on)s; delete it by correcting the history"
    ),
}


def _open_status(
    actor: User | None,
    member: Member,
    kind: str,
    on: dt.date,
    until: dt.date | None,
    note: str,
    action: str,
) -> Period:
    words = _SUSPENSION_WORDS if kind == SUSPENSION else _ARREARS_WORDS
    if until is not None and until <= on:
        raise DomainError(
            gettext(words["ends_before"]) % {"until": format_date(until), "on": format_date(on)}
        )
    membership = _membership_on(member, on)
    if membership is None:
        raise DomainError(
            gettext(words["not_member"]) % {"name": member.full_name, "on": format_date(on)}
        )
    if membership.end is not None and (until is None or until > membership.end):
        raise DomainError(
            gettext(words["after_membership"])
            % {"name": member.full_name, "end": format_date(membership.end)}
        )
    clash = [
        p
        for p in _periods(member, kind)
        if (p.end is None or p.end > on) and (until is None or p.start < until)
    ]
    if clash:
        p = clash[0]
        raise DomainError(
            gettext(words["overlap_until"] if p.end else words["overlap_open"])
            % {
                "name": member.full_name,
                "start": format_date(p.start),
                "end": format_date(p.end) if p.end else "",
            }
        )
    before = next((p for p in _periods(member, kind) if p.end == on), None)
    if before is not None:  # touching the previous one: it continues (M4)
        before.end, before.end_reason = until, Period.EndReason.NONE
        before.save(update_fields=["end", "end_reason"])
        _record(
            actor,
            action,
            member,
            on=_iso(on),
            until=_iso(until),
            note=note,
            period=before.pk,
            continues_from=_iso(before.start),
        )
        return before
    period = Period.objects.create(
        member=member, kind=kind, start=on, end=until, note=(note or "")[:300]
    )
    _record(actor, action, member, on=_iso(on), until=_iso(until), note=note, period=period.pk)
    return period


def _close_status(
    actor: User | None, member: Member, kind: str, on: dt.date, reason: str, action: str
) -> Period:
    words = _SUSPENSION_WORDS if kind == SUSPENSION else _ARREARS_WORDS
    current = next(
        (p for p in _periods(member, kind) if p.start < on and (p.end is None or p.end > on)),
        None,
    )
    if current is None:
        starting = next((p for p in _periods(member, kind) if p.start == on), None)
        message = gettext(words["nothing_to_end_starts"] if starting else words["nothing_to_end"])
        raise DomainError(message % {"name": member.full_name, "on": format_date(on)})
    previous_end = current.end
    current.end = on
    current.end_reason = reason
    current.save(update_fields=["end", "end_reason"])
    _record(actor, action, member, on=_iso(on), period=current.pk, previous_end=_iso(previous_end))
    return current


@transaction.atomic
def member_suspend(
    *,
    actor: User | None,
    member: Member,
    on: dt.date,
    until: dt.date | None = None,
    note: str,
) -> Period:
    """Suspend a member from ``on`` until ``until`` (exclusive; ``None``: until lifted).

    The member must be a member on ``on`` and, if their membership has an end, the
    suspension must end by then; suspensions of one member never overlap. ``note``
    records the grounds or the decision's reference. Returns the suspension period.
    """
    member = _lock(actor, member)
    return _open_status(actor, member, SUSPENSION, on, until, note, "member.suspend")


@transaction.atomic
def member_lift_suspension(*, actor: User | None, member: Member, on: dt.date) -> Period:
    """Lift the suspension running up to ``on``: from ``on`` the member is not suspended.

    Returns the suspension period, now ended on ``on``.
    """
    member = _lock(actor, member)
    return _close_status(
        actor, member, SUSPENSION, on, Period.EndReason.LIFTED, "member.lift_suspension"
    )


@transaction.atomic
def member_arrears_start(
    *, actor: User | None, member: Member, on: dt.date, note: str = ""
) -> Period:
    """Record that a member is in arrears from ``on`` (until cleared).

    Returns the arrears period.
    """
    member = _lock(actor, member)
    return _open_status(actor, member, ARREARS, on, None, note, "member.arrears_start")


@transaction.atomic
def member_arrears_clear(*, actor: User | None, member: Member, on: dt.date) -> Period:
    """Record the arrears paid: from ``on`` the member is not in arrears.

    Returns the arrears period, now ended on ``on``.
    """
    member = _lock(actor, member)
    return _close_status(actor, member, ARREARS, on, Period.EndReason.PAID, "member.arrears_clear")


@transaction.atomic
def member_expel(*, actor: User | None, member: Member, on: dt.date, note: str = "") -> Period:
    """Expel a member: membership ends on ``on`` with reason "expelled".

    Expulsion is a national decision, so only national admins (or the system) may record
    it, whatever their other roles. Suspension and arrears still running end with the
    membership. A later rejoin needs a national admin. Returns the closed membership.
    """
    member = _lock(actor, member)
    if actor is not None and not permissions.is_national_admin(actor):
        raise PermissionDenied(
            gettext("only a national admin may record an expulsion (a CLP may suspend, not expel)")
        )
    return _end_membership(actor, member, on, Period.EndReason.EXPELLED, note, "member.expel")


# --- the one history rule ----------------------------------------------------------------
def _history(member: Member) -> list[Entry]:
    return [
        Entry(p.kind, p.start, p.end, p.end_reason, p.note)
        for p in Period.objects.filter(member=member).order_by("start", "kind")
    ]


def _keep_rule(member: Member) -> None:
    """Refuse (and so roll back) a change that leaves the history breaking the rule of
    docs/rules/membership.md. Each service checks its own case first, in its own words;
    this is the one rule every writer ends with."""
    stored = _history(member)
    try:
        kept = normalise_history(stored, today=timezone.localdate())
    except HistoryError as exc:
        raise DomainError(
            gettext("%(name)s's history would break the membership rule: %(problem)s")
            % {"name": member.full_name, "problem": exc}
        ) from None
    if kept != stored:  # touching periods left unjoined: a service's own mistake
        raise DomainError(
            gettext("%(name)s's history would hold touching periods") % {"name": member.full_name}
        )


@transaction.atomic
def member_replace_history(
    *, actor: User | None, member: Member, periods: Iterable[Entry]
) -> Member:
    """Replace a member's whole history with ``periods`` as kept by the history rule
    (``membership.periods.normalise_history``, docs/rules/membership.md): touching
    periods joined, anything else the rule forbids refused with every problem named. The
    audit entry keeps the old and new histories. Returns the member.
    """
    member = _lock(actor, member)
    try:
        new = normalise_history(periods, today=timezone.localdate())
    except HistoryError as exc:
        raise DomainError(
            gettext("the history cannot be stored: %(problem)s") % {"problem": exc}
        ) from None
    old = [
        {"kind": p.kind, "start": _iso(p.start), "end": _iso(p.end), "end_reason": p.end_reason}
        for p in Period.objects.filter(member=member).order_by("start", "kind")
    ]
    Period.objects.filter(member=member).delete()
    Period.objects.bulk_create(
        Period(
            member=member,
            kind=p.kind,
            start=p.start,
            end=p.end,
            end_reason=p.end_reason,
            note=p.note[:300],
        )
        for p in new
    )
    _record(
        actor,
        "member.replace_history",
        member,
        before=old,
        after=[
            {"kind": p.kind, "start": _iso(p.start), "end": _iso(p.end), "end_reason": p.end_reason}
            for p in new
        ],
    )
    return member


# --- preferences --------------------------------------------------------------------------
def member_set_language(*, member: Member, language: str) -> bool:
    """Record the language ``member`` chose with the site's switcher (one of
    settings.LANGUAGES; anything else is ignored); True if it was recorded.

    Not audited, unlike the services above: it is the member's own choice of how the site
    and its emails read to them — like the cookie the switcher sets — not part of their
    membership record, and it decides nothing about them. Nor does it touch
    ``updated_at`` (the record itself did not change)."""
    code = offered(language)
    if not code:
        return False
    Member.objects.filter(pk=member.pk).update(preferred_language=code)
    member.preferred_language = code
    return True
