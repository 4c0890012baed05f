"""Invitations and reminders in each elector's language (issue 17.7; decision 0027,
"Emails in the member's language"): a member who chose Welsh is written to in Welsh,
everyone else — members without a preference, supporters — in English, whatever language
the sending thread happened to have active."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import translation

from rankandfile.ballots import invitations
from rankandfile.ballots.models import Elector
from rankandfile.membership.models import Member
from tests.ballots.conftest import SinkHandler
from tests.ballots.factories import electors, open_ballot
from tests.ballots.test_invitations import invite, remind
from tests.conftest import Party
from tests.elections.test_supporters import (  # noqa: F401 - fixtures
    _contest,
    _open_ballot,
    _register,
    in_2016,
    rules,
)
from tests.membership.test_language import cy

pytestmark = pytest.mark.django_db


def test_invitations_and_reminders_follow_each_members_choice(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot(title="CLP chair")
    welsh, *english = electors(ballot)
    Member.objects.filter(pk=welsh.member.pk).update(preferred_language="cy")
    Member.objects.filter(pk=english[0].member.pk).update(preferred_language="en-gb")

    translation.activate("cy")  # a Welsh request queued it: the others still get English
    invite(django_capture_on_commit_callbacks, ballot)
    (to_welsh,) = smtp.to(welsh.member.email)
    assert to_welsh.subject == cy("Your ballot paper: %(title)s") % {"title": "CLP chair"}
    assert to_welsh.body.startswith(cy("Dear %(name)s,") % {"name": welsh.member.first_name})
    for elector in english:
        (delivered,) = smtp.to(elector.member.email)
        assert delivered.subject == "Your ballot paper: CLP chair"
        assert delivered.body.startswith(f"Dear {elector.member.first_name},")
        assert "personal and single-use" in delivered.body

    smtp.messages.clear()
    translation.activate("en-gb")  # and an English thread does not stop the Welsh
    remind(django_capture_on_commit_callbacks, ballot)
    (to_welsh,) = smtp.to(welsh.member.email)
    assert to_welsh.subject == cy("Reminder: vote in %(title)s") % {"title": "CLP chair"}
    for elector in english:
        (delivered,) = smtp.to(elector.member.email)
        assert delivered.subject == "Reminder: vote in CLP chair"


def test_a_supporter_is_written_to_in_the_default_language(
    party: Party,
    in_2016: None,  # noqa: F811
    settings: Any,
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    Member.objects.filter(pk=party.me.pk).update(preferred_language="cy")
    contest = _contest(party)
    _register(party, contest, 1)
    ballot = _open_ballot(party, contest)
    assert Elector.objects.filter(ballot=ballot, member=party.me).exists()
    invitations.ballot_invite(actor=party.national_admin, ballot=ballot)
    translation.activate("cy")
    invitations.deliver(ballot.pk, limit=1000)
    sent = {m.to[0]: m for m in mail.outbox}
    to_supporter = sent["supporter1@example.net"]
    assert to_supporter.body.startswith("Dear Supporter,")
    assert to_supporter.subject.startswith("Your ballot paper: ")
    to_member = sent[party.me.email]
    assert to_member.body.startswith(cy("Dear %(name)s,") % {"name": party.me.first_name})
