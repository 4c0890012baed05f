"""The member's language (issue 17.7; decision 0027, "Emails in the member's language"):
the footer switcher keeps a signed-in member's choice on their record, the record page
and the subject access export show it, erasure clears it, and the account activation
email is written in it."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from rankandfile.core.models import AuditEntry
from rankandfile.membership import accounts, services
from rankandfile.membership.language import in_language, language_of, offered
from rankandfile.membership.models import Member
from rankandfile.privacy import queries as privacy_queries
from rankandfile.privacy import services as privacy_services
from tests.conftest import Party
from tests.core.test_welsh import read_po
from tests.membership import factories as f

pytestmark = pytest.mark.django_db

CATALOGUE = read_po(Path(settings.LOCALE_PATHS[0]) / "cy" / "LC_MESSAGES" / "django.po")


def cy(msgid: str, form: int | None = None) -> str:
    """The Welsh for ``msgid`` (plural form ``form``), read from the catalogue (so a test
    cannot pass on an English fallback)."""
    welsh = CATALOGUE[msgid if form is None else (msgid, form)]
    assert welsh and welsh != msgid
    return welsh


def choose(client: Client, language: str, **extra: Any) -> Any:
    return client.post(
        reverse("set_language"), {"language": language, "next": "/ballots/"}, **extra
    )


def preference(member: Member) -> str:
    return Member.objects.get(pk=member.pk).preferred_language


# --- the switcher -------------------------------------------------------------------------------
def test_the_switcher_keeps_a_signed_in_members_choice(party: Party, client: Client) -> None:
    assert reverse("set_language") == "/i18n/setlang/"
    updated = Member.objects.get(pk=party.me.pk).updated_at
    client.force_login(party.member)
    response = choose(client, "cy")
    # Django's behaviour: the cookie, and back to the page the form was on.
    assert response.status_code == 302 and response["Location"] == "/ballots/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"
    assert preference(party.me) == "cy"
    # A preference, not a change to the membership record: no audit entry, no updated_at.
    assert Member.objects.get(pk=party.me.pk).updated_at == updated
    assert not AuditEntry.objects.filter(action__icontains="language").exists()
    # And back to English; a language the site does not offer changes nothing.
    choose(client, "en-gb")
    assert preference(party.me) == "en-gb"
    response = choose(client, "xx")
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies
    assert preference(party.me) == "en-gb"


def test_a_visitor_or_a_login_without_a_member_record_only_gets_the_cookie(
    party: Party, client: Client
) -> None:
    response = choose(client, "cy")
    assert response.status_code == 302 and response["Location"] == "/ballots/"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"
    client.force_login(party.no_roles)
    response = choose(client, "cy")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"
    assert set(Member.objects.values_list("preferred_language", flat=True)) == {""}


def test_the_switcher_keeps_djangos_checks(party: Party) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(party.member)
    assert choose(client, "cy").status_code == 403  # no CSRF token
    assert preference(party.me) == ""
    client = Client()
    client.force_login(party.member)
    # An unsafe next URL is not followed; a GET changes nothing.
    response = client.post(
        reverse("set_language"), {"language": "cy", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert preference(party.me) == "cy"
    Member.objects.filter(pk=party.me.pk).update(preferred_language="")
    response = client.get(reverse("set_language"), {"language": "cy"})
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies and preference(party.me) == ""


def test_the_footer_form_posts_to_the_wrapper_and_the_choice_holds_on_the_next_page(
    party: Party, client: Client
) -> None:
    client.force_login(party.member)
    assert 'action="/i18n/setlang/"' in client.get("/").content.decode()
    choose(client, "cy")
    assert '<html lang="cy">' in client.get("/").content.decode()


def test_the_service_takes_only_offered_languages(party: Party) -> None:
    assert services.member_set_language(member=party.me, language="en") is True
    assert preference(party.me) == "en-gb"  # the variant the site offers
    assert services.member_set_language(member=party.me, language="fr") is False
    assert services.member_set_language(member=party.me, language="") is False
    assert preference(party.me) == "en-gb"
    assert (offered("cy"), offered("de"), offered("")) == ("cy", "", "")


def test_the_record_page_shows_the_preference_in_words(party: Party, client: Client) -> None:
    client.force_login(party.member)
    url = reverse("membership:member_detail", args=[party.me.pk])
    page = client.get(url).content.decode()
    assert "Language for emails" in page and "No preference (emails in English)" in page
    services.member_set_language(member=party.me, language="cy")
    page = client.get(url).content.decode()
    assert re.search(r"Language for emails</dt><dd>Cymraeg</dd>", page)
    choose(client, "cy")
    page = client.get(url).content.decode()
    assert f"{cy('Language for emails')}</dt><dd>Cymraeg</dd>" in page


# --- the helper ---------------------------------------------------------------------------------
def test_in_language_uses_the_members_choice_else_the_default(party: Party) -> None:
    welsh = Member(preferred_language="cy")
    supporter = object()  # a supporter's contact has no preference at all
    with translation.override("cy"):  # what the thread had active does not leak in
        assert language_of(party.me) == settings.LANGUAGE_CODE
        assert language_of(supporter) == settings.LANGUAGE_CODE
        with in_language(party.me):
            assert translation.get_language() == settings.LANGUAGE_CODE
    assert language_of(Member(preferred_language="fr")) == settings.LANGUAGE_CODE
    with in_language(welsh):
        assert translation.get_language() == "cy"
    assert translation.get_language() == settings.LANGUAGE_CODE


# --- the activation email -----------------------------------------------------------------------
def test_the_activation_email_is_in_the_members_language(
    party: Party, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    nia = f.MemberFactory(
        first_name="Nia", email="nia@example.org", clp=party.northtown, preferred_language="cy"
    )
    nina = f.MemberFactory(first_name="Nina", email="nina@example.org", clp=party.northtown)
    translation.activate("cy")  # what the sending thread has active does not decide
    with django_capture_on_commit_callbacks(execute=True):
        accounts.invite_members(actor=party.clp_secretary, member_ids=[nia.pk, nina.pk])
    sent = {m.to[0]: m for m in mail.outbox}
    site = getattr(settings, "RANKANDFILE_SITE_NAME", "Rank and File")
    welsh, english = sent["nia@example.org"], sent["nina@example.org"]
    assert welsh.subject == cy("Activate your %(site_name)s account") % {"site_name": site}
    assert welsh.body.startswith(cy("Dear %(name)s,") % {"name": "Nia"})
    assert cy("To activate it, open this link and choose a password:") in welsh.body
    assert english.subject == f"Activate your {site} account"
    assert english.body.startswith("Dear Nina,")
    assert "To activate it, open this link and choose a password:" in english.body


def test_a_member_who_asks_in_welsh_gets_the_link_in_welsh(
    party: Party, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    """Asking for an activation link from the Welsh page (no login yet, so no switcher
    choice kept): the link comes in Welsh and Welsh becomes the member's preference; a
    member who asks in English keeps no preference and gets English."""
    nia = f.MemberFactory(first_name="Nia", email="nia@example.org", clp=party.northtown)
    nina = f.MemberFactory(first_name="Nina", email="nina@example.org", clp=party.northtown)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/account/activate/", {"identifier": "nia@example.org"})
    english = Client()
    with django_capture_on_commit_callbacks(execute=True):
        english.post("/account/activate/", {"identifier": "nina@example.org"})
    nia.refresh_from_db()
    nina.refresh_from_db()
    assert (nia.preferred_language, nina.preferred_language) == ("cy", "")
    sent = {m.to[0]: m for m in mail.outbox}
    site = getattr(settings, "RANKANDFILE_SITE_NAME", "Rank and File")
    assert sent["nia@example.org"].subject == cy("Activate your %(site_name)s account") % {
        "site_name": site
    }
    assert sent["nina@example.org"].subject == f"Activate your {site} account"


# --- personal data ------------------------------------------------------------------------------
def test_the_subject_access_export_shows_the_preference(party: Party, client: Client) -> None:
    assert privacy_queries.subject_data(party.me)["member"]["preferred_language"] == ""
    services.member_set_language(member=party.me, language="cy")
    client.force_login(party.member)
    data = json.loads(client.get("/account/my-data.json").content)
    assert data["member"]["preferred_language"] == "Cymraeg"
    html = render_to_string(
        "privacy/subject_pdf.html", {"d": privacy_queries.subject_data(party.me), "site_name": "RF"}
    )
    assert re.search(r"Language for emails</dt><dd>Cymraeg</dd>", html)


def test_erasure_clears_the_preference(party: Party) -> None:
    services.member_set_language(member=party.me, language="cy")
    services.member_lapse(
        actor=None,
        member=party.me,
        on=timezone.localdate() - dt.timedelta(days=1),
        reason="resigned",
    )
    privacy_services.member_erase(actor=party.national_admin, member=party.me, reason="SAR-1")
    assert preference(party.me) == ""
