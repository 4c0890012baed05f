"""The home-page card "My offices": each office the user holds, with a way to every tool
that office uses (issue 17.2). Listed first in ``rankandfile.home.PANELS``.

Links are URL names reversed here: membership imports no other app. Each page checks
its own permission; this card only saves the officer from hunting for it. No queries: the
roles come from the home page's context (``queries.home_for``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from rankandfile.core.home import HomePanel
from rankandfile.membership.models import Role


@dataclass(frozen=True)
class Tool:
    label: Any
    url: str


def _url(name: str, *args: Any) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:  # an app not installed: no link
        return None


def _tools(role: Role, staff: bool = False) -> list[Tool]:
    kind = role.kind
    wanted: list[tuple[Any, str | None]] = []
    if kind in Role.CLP_KINDS and role.clp is not None:
        wanted += [
            (
                _("Members of %(clp)s") % {"clp": role.clp.name},
                _url("membership:clp_members", role.clp.slug),
            ),
            (
                _("Invite members to activate accounts"),
                (_url("membership:clp_members", role.clp.slug) or "") + "#accounts",
            ),
            (_("Import the membership list"), _url("membership:member_import")),
        ]
    elif kind == Role.Kind.REGIONAL_OFFICER:
        wanted += [
            (
                _("Constituency parties in %(region)s") % {"region": role.region},
                _url("membership:clp_list"),
            ),
            (_("Import the membership list"), _url("membership:member_import")),
        ]
    elif kind == Role.Kind.NATIONAL_ADMIN:
        wanted += [
            (_("All constituency parties"), _url("membership:clp_list")),
            (_("Import the membership list"), _url("membership:member_import")),
            (_("Set up a conference"), _url("conference:new")),
            (_("Import MPs' Commons votes"), _url("accountability:import")),
        ]
        if staff:
            wanted.append((_("The Django admin"), _url("admin:index")))
    if kind in (*Role.CLP_KINDS, Role.Kind.REGIONAL_OFFICER, Role.Kind.NATIONAL_ADMIN):
        wanted += [
            (_("Ballots: set up, open, count"), _url("ballots:list")),
            (_("Conference: submit a motion or rule change"), _url("conference:index")),
            (_("Candidate selections"), _url("selections:index")),
            (_("Campaigns and events"), _url("campaigns:index")),
        ]
    elif kind == Role.Kind.AFFILIATE_OFFICER:
        wanted += [(_("Conference: submit a motion or rule change"), _url("conference:index"))]
    elif kind == Role.Kind.BRANCH_OFFICER:
        wanted += [
            (_("Candidate selections: your branch's nominations"), _url("selections:index")),
            (_("Campaigns and events"), _url("campaigns:index")),
        ]
    elif kind == Role.Kind.SCRUTINEER:
        wanted += [(_("Ballots to scrutinise: turnout, papers, recounts"), _url("ballots:list"))]
    elif kind == Role.Kind.CAC:
        wanted += [
            (
                _("Conference business: submissions, rulings, composites, the floor"),
                _url("conference:index"),
            ),
            (_("The rule book"), _url("conference:rule_book")),
        ]
    elif kind == Role.Kind.POLICY_OFFICER:
        wanted += [
            (_("MPs' records: link policies to divisions"), _url("accountability:index")),
            (_("The party programme"), _url("conference:programme")),
        ]
    return [Tool(label, url) for label, url in wanted if url]


def panel(user: Any, context: Mapping[str, Any]) -> HomePanel | None:
    """The user's offices and their tools (no queries: roles are in the context)."""
    roles = list(context.get("roles") or [])
    if not roles:
        return None
    return HomePanel(
        "membership/_home_offices.html",
        {
            "offices": [
                (role, _tools(role, bool(getattr(user, "is_staff", False)))) for role in roles
            ]
        },
    )
