"""The member's account journey in Welsh (issue 17.7, docs/decisions/0027-welsh.md): sign-in,
password reset (request, email, new password, done), password change, sign-out, the home
page's cards, the account page, the member's own record and their personal data — each page
fetched with the ``django_language`` cookie set to Welsh, and in English without it.

django-allauth ships no Welsh catalogue: the journey's templates are ours
(``templates/account/``), and the words allauth's forms print are in our catalogue
(``core.auth.ALLAUTH_WORDS``), so these pages show no English."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.template.loader import render_to_string
from django.test import Client
from django.utils import translation

from rankandfile.privacy import queries
from tests.conftest import PASSWORD, Party

pytestmark = pytest.mark.django_db


def in_welsh(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "cy"
    return client


def text(response: object) -> str:
    return response.content.decode().replace("&#x27;", "'")  # type: ignore[attr-defined]


def test_sign_in_in_welsh_with_allauths_words_and_refusal(party: Party, client: Client) -> None:
    english = text(client.get("/accounts/login/"))
    assert "Password" in english and "Cyfrinair" not in english
    in_welsh(client)
    page = text(client.get("/accounts/login/"))
    assert "Cyfrinair" in page and "Wedi anghofio'ch cyfrinair?" in page
    assert ">Password<" not in page
    refused = text(
        client.post("/accounts/login/", {"login": "member@example.org", "password": "wrong"})
    )
    assert "Nid yw'r cyfeiriad e-bost a/neu'r cyfrinair a roesoch yn gywir." in refused


def test_password_reset_in_welsh_following_the_emailed_link(party: Party, client: Client) -> None:
    in_welsh(client)
    ask = text(client.get("/accounts/password/reset/"))
    assert "Ailosod eich cyfrinair" in ask and "Anfon y ddolen" in ask
    assert "Password Reset" not in ask
    sent = client.post("/accounts/password/reset/", {"email": "member@example.org"}, follow=True)
    assert "Gwiriwch eich e-bost" in text(sent)
    message = mail.outbox[-1]
    assert "Ailosod eich cyfrinair" in message.subject
    assert "I ddewis cyfrinair newydd, agorwch y ddolen hon:" in message.body
    assert "Helo gan" in message.body and "You are receiving" not in message.body
    path = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body)
    assert path, message.body
    form = client.get(path.group(1), follow=True)
    page = text(form)
    assert "Dewiswch gyfrinair newydd" in page
    assert "Cyfrinair newydd (eto)" in page and "Newid cyfrinair" in page
    set_url = form.redirect_chain[-1][0]
    mismatch = text(client.post(set_url, {"password1": "a long passphrase", "password2": "other"}))
    assert "Rhaid i chi deipio'r un cyfrinair bob tro." in mismatch
    done = client.post(
        set_url,
        {"password1": "a new and long passphrase", "password2": "a new and long passphrase"},
        follow=True,
    )
    assert "Mae eich cyfrinair wedi'i newid." in text(done)
    used = text(client.get(path.group(1), follow=True))
    assert "Nid yw'r ddolen hon yn gweithio" in used


def test_password_reset_email_stays_english_for_an_english_reader(
    party: Party, client: Client
) -> None:
    client.post("/accounts/password/reset/", {"email": "member@example.org"})
    message = mail.outbox[-1]
    assert "Reset your password" in message.subject
    assert "To choose a new password, open this link:" in message.body


def test_password_change_and_sign_out_in_welsh(party: Party, client: Client) -> None:
    in_welsh(client)
    client.force_login(party.member)
    page = text(client.get("/accounts/password/change/"))
    assert "Newid cyfrinair" in page and "Cyfrinair presennol" in page
    refused = text(
        client.post(
            "/accounts/password/change/",
            {"oldpassword": "", "password1": "x", "password2": "x"},
        )
    )
    assert "Newid cyfrinair" in refused
    changed = client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "fresh long passphrase",
            "password2": "fresh long passphrase",
        },
        follow=True,
    )
    assert "Newidiwyd y cyfrinair yn llwyddiannus." in text(changed)
    leave = text(client.get("/accounts/logout/"))
    assert "Ydych chi'n siŵr eich bod am allgofnodi?" in leave and "Allgofnodi" in leave
    gone = client.post("/accounts/logout/", follow=True)
    assert "Rydych wedi allgofnodi." in text(gone)


def test_the_members_own_pages_in_welsh(party: Party, client: Client) -> None:
    client.force_login(party.member)
    assert "My membership" in text(client.get("/"))
    in_welsh(client)
    home = text(client.get("/"))
    assert "Fy aelodaeth" in home and "Fy nghangen" in home and "Fy AS" in home
    assert "My membership" not in home
    assert "Aelod mewn statws da" in home  # the standing, worded in the reader's language
    account = text(client.get("/account/"))
    assert "Wedi mewngofnodi fel" in account and "Tocynnau API personol" in account
    assert "Enw'r tocyn" in account and "Creu tocyn" in account
    made = text(
        client.post("/account/", {"name": "taenlen", "scopes": ["read"], "lifetime_days": 30})
    )
    assert "Crëwyd y tocyn “taenlen”." in made or "Eich tocyn newydd “taenlen”" in made
    data = text(client.get("/account/my-data/"))
    assert "Eich data personol" in data and "Lawrlwytho fel PDF" in data
    record = text(client.get(f"/members/{party.me.pk}/"))
    assert "Hanes aelodaeth" in record and "Rhif aelodaeth" in record
    assert "Aelodaeth" in record and "Membership<" not in record  # the history's kinds


def test_the_personal_data_export_reads_in_welsh(party: Party) -> None:
    data = queries.subject_data(party.me)
    with translation.override("cy"):
        page = render_to_string("privacy/subject_pdf.html", {"d": data, "site_name": "R&F"})
    assert '<html lang="cy">' in page
    assert "Data personol a gedwir amdanoch" in page and "Eich cofnod aelodaeth" in page
    assert "Personal data held about you" not in page
