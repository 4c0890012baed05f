"""The alert digest in each member's language (issue 17.7; decision 0027, "Emails in the
member's language")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.utils import translation

from rankandfile.accountability import importer, services
from rankandfile.accountability.models import AlertPreference
from rankandfile.membership.models import Member
from tests.accountability.conftest import division_json, member_entry, write_json
from tests.accountability.test_views import _link
from tests.membership.test_language import cy

pytestmark = pytest.mark.django_db

SUBJECT = "How %(mp_name)s voted: %(count)s vote against party policy"
OPENING = "You asked to hear when your MP votes against the party's policy in the House of Commons."


def test_the_digest_in_each_members_language(
    party: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    Member.objects.filter(pk=party.me.pk).update(preferred_language="cy")
    AlertPreference.objects.create(member=party.me, enabled=True)
    AlertPreference.objects.create(member=party.neighbour, enabled=True)  # also Northtown
    d = division_json(9201, noes=[member_entry(party.mp)])
    with django_capture_on_commit_callbacks(execute=True):
        importer.import_paths(actor=None, paths=[write_json(tmp_path, "a.json", d)])
        policy = services.policy_create(actor=None, title="Rail in public hands")
    mail.outbox.clear()
    translation.activate("cy")  # the sending thread's language does not decide
    with django_capture_on_commit_callbacks(execute=True):
        _link(policy, 9201)  # Aye supports; Northtown's MP voted No
    sent = {m.to[0]: m for m in mail.outbox}
    welsh, english = sent[party.me.email], sent[party.neighbour.email]
    names = {"mp_name": party.mp.name, "count": 1}
    assert welsh.subject == cy(SUBJECT, 0) % names
    assert cy(OPENING) in welsh.body and OPENING not in welsh.body
    assert english.subject == SUBJECT % names
    assert OPENING in english.body
    assert english.body.startswith(f"Dear {party.neighbour.first_name},")
