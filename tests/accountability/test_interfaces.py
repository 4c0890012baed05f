"""Interfaces (issue 15.5; issue 17.2's MP search): public reads through the API without a
token, policies and links created through the API (write scope, policy officers) and the
commands as well as the pages, and the MP page's summary, evidence and party comparison."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from rankandfile.accountability import importer, services
from rankandfile.accountability.models import Division, Policy, PolicyDivision, Score
from rankandfile.core.models import AuditEntry
from rankandfile.membership.models import Role
from tests.accountability.conftest import division_json, member_entry, write_json
from tests.conftest import issue_token
from tests.membership import factories as f

pytestmark = pytest.mark.django_db

API = "/api/v1/accountability"
JUSTIFICATION = "The motion would bring water back into public ownership."


@pytest.fixture
def officer(party: Any) -> Any:
    user = f.UserFactory(email="policy@example.org")
    f.RoleFactory(user=user, kind=Role.Kind.POLICY_OFFICER)
    return user


@pytest.fixture
def voted(party: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any) -> Policy:
    """Northtown's MP (Ada Lovelace) voted No twice, Easton's (Edna Easton) Aye twice, and
    Southport's (Sid Southport) Aye then No. Aye supports the policy."""
    easton = f.MPFactory(name="Edna Easton", constituency=party.easton.constituency)
    south = f.MPFactory(name="Sid Southport", constituency=party.southport.constituency)
    one = division_json(
        9301,
        date="2026-11-02",
        ayes=[member_entry(easton), member_entry(south)],
        noes=[member_entry(party.mp)],
    )
    two = division_json(
        9302,
        date="2026-11-09",
        ayes=[member_entry(easton)],
        noes=[member_entry(party.mp), member_entry(south)],
    )
    with django_capture_on_commit_callbacks(execute=True):
        importer.import_paths(actor=None, paths=[write_json(tmp_path, "d.json", [one, two])])
        policy = services.policy_create(actor=None, title="Public ownership of water")
        for division_id in (9301, 9302):
            services.link_save(
                actor=None,
                policy=policy,
                division=Division.objects.get(division_id=division_id),
                aye_supports=True,
                strength="strong",
                justification=JUSTIFICATION,
            )
    return policy


# --- Public reads -----------------------------------------------------------------------
def test_public_reads_need_no_token(client: Client, party: Any, voted: Policy) -> None:
    mp = party.mp.mnis_id
    card = client.get(f"{API}/mps/{mp}")
    assert card.status_code == 200, card.content
    (line,) = card.json()["scores"]
    assert line["summary"] == "consistently voted against Public ownership of water"
    assert line["policy_slug"] == voted.slug and line["agreement"] == 0.0
    # Compared with the party: Easton 0.0 and Southport 0.5 → mean distance 0.25.
    assert line["party"] == "Labour" and line["party_agreement"] == pytest.approx(0.75)
    assert line["party_wording"] == "generally voted for"
    assert line["all_votes_wording"] == line["wording"]
    evidence = client.get(f"{API}/mps/{mp}/policies/{voted.slug}")
    assert evidence.status_code == 200
    assert [(e["division_id"], e["supports"], e["vote"]) for e in evidence.json()["evidence"]] == [
        (9301, "Aye", "No"),
        (9302, "Aye", "No"),
    ]
    assert client.get(f"{API}/policies").json()[0]["links"][0]["justification"] == JUSTIFICATION
    assert client.get(f"{API}/policies/{voted.slug}").json()["title"] == voted.title
    found = client.get(f"{API}/mps", {"q": "easton"}).json()
    assert [m["name"] for m in found] == ["Edna Easton"]
    # Not found is 404 as before; a bad query 422.
    assert client.get(f"{API}/mps/999999999").status_code == 404
    assert client.get(f"{API}/policies/no-such-policy").status_code == 404
    assert client.get(f"{API}/mps", {"q": ""}).status_code == 422


def test_public_reads_are_documented_without_security(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    for path in (f"{API}/mps/{{mnis_id}}", f"{API}/policies", f"{API}/mps"):
        get = schema["paths"][path]["get"]
        assert not get.get("security") and "401" not in get["responses"]
    post = schema["paths"][f"{API}/policies"]["post"]
    assert post["security"] and {"201", "400", "401", "403", "422"} <= set(post["responses"])


# --- Writes through the API -------------------------------------------------------------
def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def post(client: Client, path: str, body: dict[str, Any], token: str | None = None) -> Any:
    headers = bearer(token) if token else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_policy_officers_create_policies_and_links_through_the_api(
    client: Client, party: Any, officer: Any, voted: Policy, django_capture_on_commit_callbacks: Any
) -> None:
    token = issue_token(officer)
    created = post(client, f"{API}/policies", {"title": "Rail in public hands"}, token)
    assert created.status_code == 201, created.content
    slug = created.json()["slug"]
    assert Policy.objects.filter(slug=slug, title="Rail in public hands").exists()
    assert AuditEntry.objects.filter(action="accountability.policy_create").exists()
    with django_capture_on_commit_callbacks(execute=True):
        linked = post(
            client,
            f"{API}/policies/{slug}/links",
            {
                "division_id": 9301,
                "supports": "no",
                "strength": "strong",
                "justification": JUSTIFICATION,
            },
            token,
        )
    assert linked.status_code == 200, linked.content
    assert linked.json()["supports"] == "No"
    # Scores recompute: Ada Lovelace voted No, which supports this policy.
    score = Score.objects.get(mp=party.mp, policy__slug=slug)
    assert score.wording == "consistently voted for"
    # Refusals, each with nothing written.
    before = PolicyDivision.objects.count()
    bad_division = {
        "division_id": 1,
        "supports": "aye",
        "strength": "strong",
        "justification": JUSTIFICATION,
    }
    assert post(client, f"{API}/policies/{slug}/links", bad_division, token).status_code == 404
    short = {
        "division_id": 9302,
        "supports": "aye",
        "strength": "strong",
        "justification": "too short",
    }
    assert post(client, f"{API}/policies/{slug}/links", short, token).status_code == 422
    padded = dict(short, justification=" " * 30)
    answer = post(client, f"{API}/policies/{slug}/links", padded, token)
    assert answer.status_code == 400 and "justification" in answer.json()["detail"]
    unknown = post(client, f"{API}/policies", {"programme_reference": "1999/99"}, token)
    assert unknown.status_code == 400 and "1999/99" in unknown.json()["detail"]
    assert post(client, f"{API}/policies", {"title": "  "}, token).status_code == 400
    assert PolicyDivision.objects.count() == before


def test_writes_need_a_policy_officer_with_the_write_scope(
    client: Client, party: Any, officer: Any, voted: Policy
) -> None:
    body = {"title": "Rail in public hands"}
    link = {
        "division_id": 9302,
        "supports": "aye",
        "strength": "weak",
        "justification": JUSTIFICATION,
    }
    # No credentials: 401.
    assert post(client, f"{API}/policies", body).status_code == 401
    # A read-only token of a policy officer: 403 (scope).
    read_only = issue_token(officer, name="read", scopes=["read"])
    assert post(client, f"{API}/policies", body, read_only).status_code == 403
    # A member's or a CLP secretary's token with every scope: 403 (not a policy officer).
    for user in (party.member, party.clp_secretary):
        token = issue_token(user, name=f"t{user.pk}")
        assert post(client, f"{API}/policies", body, token).status_code == 403
        assert post(client, f"{API}/policies/{voted.slug}/links", link, token).status_code == 403
    assert not Policy.objects.filter(title="Rail in public hands").exists()
    assert PolicyDivision.objects.filter(division__division_id=9302, strength="weak").count() == 0


# --- Commands ---------------------------------------------------------------------------
def test_policy_commands(
    party: Any, officer: Any, voted: Policy, capsys: Any, django_capture_on_commit_callbacks: Any
) -> None:
    call_command(
        "accountability_policy_create", "--actor", officer.email, "--title", "Rail in public hands"
    )
    out = capsys.readouterr().out
    assert "created policy rail-in-public-hands" in out
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "accountability_policy_link",
            "rail-in-public-hands",
            "9302",
            "--supports",
            "aye",
            "--strength",
            "strong",
            "--justification",
            JUSTIFICATION,
            "--actor",
            officer.email,
        )
    assert "linked division 9302" in capsys.readouterr().out
    score = Score.objects.get(mp=party.mp, policy__slug="rail-in-public-hands")
    assert score.wording == "consistently voted against"  # No where Aye supports
    # Refused: not a policy officer, unknown policy or division, a short justification.
    with pytest.raises(CommandError, match="may not maintain policies"):
        call_command(
            "accountability_policy_create", "--actor", party.clp_secretary.email, "--title", "X"
        )
    with pytest.raises(CommandError, match="no policy"):
        call_command(
            "accountability_policy_link",
            "nope",
            "9302",
            "--supports",
            "aye",
            "--strength",
            "weak",
            "--justification",
            JUSTIFICATION,
            "--actor",
            officer.email,
        )
    with pytest.raises(CommandError, match="no division 4"):
        call_command(
            "accountability_policy_link",
            voted.slug,
            "4",
            "--supports",
            "aye",
            "--strength",
            "weak",
            "--justification",
            JUSTIFICATION,
            "--actor",
            officer.email,
        )
    with pytest.raises(CommandError, match="at least 20 characters"):
        call_command(
            "accountability_policy_link",
            voted.slug,
            "9302",
            "--supports",
            "aye",
            "--strength",
            "weak",
            "--justification",
            "short",
            "--actor",
            officer.email,
        )
    assert not Policy.objects.filter(title="X").exists()


# --- The MP page and search -------------------------------------------------------------
def test_mp_page_summary_evidence_and_party(client: Client, party: Any, voted: Policy) -> None:
    url = reverse("accountability:mp", kwargs={"mnis_id": party.mp.mnis_id})
    text = " ".join(client.get(url).content.decode().split())
    assert (
        f"{party.mp.name} consistently voted against Public ownership of water "
        '<span class="muted">(Labour MPs on average generally voted for it)</span>'
    ) in text
    # The evidence: each division, the vote that supports the policy, the MP's vote.
    assert "Test division 9301</td> <td>Aye</td> <td>strong</td> <td>No</td>" in text


def test_find_an_mp_by_name_or_constituency(client: Client, party: Any, voted: Policy) -> None:
    url = reverse("accountability:mps")
    assert "Find an MP" in client.get(url).content.decode()  # public, no login
    by_seat = client.get(url, {"q": "southport"}).content.decode()
    assert "Sid Southport" in by_seat and "1 MP matching" in by_seat
    by_name = client.get(url, {"q": "lovelace"}).content.decode()
    assert party.mp.name in by_name and "Northtown" in by_name
    both = client.get(url, {"q": "Edna Easton"}).content.decode()
    assert "Edna Easton" in both and "Sid Southport" not in both
    assert "No MP matches “zzz”" in client.get(url, {"q": "zzz"}).content.decode()
    too_long = client.get(url, {"q": "x" * 101})
    assert too_long.status_code == 200 and "at most 100 characters" in too_long.content.decode()
