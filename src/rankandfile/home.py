"""The member's home page: the membership card (``membership.queries.home_for``) and
the cards each app adds, in this order.

It sits above every app (import-linter's app-order contract), so it imports each app's
``home.panel`` directly: adding an app's card is one line in :data:`PANELS`. A panel is
``panel(user, context) -> core.home.HomePanel | None`` and costs a fixed number of
queries (the page's query count is pinned by tests).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from rankandfile.accountability import home as accountability_home
from rankandfile.ballots import home as ballots_home
from rankandfile.campaigns import home as campaigns_home
from rankandfile.conference import home as conference_home
from rankandfile.core.home import HomePanel
from rankandfile.elections import home as elections_home
from rankandfile.meetings import home as meetings_home
from rankandfile.membership import home as membership_home
from rankandfile.membership import queries as membership_queries
from rankandfile.selections import home as selections_home

Panel = Callable[[Any, Mapping[str, Any]], HomePanel | None]

PANELS: tuple[Panel, ...] = (
    membership_home.panel,
    ballots_home.panel,
    conference_home.panel,
    accountability_home.panel,
    selections_home.panel,
    campaigns_home.panel,
    meetings_home.panel,
    elections_home.panel,
)


def panels_for(user: Any, context: Mapping[str, Any]) -> list[HomePanel]:
    return [panel for make in PANELS if (panel := make(user, context)) is not None]


def home(request: HttpRequest) -> HttpResponse:
    """A member's home: my offices with their tools, my record, branch, CLP and MP, then
    every app's card. Visitors who are not signed in see the public home page instead."""
    if not request.user.is_authenticated:
        return render(request, "core/public_home.html", {"nav": "home"})
    context = membership_queries.home_for(request.user)
    context["panels"] = panels_for(request.user, context)
    return render(request, "core/home.html", {"nav": "home", **context})
