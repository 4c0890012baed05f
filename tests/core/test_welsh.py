"""Welsh (docs/decisions/0027-welsh.md): the committed catalogue is compiled from the .po,
the language switcher works, and the members' journeys — voting, the petition, account
activation, an MP's record — read in Welsh when chosen, English otherwise."""

from __future__ import annotations

import ast
import gettext
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from rankandfile.ballots.models import Ballot
from rankandfile.campaigns.models import Campaign
from rankandfile.membership import accounts
from rankandfile.membership.models import AccountInvitation
from tests.accountability.test_views import voted  # noqa: F401 - a fixture
from tests.ballots.test_views import make_ballot
from tests.campaigns.conftest import campaign  # noqa: F401 - a fixture
from tests.conftest import Party
from tests.membership import factories as f

LOCALE = Path(settings.LOCALE_PATHS[0]) / "cy" / "LC_MESSAGES"


# --- the catalogue ------------------------------------------------------------------------
def read_po(path: Path) -> dict[str | tuple[str, int], str]:
    """A small .po reader: msgid (or (msgid, n) for plural forms) -> msgstr, translated
    entries only, fuzzy ones skipped (as msgfmt does). A message with a context
    (``msgctxt``) is keyed as gettext keys it: ``context + "\x04" + msgid``."""
    out: dict[str | tuple[str, int], str] = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        if re.search(r"^#,.*\bfuzzy\b", block, re.MULTILINE):
            continue
        fields: dict[str, str] = {}
        key = ""
        for line in block.splitlines():
            found = re.match(r'(msgid|msgid_plural|msgctxt|msgstr(?:\[\d+\])?) (".*")$', line)
            if found:
                key = found[1]
                fields[key] = ast.literal_eval(found[2])
            elif line.startswith('"') and key:
                fields[key] += ast.literal_eval(line)
        msgid = fields.get("msgid")
        if not msgid:
            continue  # the header
        if "msgctxt" in fields:
            msgid = fields["msgctxt"] + "\x04" + msgid
        for name, value in fields.items():
            if not value:
                continue
            if name == "msgstr":
                out[msgid] = value
            elif name.startswith("msgstr["):
                out[(msgid, int(name[7:-1]))] = value
    return out


def test_the_compiled_catalogue_matches_the_po() -> None:
    """django.mo is committed (no GNU gettext needed at run time): it must be compiled from
    the current django.po — `make messages` after changing either."""
    po = read_po(LOCALE / "django.po")
    with (LOCALE / "django.mo").open("rb") as fh:
        mo = gettext.GNUTranslations(fh)
    catalog: dict[Any, str] = {
        k: v
        for k, v in mo._catalog.items()  # type: ignore[attr-defined]
        if k != ""
    }
    flat = {
        (k if isinstance(k, str) else (k[0].split("\x00")[0], k[1])): v for k, v in catalog.items()
    }
    assert flat == po
    assert len(po) > 200


def test_every_translation_keeps_its_placeholders() -> None:
    """A Welsh string with a missing or misspelt %(name)s would crash or mislead."""
    po = read_po(LOCALE / "django.po")
    pattern = re.compile(r"%\(\w+\)s|\{\w+\}")
    for key, text in po.items():
        msgid = key if isinstance(key, str) else key[0]
        expected = set(pattern.findall(msgid))
        got = set(pattern.findall(text))
        if isinstance(key, tuple) and key[1] == 0:
            # The singular may write the count as a word ("one"), as English does.
            got |= {"%(counter)s"} & expected
        assert got <= expected | {"%(counter)s", "%(n)s", "%(seats)s"}, (msgid, text)
        assert expected - {"%(counter)s"} <= got, (msgid, text)


# --- the journeys' templates carry no bare English ------------------------------------------
JOURNEY_TEMPLATES = (
    "templates/base.html",
    "templates/account/login.html",
    "templates/account/password_reset.html",
    "templates/account/password_reset_done.html",
    "templates/account/password_reset_from_key.html",
    "templates/account/password_reset_from_key_done.html",
    "templates/account/password_change.html",
    "templates/account/logout.html",
    "templates/account/snippets/already_logged_in.html",
    "templates/account/email/base_message.txt",
    "templates/account/email/password_reset_key_subject.txt",
    "templates/account/email/password_reset_key_message.txt",
    "templates/account/messages/logged_in.txt",
    "templates/account/messages/logged_out.txt",
    "templates/account/messages/password_changed.txt",
    "core/templates/core/home.html",
    "membership/templates/membership/member_detail.html",
    "privacy/templates/privacy/my_data.html",
    "membership/templates/membership/activate.html",
    "membership/templates/membership/activation_request.html",
    "membership/templates/membership/activation_requested.html",
    "membership/templates/membership/activation_expired.html",
    "ballots/templates/ballots/vote.html",
    "ballots/templates/ballots/confirm.html",
    "ballots/templates/ballots/receipt.html",
    "ballots/templates/ballots/_ballot_head.html",
    "ballots/templates/ballots/_error_summary.html",
    "campaigns/templates/campaigns/detail.html",
    "campaigns/templates/campaigns/signed.html",
    "campaigns/templates/campaigns/confirm.html",
    "campaigns/templates/campaigns/confirmed.html",
    "campaigns/templates/campaigns/_errors.html",
    "campaigns/templates/campaigns/_progress.html",
    "campaigns/templates/campaigns/_share.html",
    "accountability/templates/accountability/mp.html",
)
# Names, the same in Welsh.
PROPER_NAMES = {"API", "WhatsApp", "Facebook", "Public", "Whip"}


def bare_words(source: str) -> list[str]:
    """Words of the template outside translation tags, variables, comments and markup."""
    text = re.sub(
        r"\{%\s*(blocktranslate|blocktrans)\b.*?\{%\s*end\1\s*%\}", " ", source, flags=re.S
    )
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", text, flags=re.S)
    text = re.sub(r"<[^>]*>", " ", text, flags=re.S)
    return [w for w in re.findall(r"[A-Za-z][A-Za-z']+", text) if w not in PROPER_NAMES]


@pytest.mark.parametrize("name", JOURNEY_TEMPLATES)
def test_the_journeys_templates_have_no_untranslated_text(name: str) -> None:
    source = (Path(settings.BASE_DIR) / name).read_text(encoding="utf-8")
    assert "{% load" in source and "i18n" in source
    assert bare_words(source) == []


def test_the_check_finds_bare_text() -> None:
    assert bare_words('{% load i18n %}<p title="x">Hello {{ name }}</p>') == ["Hello"]
    assert (
        bare_words('<p>{% translate "Hello" %} {% blocktranslate %}Hi{% endblocktranslate %}</p>')
        == []
    )


# --- the switcher and the journeys ----------------------------------------------------------
def welsh(client: Client) -> Client:
    """Choose Welsh as a visitor does: the footer's form, posted to set_language."""
    response = client.post(reverse("set_language"), {"language": "cy", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "cy"
    return client


def test_english_is_the_default_and_the_switcher_is_on_every_page(client: Client) -> None:
    page = client.get("/").content.decode()
    assert '<html lang="en-GB">' in page
    assert 'action="/i18n/setlang/"' in page and "Change language" in page
    assert '<option value="cy" lang="cy">Cymraeg</option>' in page
    welsh(client)
    page = client.get("/").content.decode()
    assert '<html lang="cy">' in page and "Newid iaith" in page
    # And back.
    client.post(reverse("set_language"), {"language": "en-gb", "next": "/"})
    assert "Change language" in client.get("/").content.decode()


@pytest.mark.django_db
def test_the_voting_journey_in_welsh(party: Party, client: Client) -> None:
    ballot: Ballot = make_ballot(party)
    client.force_login(party.member)
    url = f"/ballots/{ballot.pk}/vote/"
    english = client.get(url).content.decode()
    assert "Number the candidates in order of preference" in english
    welsh(client)
    page = client.get(url).content.decode()
    assert "Rhifwch yr ymgeiswyr yn nhrefn eich dewis" in page
    assert "Ymlaen i wirio fy mhleidlais" in page
    assert "Fy mhleidleisiau" in page  # the breadcrumb
    assert "Number the candidates" not in page
    # The form's messages: a gap in the numbering.
    bad = client.post(url, {"action": "review", "pref_1": "1", "pref_2": "3"}).content.decode()
    assert "Mae bwlch: dim dewis 2 ond mae 3." in bad
    check = client.post(url, {"action": "review", "pref_1": "1", "pref_2": "2"}).content.decode()
    assert "Gwiriwch eich pleidlais" in check and "Bwrw fy mhleidlais" in check
    receipt = client.post(
        url, {"action": "cast", "pref_1": "1", "pref_2": "2"}, follow=True
    ).content.decode()
    assert (
        "Mae eich pleidlais wedi&#x27;i bwrw" in receipt
        or "Mae eich pleidlais wedi'i bwrw" in receipt
    )
    assert "Eich cod olrhain" in receipt


@pytest.mark.django_db
def test_the_petition_in_welsh(client: Client, campaign: Campaign) -> None:  # noqa: F811
    url = f"/campaigns/{campaign.slug}/"
    assert "Sign the petition" in client.get(url).content.decode()
    welsh(client)
    page = client.get(url).content.decode()
    assert "Llofnodwch y ddeiseb" in page
    assert "Enw cyntaf" in page and "Cod post" in page
    assert "Sign the petition" not in page
    refused = client.post(f"{url}sign/", {"first_name": "", "website": ""}).content.decode()
    assert "Rhowch eich enw cyntaf." in refused


@pytest.mark.django_db
def test_activation_in_welsh(party: Party, client: Client) -> None:
    newcomer = f.MemberFactory(first_name="Nia", email="nia@example.org", clp=party.northtown)
    AccountInvitation.objects.create(
        member=newcomer,
        token_digest=accounts.token_digest("s3cret-welsh"),
        expires_at=timezone.now() + timezone.timedelta(days=1),
    )
    url = "/account/activate/s3cret-welsh/"
    assert "Activate your account" in client.get(url).content.decode()
    welsh(client)
    page = client.get(url).content.decode()
    assert "Actifadu eich cyfrif" in page and "Croeso, Nia" in page
    assert "Actifadu fy nghyfrif" in page
    login = client.get(reverse("account_login")).content.decode()
    assert "Mewngofnodi" in login and "Yn aelod heb gyfrif eto?" in login


@pytest.mark.django_db
def test_an_mp_record_in_welsh(client: Client, party: Party, voted: Any) -> None:  # noqa: F811
    url = reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    assert "consistently voted against" in client.get(url).content.decode()
    welsh(client)
    page = client.get(url).content.decode()
    assert "Polisïau" in page
    assert f"Mae {party.mp.name} wedi pleidleisio&#x27;n gyson yn erbyn" in page
    summary = re.search(r'<ul class="vote-summary">(.*?)</ul>', page, re.S)
    assert summary is not None and "consistently voted against" not in summary[1]
