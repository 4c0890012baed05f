"""Meeting notices and officers' messages in each member's language (issue 17.7;
decision 0027, "Emails in the member's language")."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from rankandfile.meetings import services
from rankandfile.membership.models import Member
from tests.conftest import Party
from tests.meetings.conftest import schedule
from tests.membership.test_language import cy

pytestmark = pytest.mark.django_db


def sent() -> dict[str, mail.EmailMessage]:
    return {m.to[0]: m for m in mail.outbox}


def test_a_meeting_notice_in_each_members_language(p: Party) -> None:
    Member.objects.filter(pk=p.me.pk).update(preferred_language="cy")
    translation.activate("cy")  # the sending thread's language does not decide
    schedule(p.branch_officer, branch=p.riverside, agenda=("Apologies",))
    welsh, english = sent()["mary@example.org"], sent()["bert@example.org"]
    title = welsh.subject.split(": ", 1)[1]
    assert welsh.subject == cy("Notice of meeting: %(title)s") % {"title": title}
    assert english.subject == f"Notice of meeting: {title}"
    assert welsh.body.startswith(cy("Dear %(name)s,") % {"name": "Mary"})
    assert english.body.startswith("Dear Bert,")


def test_an_officers_message_in_each_members_language(p: Party) -> None:
    Member.objects.filter(pk=p.me.pk).update(preferred_language="cy")
    msg = services.message_send(
        clp=p.northtown,
        actor=p.clp_secretary,
        audience="everyone",
        subject="Canvassing on Saturday",
        body="Dear {first_name}, join us.",
    )
    welsh, english = sent()["mary@example.org"], sent()["bert@example.org"]
    # The officer's words are theirs; what the site adds is in the member's language.
    assert welsh.subject == english.subject == "Canvassing on Saturday"
    assert welsh.body.startswith("Dear Mary, join us.")
    assert cy("Sent by the officers of %(unit)s.") % {"unit": msg.unit_name} in welsh.body
    assert f"Sent by the officers of {msg.unit_name}." in english.body
