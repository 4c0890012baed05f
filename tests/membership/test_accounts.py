"""Accounts for members (issue 17.1, decision 0024): officers invite within their scope,
members ask for a link without learning who is a member, the link activates once."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from rankandfile.core.errors import DomainError
from rankandfile.core.models import AuditEntry, User
from rankandfile.membership import accounts
from rankandfile.membership.models import AccountInvitation, Member
from tests.conftest import Party
from tests.membership import factories as f

LINK = re.compile(r"https?://[^\s]+/account/activate/([A-Za-z0-9_-]+)/")


def link_in(message: Any) -> str:
    found = LINK.search(message.body)
    assert found, message.body
    return found.group(1)


@pytest.fixture
def newcomer(party: Party) -> Member:
    return f.MemberFactory(
        first_name="Nina", last_name="Newcomer", email="nina@example.org", clp=party.northtown
    )


def without_csrf(html: str) -> str:
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html)


def invite(client: Client, slug: str, capture: Any, **data: Any) -> Any:
    with capture(execute=True):
        return client.post(f"/clps/{slug}/invite/", data)


def test_officer_invites_one_member_and_the_email_activates_once(
    party: Party, newcomer: Member, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(party.clp_secretary)
    response = invite(client, "northtown", django_capture_on_commit_callbacks, member=newcomer.pk)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nina@example.org"]
    secret = link_in(message)
    inv = AccountInvitation.objects.get(member=newcomer)
    assert inv.token_digest == accounts.token_digest(secret)  # only the digest is kept
    assert secret not in str(AccountInvitation.objects.filter(pk=inv.pk).values().first())
    assert inv.sent_at is not None and inv.send_queued_at is None and inv.sealed_secret == ""
    assert AuditEntry.objects.filter(action="membership.accounts.invite").exists()

    visitor = Client()
    page = visitor.get(f"/account/activate/{secret}/")
    assert page.status_code == 200 and "Nina" in page.content.decode()
    bad = visitor.post(f"/account/activate/{secret}/", {"password1": "abc", "password2": "abc"})
    assert bad.status_code == 400
    assert Member.objects.get(pk=newcomer.pk).user_id is None  # nothing changed
    done = visitor.post(
        f"/account/activate/{secret}/",
        {"password1": "a long river 7", "password2": "a long river 7"},
    )
    assert done.status_code == 302 and done["Location"] == "/"
    user = Member.objects.get(pk=newcomer.pk).user
    assert user is not None and user.email == "nina@example.org"
    assert user.check_password("a long river 7")
    assert AuditEntry.objects.filter(action="membership.accounts.activate").exists()
    from allauth.account.models import EmailAddress

    assert EmailAddress.objects.get(user=user).verified
    # Single use.
    again = Client().get(f"/account/activate/{secret}/")
    assert again.status_code == 410
    assert Client().login(email="nina@example.org", password="a long river 7")


def test_expired_link_is_refused(party: Party, newcomer: Member) -> None:
    inv = AccountInvitation.objects.create(
        member=newcomer,
        token_digest=accounts.token_digest("s3cret"),
        expires_at=timezone.now() - timezone.timedelta(seconds=1),
    )
    assert accounts.invitation_for("s3cret") is None
    with pytest.raises(DomainError):
        accounts.activate(secret="s3cret", password="a long river 7")
    inv.refresh_from_db()
    assert inv.used_at is None and Member.objects.get(pk=newcomer.pk).user_id is None


def test_new_link_replaces_the_old(
    party: Party, newcomer: Member, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    client.force_login(party.clp_secretary)
    invite(client, "northtown", django_capture_on_commit_callbacks, member=newcomer.pk)
    invite(client, "northtown", django_capture_on_commit_callbacks, member=newcomer.pk)
    first, second = (link_in(m) for m in mail.outbox)
    assert first != second
    assert accounts.invitation_for(first) is None
    assert accounts.invitation_for(second) is not None


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("clp_secretary", True),
        ("regional_officer", True),
        ("national_admin", True),
        ("branch_officer", False),
        ("member", False),
        ("scrutineer", False),
    ],
)
def test_only_officers_of_the_clp_may_invite(
    party: Party,
    newcomer: Member,
    client: Client,
    django_capture_on_commit_callbacks: Any,
    who: str,
    allowed: bool,
) -> None:
    client.force_login(getattr(party, who))
    response = invite(client, "northtown", django_capture_on_commit_callbacks, member=newcomer.pk)
    assert response.status_code == (302 if allowed else 404)
    assert len(mail.outbox) == (1 if allowed else 0)


def test_an_officer_cannot_invite_another_clps_member(
    party: Party, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    outsider = f.MemberFactory(email="out@example.org", clp=party.southport)
    client.force_login(party.clp_secretary)
    # Through their own CLP's form: the member is not a choice there.
    invite(client, "northtown", django_capture_on_commit_callbacks, member=outsider.pk)
    # Through the other CLP's form: not found.
    response = invite(client, "southport", django_capture_on_commit_callbacks, member=outsider.pk)
    assert response.status_code == 404
    assert mail.outbox == []
    # And the service refuses it too.
    result = accounts.invite_members(actor=party.clp_secretary, member_ids=[outsider.pk])
    assert result.queued == 0 and result.not_allowed == 1


def test_everyone_new_invites_those_never_invited_with_an_address(
    party: Party, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    fresh = [f.MemberFactory(email=f"new{n}@example.org", clp=party.northtown) for n in range(3)]
    f.MemberFactory(email="", clp=party.northtown)  # no address: skipped
    f.MemberFactory(email="far@example.org", clp=party.southport)  # another CLP
    client.force_login(party.clp_secretary)
    invite(client, "northtown", django_capture_on_commit_callbacks, everyone_new="1")
    sent = sorted(m.to[0] for m in mail.outbox)
    expected = {m.email for m in fresh}
    # The party's own Northtown members without a login are new too.
    expected |= {
        m.email
        for m in Member.objects.filter(clp=party.northtown, user__isnull=True).exclude(email="")
    }
    assert set(sent) == expected
    assert "far@example.org" not in sent
    mail.outbox.clear()
    invite(client, "northtown", django_capture_on_commit_callbacks, everyone_new="1")
    assert mail.outbox == []  # nobody twice


@pytest.mark.parametrize("identifier", ["nina@example.org", "NINA@EXAMPLE.ORG", "{number}"])
def test_member_asks_for_a_link(
    party: Party,
    newcomer: Member,
    client: Client,
    django_capture_on_commit_callbacks: Any,
    identifier: str,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        found = client.post(
            "/account/activate/",
            {"identifier": identifier.format(number=newcomer.membership_number)},
        )
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@example.org"]
    with django_capture_on_commit_callbacks(execute=True):
        missing = Client().post("/account/activate/", {"identifier": "nobody@example.net"})
    assert len(mail.outbox) == 1
    # The same answer either way: no account enumeration.
    assert found.status_code == missing.status_code == 200
    assert without_csrf(found.content.decode()) == without_csrf(missing.content.decode())


def test_member_with_a_login_is_sent_nothing(
    party: Party, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/account/activate/", {"identifier": party.me.membership_number})
    assert response.status_code == 200 and mail.outbox == []


def test_requests_are_rate_limited(party: Party, newcomer: Member, client: Client) -> None:
    codes = [
        client.post("/account/activate/", {"identifier": "nina@example.org"}).status_code
        for _ in range(5)
    ]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]


def test_address_of_another_members_login_is_refused(party: Party, newcomer: Member) -> None:
    newcomer.email = party.member.email
    newcomer.save()
    AccountInvitation.objects.create(
        member=newcomer,
        token_digest=accounts.token_digest("tok"),
        expires_at=timezone.now() + accounts.LINK_LIFETIME,
    )
    with pytest.raises(DomainError, match="Another member"):
        accounts.activate(secret="tok", password="a long river 7")
    assert User.objects.filter(email=party.member.email).count() == 1


def test_a_killed_worker_resends_the_same_message(party: Party, newcomer: Member) -> None:
    """The intent is committed before sending: a retry sends the same link and Message-ID."""
    AccountInvitation.objects.create(member=newcomer, send_queued_at=timezone.now())
    owner = "worker-1"
    assert accounts._lease(owner)
    intent = accounts._intent(AccountInvitation.objects.get(member=newcomer).pk, owner)
    assert intent is not None
    _, secret, message_id = intent
    # The worker dies here; its lease expires and another takes over.
    AccountInvitation.objects.filter(member=newcomer).update(
        send_lease_until=timezone.now() - timezone.timedelta(seconds=1)
    )
    result = accounts.deliver(owner="worker-2", sleep=lambda s: None)
    assert result == {"sent": 1, "failed": 0}
    assert len(mail.outbox) == 1
    assert mail.outbox[0].extra_headers["Message-ID"] == message_id
    assert link_in(mail.outbox[0]) == secret


def test_invite_page_shows_the_account_column(
    party: Party, newcomer: Member, client: Client
) -> None:
    client.force_login(party.clp_secretary)
    html = client.get("/clps/northtown/members/").content.decode()
    assert f'name="member" value="{newcomer.pk}"' in html
    assert f'name="member" value="{party.me.pk}"' not in html  # has a login
    detail = client.get(f"/members/{newcomer.pk}/").content.decode()
    assert "Invite to activate an account" in detail


def test_the_scheduler_resumes_sends_nobody_is_working_on(party: Party, newcomer: Member) -> None:
    long_ago = timezone.now() - timezone.timedelta(hours=1)
    AccountInvitation.objects.create(member=newcomer, send_queued_at=long_ago)
    assert accounts.resume_stalled() == 1  # the immediate backend sends at once
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["nina@example.org"]
    assert accounts.resume_stalled() == 0
