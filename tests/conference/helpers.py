"""Test helpers: bulk members, delegates checked in, a card vote ready to cast."""

from __future__ import annotations

import datetime as dt
from typing import Any

from rankandfile.conference.models import AgendaItem, Conference, Delegate, FloorSession
from rankandfile.conference.services import delegates, floor
from rankandfile.core.models import User
from rankandfile.membership.models import CLP, Gender, Member, Period
from tests.membership import factories as f

_counter = [0]


def add_members(clp: CLP, n: int, *, women: int = 0, young: int = 0) -> None:
    """``n`` members of ``clp`` since 2015 (the first ``women`` women, the next ``young``
    born in 2005), in two bulk inserts."""
    members = []
    for i in range(n):
        _counter[0] += 1
        members.append(
            Member(
                membership_number=f"B{_counter[0]:07d}",
                first_name="Bulk",
                last_name=f"Member{_counter[0]}",
                clp=clp,
                gender=Gender.WOMAN if i < women else Gender.MAN,
                date_of_birth=dt.date(2005, 1, 1)
                if women <= i < women + young
                else dt.date(1970, 1, 1),
            )
        )
    created = Member.objects.bulk_create(members)
    Period.objects.bulk_create(
        Period(member=m, kind=Period.Kind.MEMBERSHIP, start=dt.date(2015, 1, 1)) for m in created
    )


def delegate(
    conference: Conference,
    actor: User,
    clp: CLP,
    *,
    woman: bool = True,
    login: bool = True,
    checked_in: bool = True,
    kind: str = Delegate.Kind.GENERAL,
) -> Delegate:
    m = f.MemberFactory(
        clp=clp,
        gender=Gender.WOMAN if woman else Gender.MAN,
        date_of_birth=dt.date(1980, 1, 1),
        joined=dt.date(2015, 1, 1),
    )
    if login:
        f.member_user(m)
    d = delegates.delegate_register(
        kind=kind, actor=actor, conference=conference, member=m, meeting_date=dt.date(2026, 5, 1)
    )
    if checked_in:
        delegates.delegate_check_in(actor=actor, delegate=d)
    d.refresh_from_db()
    return d


def card_item(conference: Conference, actor: User, title: str = "Emergency motion") -> AgendaItem:
    session = FloorSession.objects.filter(conference=conference).first() or floor.session_create(
        actor=actor,
        conference=conference,
        title="Sunday afternoon",
        starts_at=dt.datetime(2026, 9, 27, 14, tzinfo=dt.UTC),
    )
    return floor.item_create(actor=actor, session=session, title=title)


_ = Any
