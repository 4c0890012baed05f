"""Helpers shared by the conference's services (the clock, the CAC check, times in messages)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext

from rankandfile.conference import permissions
from rankandfile.core.errors import PermissionDenied
from rankandfile.core.models import User
from rankandfile.membership.eligibility import format_date


def clock(now: dt.datetime | None) -> dt.datetime:
    return now or timezone.now()


def require_manager(actor: User) -> None:
    if not permissions.can_manage_conference(actor):
        raise PermissionDenied(gettext("only the conference arrangements committee may do this"))


def time_text(t: dt.datetime) -> str:
    local = timezone.localtime(t)
    return gettext("%(time)s on %(date)s") % {
        "time": f"{local:%H:%M}",
        "date": format_date(local.date()),
    }
