"""The upload page /members/import/: who may use it, the scope a CLP officer gets, the
report it shows, and the size limit."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from rankandfile.core.models import AuditEntry
from rankandfile.membership.models import Member
from tests.membership.factories import (
    CLPFactory,
    ConstituencyFactory,
    MemberFactory,
    clp_officer,
    member_user,
    national_admin,
)

pytestmark = pytest.mark.django_db

URL = "/members/import/"
HEADER = "membership_number,first_name,last_name,constituency,postcode,joined\n"


@pytest.fixture
def party() -> dict[str, Any]:
    return {
        "streatham": CLPFactory(
            constituency=ConstituencyFactory(name="Streatham", ons_code="E14000978"),
            name="Streatham CLP",
            slug="streatham",
        ),
        "stockport": CLPFactory(
            constituency=ConstituencyFactory(name="Stockport", ons_code="E14000969"),
            name="Stockport CLP",
            slug="stockport",
        ),
    }


def upload(text: str, name: str = "members.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def post(client: Client, text: str, **data: Any) -> Any:
    return client.post(URL, {"file": upload(text), **data})


MIXED = (
    HEADER
    + "S1,Ada,Lovelace,Streatham,SW2 1AA,2015-01-01\n"
    + "S2,Mary,Barbour,Streatham,SW2 1AB,2016-01-01\n"
    + "K1,Keir,Hardie,Stockport,SK1 3XE,2010-01-01\n"
)


def test_the_url_is_named() -> None:
    assert reverse("membership:member_import") == URL


def test_anonymous_is_sent_to_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_a_plain_member_is_refused(client: Client, party: dict[str, Any]) -> None:
    client.force_login(member_user(clp=party["streatham"]))
    assert client.get(URL).status_code == 403
    assert post(client, MIXED, clp=party["streatham"].pk, dry_run="").status_code == 403
    assert not Member.objects.filter(membership_number="S1").exists()


def test_clp_secretary_sees_only_their_clp(client: Client, party: dict[str, Any]) -> None:
    client.force_login(clp_officer(party["streatham"]))
    response = client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Streatham CLP" in page
    assert "Stockport CLP" not in page
    assert "The whole party" not in page
    assert re.search(r'<input type="checkbox" name="dry_run"[^>]* checked', page)  # safe default


def test_clp_secretary_imports_their_rows_and_other_clps_rows_are_rejected(
    client: Client, party: dict[str, Any]
) -> None:
    streatham = party["streatham"]
    secretary = clp_officer(streatham)
    client.force_login(secretary)

    response = post(client, MIXED, clp=streatham.pk, skip_invalid="on")

    assert response.status_code == 200
    page = response.content.decode()
    assert "Imported. 3 rows: 2 created, 0 updated, 0 unchanged, 1 rejected." in page
    assert '<td class="num">4</td><td>K1</td>' in page
    assert "Stockport CLP is not Streatham CLP" in page
    assert set(Member.objects.values_list("membership_number", flat=True)) == {"S1", "S2"}
    entry = AuditEntry.objects.exclude(action__startswith="core.mfa.").get()
    assert (entry.actor, entry.action, entry.channel) == (secretary, "membership.import", "web")


def test_without_skip_invalid_a_bad_row_rejects_the_upload(
    client: Client, party: dict[str, Any]
) -> None:
    client.force_login(clp_officer(party["streatham"]))
    page = post(client, MIXED, clp=party["streatham"].pk).content.decode()
    assert "Not imported" in page
    assert "nothing was imported because 1 row could not be imported" in page
    assert Member.objects.count() == 0


def test_clp_secretary_cannot_choose_another_clp(client: Client, party: dict[str, Any]) -> None:
    client.force_login(clp_officer(party["streatham"]))
    response = post(client, MIXED, clp=party["stockport"].pk)
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert Member.objects.count() == 0


def test_clp_secretary_must_choose_a_clp(client: Client, party: dict[str, Any]) -> None:
    client.force_login(clp_officer(party["streatham"]))
    assert post(client, MIXED).status_code == 400
    assert Member.objects.count() == 0


def test_clp_secretary_cannot_overwrite_another_clps_member(
    client: Client, party: dict[str, Any]
) -> None:
    MemberFactory(membership_number="K1", clp=party["stockport"], first_name="Keir")
    client.force_login(clp_officer(party["streatham"]))
    text = HEADER + "K1,Mallory,Impostor,Streatham,SW2 1AA,2015-01-01\n"
    page = post(client, text, clp=party["streatham"].pk).content.decode()
    assert "K1 belongs to a member of Stockport CLP" in page
    assert Member.objects.get(membership_number="K1").first_name == "Keir"


def test_national_admin_imports_the_whole_party(client: Client, party: dict[str, Any]) -> None:
    client.force_login(national_admin())
    page = client.get(URL).content.decode()
    assert "The whole party" in page and "Stockport CLP" in page

    response = post(client, MIXED, clp="")

    assert "Imported. 3 rows: 3 created" in response.content.decode()
    assert Member.objects.count() == 3
    assert AuditEntry.objects.exclude(action__startswith="core.mfa.").get().data["scope"] == "party"


def test_dry_run_shows_what_would_happen(client: Client, party: dict[str, Any]) -> None:
    client.force_login(national_admin())
    page = post(client, MIXED, clp="", dry_run="on").content.decode()
    assert "Dry run: nothing was written. The file would give 3 rows: 3 created" in page
    assert "Would be created" in page
    assert Member.objects.count() == 0


def test_an_unusable_file_says_why(client: Client, party: dict[str, Any]) -> None:
    client.force_login(national_admin())
    response = client.post(
        URL, {"file": SimpleUploadedFile("m.xlsx", b"PK\x03\x04rest"), "clp": ""}
    )
    assert response.status_code == 400
    assert "Nothing was imported: this is a spreadsheet workbook" in response.content.decode()


def test_a_file_over_the_size_limit_is_refused_with_a_clear_message(
    client: Client, party: dict[str, Any], settings: Any
) -> None:
    settings.MEMBERSHIP_IMPORT_MAX_UPLOAD_BYTES = 100
    client.force_login(national_admin())
    response = post(client, MIXED, clp="")
    assert response.status_code == 400
    page = response.content.decode()
    assert "the upload limit is 100\xa0bytes" in page
    assert "rankandfile membership_import FILE.csv" in page
    assert Member.objects.count() == 0


def test_the_page_lists_at_most_500_rejected_rows(client: Client, party: dict[str, Any]) -> None:
    client.force_login(national_admin())
    text = HEADER + "".join(f"B{n},Bad,Row,Atlantis,,2015-01-01\n" for n in range(510))
    page = post(client, text, clp="").content.decode()
    assert "Showing the first 500 of 510" in page
    assert page.count("is not a known constituency") == 500
