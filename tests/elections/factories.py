"""Factories and helpers for election tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from rankandfile.core.models import User
from rankandfile.elections import services
from rankandfile.elections.models import Contest, MPAccount
from rankandfile.membership.models import MP
from tests.membership import factories as f


class MPAccountFactory(DjangoModelFactory[MPAccount]):
    class Meta:
        model = MPAccount

    mp = factory.SubFactory(f.MPFactory)
    user = factory.SubFactory(f.UserFactory)


def mp_logins(n: int) -> list[tuple[MP, User]]:
    out = []
    for _ in range(n):
        acc = MPAccountFactory()
        out.append((acc.mp, acc.user))
    return out


def open_contest(admin: User, **kwargs: Any) -> Contest:
    now = timezone.now()
    defaults: dict[str, Any] = {
        "title": "Leadership election",
        "office": "leader",
        "kind": "vacancy",
        "mp_nominations_close": now + dt.timedelta(days=2),
        "nominations_close": now + dt.timedelta(days=10),
    }
    defaults.update(kwargs)
    return services.contest_open(actor=admin, **defaults)


def close_mp_stage(contest: Contest) -> Contest:
    Contest.objects.filter(pk=contest.pk).update(
        mp_nominations_close=timezone.now() - dt.timedelta(minutes=1)
    )
    contest.refresh_from_db()
    return contest


def close_all(contest: Contest) -> Contest:
    past = timezone.now() - dt.timedelta(minutes=1)
    Contest.objects.filter(pk=contest.pk).update(mp_nominations_close=past, nominations_close=past)
    contest.refresh_from_db()
    return contest
