"""Reading the rule book in force (the only way other code gets rule parameters)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from rankandfile.conference.models import RuleBookVersion
from rankandfile.conference.rules import RuleParameters


def rule_book_in_force(*, on: dt.date | None = None) -> RuleBookVersion | None:
    """The rule-book version in force on ``on`` (default today), or None before the first."""
    day = on or timezone.localdate()
    return (
        RuleBookVersion.objects.filter(effective_from__lte=day).order_by("-effective_from").first()
    )


def parameters_in_force(*, on: dt.date | None = None) -> RuleParameters:
    """The rule parameters in force on ``on`` (default today).

    With no rule book stored yet, the defaults of :class:`RuleParameters` apply (the
    rules of docs/domain.md), so a fresh installation behaves sensibly.
    """
    version = rule_book_in_force(on=on)
    if version is None:
        return RuleParameters()
    return RuleParameters.from_json(version.parameters)
