"""Membership pages: the CLP index, a CLP's members list (search, filters, pagination,
htmx fragment) and a member's record with history."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client

from rankandfile.core import audit
from rankandfile.membership import queries
from rankandfile.membership.models import Member, Period
from tests.conftest import Party
from tests.membership import factories as f

MEMBERS = "/clps/northtown/members/"


def names(html: str) -> list[str]:
    """Member names in the list, in order."""
    return re.findall(r'<a href="/members/\d+/">([^<]+)</a>', html)


@pytest.fixture
def secretary(party: Party, client: Client) -> Client:
    client.force_login(party.clp_secretary)
    return client


@pytest.fixture
def standings(party: Party) -> dict[str, Member]:
    """Northtown members in each standing today (plus the three from ``party``)."""
    today = dt.date.today()
    year_ago = today - dt.timedelta(days=365)

    def member(last: str, *spans: tuple[str, dt.date, dt.date | None]) -> Member:
        return f.member_with_history(
            spans, first_name="Test", last_name=last, clp=party.northtown, branch=party.hillside
        )

    return {
        "arrears": member(
            "Arrears",
            ("membership", year_ago, None),
            ("arrears", today - dt.timedelta(days=10), None),
        ),
        "suspended": member(
            "Suspended",
            ("membership", year_ago, None),
            ("suspension", year_ago, None),
            ("arrears", year_ago, None),
        ),
        "lapsed": member("Lapsed", ("membership", year_ago, today)),  # lapsed today
        "rejoined": member(
            "Rejoined",
            ("membership", year_ago, today - dt.timedelta(days=100)),
            ("membership", today, None),  # rejoined today
        ),
        "arrears_paid": member(
            "Paidup",
            ("membership", year_ago, None),
            ("arrears", year_ago, today),  # paid today
        ),
        "future": member("Future", ("membership", today + dt.timedelta(days=1), None)),
    }


# --- CLP index --------------------------------------------------------------------------
def test_clp_index_lists_managed_clps(party: Party, client: Client) -> None:
    client.force_login(party.regional_officer)
    html = client.get("/clps/").content.decode()
    assert "Northtown" in html and "Easton" in html
    assert "Southport" not in html


def test_clp_index_for_someone_managing_nothing(party: Party, client: Client) -> None:
    client.force_login(party.member)
    html = client.get("/clps/").content.decode()
    assert "You do not manage any constituency party." in html


# --- Members list -----------------------------------------------------------------------
def test_members_list_shows_the_clps_members_only(party: Party, secretary: Client) -> None:
    html = secretary.get(MEMBERS).content.decode()
    assert names(html) == ["Branchmate, Bert", "Member, Mary", "Neighbour, Nell"]
    assert "Eastoner" not in html and "Southerner" not in html
    assert "3 members" in html
    assert '<label for="q">' in html and '<label for="branch">' in html
    assert '<label for="status">' in html


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("nell", ["Neighbour, Nell"]),  # first name, any case
        ("BRANCH", ["Branchmate, Bert"]),  # part of a last name
        ("RF000001", ["Member, Mary"]),  # membership number, exact
        ("RF00000", []),  # ...not a prefix of one
        ("rf000002@example.org", ["Neighbour, Nell"]),  # email, exact
        ("SW1A", ["Branchmate, Bert", "Member, Mary", "Neighbour, Nell"]),  # postcode prefix
        ("mary member", ["Member, Mary"]),  # every word must match
        ("mary nell", []),
        ("Eastoner", []),  # another CLP's member is never found
    ],
)
def test_members_search(party: Party, secretary: Client, q: str, expected: list[str]) -> None:
    html = secretary.get(MEMBERS, {"q": q}).content.decode()
    assert names(html) == expected
    if not expected:
        assert "No members match" in html


def test_members_filter_by_branch(party: Party, secretary: Client) -> None:
    html = secretary.get(MEMBERS, {"branch": party.riverside.pk}).content.decode()
    assert names(html) == ["Branchmate, Bert", "Member, Mary"]
    assert f'<option value="{party.riverside.pk}" selected>' in html


def test_members_filter_ignores_another_clps_branch(party: Party, secretary: Client) -> None:
    other = f.BranchFactory(clp=party.southport)
    f.MemberFactory(clp=party.southport, branch=other, last_name="Elsewhere")
    html = secretary.get(MEMBERS, {"branch": other.pk}).content.decode()
    assert len(names(html)) == 3
    assert "Elsewhere" not in html
    assert secretary.get(MEMBERS, {"branch": "nonsense"}).status_code == 200


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("good", ["Member", "Branchmate", "Neighbour", "Paidup", "Rejoined"]),
        ("arrears", ["Arrears"]),
        ("suspended", ["Suspended"]),  # suspended and in arrears: suspended
        ("lapsed", ["Future", "Lapsed"]),  # joins tomorrow; lapsed today
        ("", None),  # no filter: everyone
        ("bogus", None),  # unknown: no filter
    ],
)
def test_members_filter_by_standing_today(
    party: Party,
    secretary: Client,
    standings: dict[str, Member],
    status: str,
    expected: list[str] | None,
) -> None:
    html = secretary.get(MEMBERS, {"status": status}).content.decode()
    last_names = sorted(n.split(",")[0] for n in names(html))
    if expected is None:
        assert len(last_names) == 9
    else:
        assert last_names == sorted(expected)


def test_members_list_shows_each_standing(
    party: Party, secretary: Client, standings: dict[str, Member]
) -> None:
    html = secretary.get(MEMBERS).content.decode()
    for badge in ("In good standing", "In arrears", "Suspended", "Lapsed"):
        assert f">{badge}</span>" in html


def test_standing_annotation_matches_member_status(
    party: Party, standings: dict[str, Member]
) -> None:
    # The list's SQL standing agrees with the record page's Python standing.
    for member in queries.clp_members(party.northtown.pk):
        assert member.standing == queries.member_status(member).code, member  # type: ignore[attr-defined]


def test_standing_on_a_given_day(party: Party, standings: dict[str, Member]) -> None:
    yesterday = dt.date.today() - dt.timedelta(days=1)
    lapsed = queries.clp_members(party.northtown.pk, standing="lapsed", on=yesterday)
    assert {m.last_name for m in lapsed} == {"Rejoined", "Future"}
    arrears = queries.clp_members(party.northtown.pk, standing="arrears", on=yesterday)
    assert {m.last_name for m in arrears} == {"Arrears", "Paidup"}


def test_members_filters_combine(party: Party, secretary: Client, standings: dict) -> None:
    html = secretary.get(
        MEMBERS, {"branch": party.hillside.pk, "status": "good", "q": "test"}
    ).content.decode()
    assert names(html) == ["Paidup, Test", "Rejoined, Test"]
    assert "2 members match" in html
    assert 'href="/clps/northtown/members/"' in html  # "Clear"


@pytest.fixture
def crowd(party: Party) -> None:
    """120 more Northtown members: three pages of 50."""
    for n in range(120):
        f.MemberFactory(
            clp=party.northtown,
            branch=party.hillside if n % 2 else party.riverside,
            last_name=f"Zed{n:03d}",
            first_name="Crowd",
            joined=dt.date(2020, 1, 1),
        )


def test_members_paginate_keeping_filters(party: Party, secretary: Client, crowd: None) -> None:
    first = secretary.get(MEMBERS, {"q": "crowd", "branch": party.hillside.pk}).content.decode()
    assert len(names(first)) == 50
    assert "Page 1 of 2" in first
    next_link = re.search(r'<a href="(\?[^"]+)" rel="next"', first)
    assert next_link
    link = next_link.group(1).replace("&amp;", "&")
    assert "q=crowd" in link and f"branch={party.hillside.pk}" in link and "page=2" in link
    second = secretary.get(MEMBERS + link).content.decode()
    assert len(names(second)) == 10
    assert "Page 2 of 2" in second
    assert 'rel="prev"' in second and 'rel="next"' not in second


def test_members_page_out_of_range_shows_the_last(
    party: Party, secretary: Client, crowd: None
) -> None:
    html = secretary.get(MEMBERS, {"page": 99}).content.decode()
    assert "Page 3 of 3" in html
    assert secretary.get(MEMBERS, {"page": "x"}).status_code == 200


def test_members_htmx_request_gets_only_the_rows(party: Party, secretary: Client) -> None:
    response = secretary.get(MEMBERS, {"q": "nell"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html and "<form" not in html
    assert names(html) == ["Neighbour, Nell"]
    assert 'hx-swap-oob="true"' in html  # the live result count
    assert "HX-Request" in response["Vary"]


def test_members_htmx_history_restore_gets_the_full_page(party: Party, secretary: Client) -> None:
    html = secretary.get(
        MEMBERS, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    ).content.decode()
    assert "<html" in html


def test_members_form_works_without_javascript(party: Party, secretary: Client) -> None:
    html = secretary.get(MEMBERS).content.decode()
    form = re.search(r'<form[^>]*role="search"[^>]*>', html, re.S).group(0)  # type: ignore[union-attr]
    assert 'method="get"' in form
    assert 'action="/clps/northtown/members/"' in form
    assert "hx-get" in form
    assert '<button type="submit">Search</button>' in html


def _audit_head_exists() -> None:
    """The audit chain's head row exists on a live system (the first entry creates it)."""
    from rankandfile.core.models import AuditHead

    AuditHead.objects.get_or_create(id=1)


@pytest.mark.parametrize("extra", [0, 60])
def test_members_page_query_count_is_fixed(
    party: Party, secretary: Client, django_assert_num_queries: object, extra: int
) -> None:
    for n in range(extra):
        f.MemberFactory(clp=party.northtown, branch=party.hillside, last_name=f"Q{n}")
    secretary.get("/healthz")  # the first request starts the two-factor grace period
    _audit_head_exists()
    # Session, user, roles, the CLP, its branches, count, one page of rows (with branch and
    # standing), the navigation's "manages any CLP?" and "has a second factor?"; then the
    # audit entry of the read (savepoint, lock the chain head, insert, move the head,
    # release).
    with django_assert_num_queries(9 + 5):  # type: ignore[operator]
        response = secretary.get(MEMBERS, {"status": "good", "q": "a"})
    assert response.status_code == 200


def test_members_fragment_query_count_is_fixed(
    party: Party, secretary: Client, django_assert_num_queries: object, crowd: None
) -> None:
    secretary.get("/healthz")  # the first request starts the two-factor grace period
    _audit_head_exists()
    # The same queries as the full page: the branch filter is validated either way.
    with django_assert_num_queries(9 + 5):  # type: ignore[operator]
        response = secretary.get(MEMBERS, {"page": 2}, HTTP_HX_REQUEST="true")
    assert len(names(response.content.decode())) == 50


# --- One member -------------------------------------------------------------------------
def test_member_record_shows_details_and_history(party: Party, client: Client) -> None:
    Period.objects.filter(member=party.me).update(end=dt.date(2018, 1, 1), end_reason="lapsed")
    Period.objects.create(member=party.me, kind="membership", start=dt.date(2019, 6, 1))
    client.force_login(party.member)
    html = client.get(f"/members/{party.me.pk}/").content.decode()
    assert "Mary Member" in html and "RF000001" in html
    assert "1 Mar 2015" in html and "1 Jan 2018" in html and "Lapsed" in html
    assert "1 Jun 2019" in html and "ongoing" in html
    assert "continuously since 1 June 2019" in html
    assert "Changes to this record" not in html  # members do not see the audit trail


def test_member_record_shows_the_audit_trail_to_managers(party: Party, secretary: Client) -> None:
    audit.record(actor=party.clp_secretary, action="membership.member.update", target=party.me)
    html = secretary.get(f"/members/{party.me.pk}/").content.decode()
    assert "Changes to this record" in html
    assert "membership.member.update" in html
    assert "secretary@example.org" in html


def test_member_record_missing_is_404(party: Party, secretary: Client) -> None:
    assert secretary.get("/members/999999/").status_code == 404
