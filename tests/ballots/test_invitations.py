"""Invitations and reminders, delivered to a real SMTP server on localhost."""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError

from rankandfile.ballots import invitations, services, tasks
from rankandfile.ballots.models import Ballot, Elector
from rankandfile.core import tokens
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from tests.ballots.conftest import FakeClock, SinkHandler
from tests.ballots.factories import (
    DURING,
    JOINED,
    BallotFactory,
    electors,
    members,
    open_ballot,
)
from tests.membership.factories import CLPFactory, MemberFactory, clp_officer, member_user

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https://ballots\.example\.org/ballots/vote/([A-Za-z0-9_-]{43})/")


@pytest.fixture(autouse=True)
def _base_url(settings: Any) -> None:
    settings.RANKANDFILE_BASE_URL = "https://ballots.example.org/"


def secret_in(body: str) -> str:
    found = LINK.findall(body)
    assert len(found) == 1, body
    return str(found[0])


def with_tasks_held(ballot: Ballot, **kwargs: Any) -> Any:
    """Invite without running the queued tasks (the test runs ``deliver`` itself)."""
    return invitations.ballot_invite(actor=None, ballot=ballot, **kwargs)


def invite(django_capture_on_commit_callbacks: Any, ballot: Ballot, **kwargs: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return invitations.ballot_invite(actor=None, ballot=ballot, **kwargs)


def remind(django_capture_on_commit_callbacks: Any, ballot: Ballot) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return invitations.ballot_remind(actor=None, ballot=ballot)


def test_each_elector_receives_a_working_personal_link(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot(title="Selection of our candidate & agent")
    run = invite(django_capture_on_commit_callbacks, ballot)

    assert (run.queued, run.batches, run.no_email) == (3, 1, 0)
    assert len(smtp.messages) == 3
    for elector in electors(ballot):
        (delivered,) = smtp.to(elector.member.email)
        assert delivered.rcpt_tos == [elector.member.email]
        assert delivered.subject == "Your ballot paper: Selection of our candidate & agent"
        body = delivered.body
        assert "Selection of our candidate & agent" in body  # not HTML-escaped
        assert "17:00 on Wednesday 8 May 2024" in body  # closing time, London time
        assert "personal and single-use" in body
        assert f"Dear {elector.member.first_name}," in body
        secret = secret_in(body)
        assert elector.token_digest == tokens.digest(secret)
        assert secret not in str(Elector.objects.filter(pk=elector.pk).values().get())
        found = services.elector_by_token(secret)
        assert found is not None and found.pk == elector.pk
        assert elector.invited_at is not None
        assert (elector.send_attempts, elector.last_send_error) == (1, "")
    assert len({e.token_digest for e in electors(ballot)}) == 3
    assert invitations.invitation_progress(ballot) == {
        "electorate": 3,
        "invited": 3,
        "failed": 0,
        "pending": 0,
        "reminded": 0,
        "no_email": 0,
        "voted": 0,
    }


def test_the_link_is_single_use(smtp: SinkHandler, django_capture_on_commit_callbacks: Any) -> None:
    ballot = open_ballot()
    invite(django_capture_on_commit_callbacks, ballot)
    secret = secret_in(smtp.messages[0].body)
    elector = services.elector_by_token(secret)
    assert elector is not None
    with time_machine.travel(DURING, tick=False):
        receipt = services.ballot_cast(ballot=ballot, elector=elector, choice=[0, 1])
    assert receipt.tracking_code
    assert services.elector_by_token(secret) is None


def test_inviting_again_skips_those_already_invited(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot()
    invite(django_capture_on_commit_callbacks, ballot)
    run = invite(django_capture_on_commit_callbacks, ballot)
    assert run.queued == 0
    assert len(smtp.messages) == 3


def test_resending_issues_a_new_link_and_kills_the_old(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot(voters=1)
    invite(django_capture_on_commit_callbacks, ballot)
    old = secret_in(smtp.messages[0].body)
    run = invite(django_capture_on_commit_callbacks, ballot, resend=True)
    assert run.queued == 1
    new = secret_in(smtp.messages[1].body)
    assert new != old
    assert services.elector_by_token(old) is None
    assert services.elector_by_token(new) is not None


def test_reminders_go_only_to_those_who_have_not_voted_with_a_fresh_link(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot()
    invite(django_capture_on_commit_callbacks, ballot)
    first_links = {m.rcpt_tos[0]: secret_in(m.body) for m in smtp.messages}
    voter, *others = electors(ballot)
    with time_machine.travel(DURING, tick=False):
        services.ballot_cast(ballot=ballot, elector=voter, choice=[2])
    smtp.messages.clear()

    run = remind(django_capture_on_commit_callbacks, ballot)

    assert run.queued == 2
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(e.member.email for e in others)
    assert smtp.to(voter.member.email) == []
    for delivered in smtp.messages:
        assert delivered.subject == f"Reminder: vote in {ballot.title}"
        assert "personal and single-use" in delivered.body
        fresh = secret_in(delivered.body)
        assert fresh != first_links[delivered.rcpt_tos[0]]
        assert services.elector_by_token(first_links[delivered.rcpt_tos[0]]) is None
        assert services.elector_by_token(fresh) is not None
    progress = invitations.invitation_progress(ballot)
    assert (progress["reminded"], progress["voted"], progress["invited"]) == (2, 1, 3)


def test_a_refusing_server_is_retried_with_backoff_then_recorded_as_failed(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any, fake_clock: FakeClock
) -> None:
    ballot = open_ballot()
    bad, *good = electors(ballot)
    smtp.refuse[bad.member.email] = ("451 4.3.0 Mailbox temporarily unavailable", None)

    invite(django_capture_on_commit_callbacks, ballot)

    assert smtp.attempts(bad.member.email) == 3
    assert smtp.to(bad.member.email) == []
    assert all(len(smtp.to(e.member.email)) == 1 for e in good)
    bad.refresh_from_db()
    assert bad.send_attempts == 3
    assert "451" in bad.last_send_error and "temporarily unavailable" in bad.last_send_error
    assert bad.invited_at is None
    assert bad.token_digest is None  # the undelivered link was withdrawn
    assert [e.pk for e in invitations.invitation_failures(ballot)] == [bad.pk]
    progress = invitations.invitation_progress(ballot)
    assert (progress["invited"], progress["failed"], progress["pending"]) == (2, 1, 0)
    assert 2.0 in fake_clock.sleeps and 8.0 in fake_clock.sleeps  # the back-off

    # Inviting again retries the failed address (and only it).
    smtp.refuse.clear()
    run = invite(django_capture_on_commit_callbacks, ballot)
    assert run.queued == 1
    bad.refresh_from_db()
    assert (bad.send_attempts, bad.last_send_error) == (1, "")
    assert bad.invited_at is not None
    assert invitations.invitation_failures(ballot).count() == 0


def test_a_temporary_refusal_is_retried_until_delivered(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot(voters=1)
    (elector,) = electors(ballot)
    smtp.refuse[elector.member.email] = ("421 4.7.0 Try again later", 1)
    invite(django_capture_on_commit_callbacks, ballot)
    elector.refresh_from_db()
    assert (elector.send_attempts, elector.last_send_error) == (2, "")
    assert services.elector_by_token(secret_in(smtp.messages[0].body)) == elector


def test_a_permanent_refusal_is_not_retried(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot(voters=1)
    (elector,) = electors(ballot)
    smtp.refuse[elector.member.email] = ("550 5.1.1 No such user", None)
    invite(django_capture_on_commit_callbacks, ballot)
    elector.refresh_from_db()
    assert smtp.attempts(elector.member.email) == 1
    assert elector.send_attempts == 1 and "550" in elector.last_send_error


def test_a_failed_resend_leaves_the_previous_link_working(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot(voters=1)
    invite(django_capture_on_commit_callbacks, ballot)
    old = secret_in(smtp.messages[0].body)
    (elector,) = electors(ballot)
    smtp.refuse[elector.member.email] = ("550 5.2.1 Mailbox disabled", None)
    remind(django_capture_on_commit_callbacks, ballot)
    assert services.elector_by_token(old) == elector


def test_an_unreachable_server_is_a_recorded_failure(
    settings: Any, django_capture_on_commit_callbacks: Any, fake_clock: FakeClock
) -> None:
    from tests.ballots.conftest import _free_port

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    ballot = open_ballot(voters=1)
    invite(django_capture_on_commit_callbacks, ballot)
    (elector,) = electors(ballot)
    assert elector.send_attempts == 3
    assert "ConnectionRefusedError" in elector.last_send_error
    assert fake_clock.sleeps.count(2.0) == 1 and fake_clock.sleeps.count(8.0) == 1


def test_sending_is_throttled(
    smtp: SinkHandler,
    django_capture_on_commit_callbacks: Any,
    fake_clock: FakeClock,
    settings: Any,
) -> None:
    settings.BALLOT_EMAILS_PER_SECOND = 4
    ballot = open_ballot(voters=9)
    invite(django_capture_on_commit_callbacks, ballot)
    assert len(smtp.messages) == 9
    times = [t for _, t in smtp.rcpt_log]
    assert all(t is not None for t in times)
    gaps = [b - a for a, b in itertools.pairwise(times)]  # type: ignore[operator]
    assert all(gap >= 0.25 - 1e-9 for gap in gaps)
    assert sum(fake_clock.sleeps) == pytest.approx(8 * 0.25)


def test_electors_without_an_email_address_are_reported_not_sent(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    clp = CLPFactory()
    members(clp, 2)
    nomail = MemberFactory(clp=clp, joined=JOINED, email="")
    ballot = open_ballot(clp)
    run = invite(django_capture_on_commit_callbacks, ballot)
    assert (run.queued, run.no_email) == (2, 1)
    assert len(smtp.messages) == 2
    assert [e.member for e in invitations.electors_without_email(ballot)] == [nomail]
    progress = invitations.invitation_progress(ballot)
    assert (progress["no_email"], progress["pending"], progress["invited"]) == (1, 0, 2)


def test_electors_are_sent_in_batches(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.BALLOT_INVITATION_BATCH_SIZE = 2
    ballot = open_ballot(voters=5)
    run = invite(django_capture_on_commit_callbacks, ballot)
    assert (run.queued, run.batches) == (5, 3)
    assert len(smtp.messages) == 5


def test_invite_enqueues_one_task_per_batch(
    dummy_tasks: Any, django_capture_on_commit_callbacks: Any, settings: Any
) -> None:
    settings.BALLOT_INVITATION_BATCH_SIZE = 2
    ballot = open_ballot(voters=3)
    dummy_tasks.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        invitations.ballot_invite(actor=None, ballot=ballot)
    assert dummy_tasks.results == []  # nothing is queued before the commit
    for callback in callbacks:
        callback()
    sent = [r for r in dummy_tasks.results if r.task.func is tasks.send_ballot_emails.func]
    assert [list(r.args) for r in sent] == [[ballot.pk], [ballot.pk]]
    # What is owed is in the electors' rows, not in the tasks.
    assert all(
        e.send_queued_at is not None and e.send_kind == "invitation" for e in electors(ballot)
    )


def test_only_the_ballots_officers_may_invite() -> None:
    clp = CLPFactory()
    members(clp, 1)
    ballot = open_ballot(clp)
    secretary, other = clp_officer(clp), clp_officer(CLPFactory())
    plain = member_user(MemberFactory(clp=clp))
    for actor in (other, plain):
        with pytest.raises(PermissionDenied):
            invitations.ballot_invite(actor=actor, ballot=ballot)
        with pytest.raises(PermissionDenied):
            invitations.ballot_remind(actor=actor, ballot=ballot)
    assert invitations.ballot_invite(actor=secretary, ballot=ballot).queued == 1


def test_links_are_sent_only_while_the_ballot_is_open() -> None:
    draft = BallotFactory()
    with pytest.raises(DomainError, match="only while the ballot is open; it is draft"):
        invitations.ballot_invite(actor=None, ballot=draft)


def test_a_batch_for_a_ballot_no_longer_open_sends_nothing(smtp: SinkHandler) -> None:
    ballot = open_ballot()
    with_tasks_held(ballot)
    Ballot.objects.filter(pk=ballot.pk).update(state=Ballot.State.CLOSED)
    assert invitations.deliver(ballot.pk)["skipped"] == 3
    assert smtp.messages == []
    assert not Elector.objects.filter(ballot=ballot, send_queued_at__isnull=False).exists()


def test_the_audit_log_records_counts_only(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any
) -> None:
    ballot = open_ballot()
    invite(django_capture_on_commit_callbacks, ballot)
    remind(django_capture_on_commit_callbacks, ballot)
    entries = AuditEntry.objects.filter(
        action__in=["ballots.ballot.invite", "ballots.ballot.remind"]
    )
    assert [(e.action, e.data["queued"]) for e in entries.order_by("seq")] == [
        ("ballots.ballot.invite", 3),
        ("ballots.ballot.remind", 3),
    ]
    dumped = str(list(entries.values()))
    for elector in electors(ballot):
        assert elector.member.email not in dumped
        assert elector.member.membership_number not in dumped


def test_send_invitations_command(
    smtp: SinkHandler, django_capture_on_commit_callbacks: Any, capsys: Any
) -> None:
    ballot = open_ballot()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ballots_send_invitations", str(ballot.pk))
    out = capsys.readouterr().out
    assert "queued 3 invitation(s) in 1 batch(es)" in out
    assert len(smtp.messages) == 3
    with django_capture_on_commit_callbacks(execute=True):
        call_command("ballots_send_invitations", str(ballot.pk), "--remind")
    assert len(smtp.messages) == 6
    entry = AuditEntry.objects.filter(action="ballots.ballot.remind").get()
    assert entry.channel == "cli" and entry.actor is None


def test_send_invitations_command_errors() -> None:
    with pytest.raises(CommandError, match="no ballot with id 999999"):
        call_command("ballots_send_invitations", "999999")
    draft = BallotFactory()
    with pytest.raises(CommandError, match="only while the ballot is open"):
        call_command("ballots_send_invitations", str(draft.pk))


def test_vote_url_without_the_web_layer_uses_the_agreed_path(settings: Any) -> None:
    settings.RANKANDFILE_BASE_URL = ""
    url = invitations.vote_url("abc")
    assert url == "http://127.0.0.1:8000/ballots/vote/abc/"


def test_progress_does_not_count_those_who_voted_as_pending() -> None:
    ballot = open_ballot()
    with time_machine.travel(DURING, tick=False):
        services.ballot_cast(ballot=ballot, elector=electors(ballot)[0], choice=[0])
    progress = invitations.invitation_progress(ballot)
    assert (progress["pending"], progress["voted"], progress["invited"]) == (2, 1, 0)
    assert invitations.ballot_invite(actor=None, ballot=ballot).queued == 2


def test_an_email_providers_refusal_is_permanent_and_its_other_errors_are_send_errors() -> None:
    """django-anymail is a dependency: its exceptions are named, not guessed by name."""
    from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused

    from rankandfile.ballots import invitations

    assert invitations._permanent(AnymailRecipientsRefused())
    assert not invitations._permanent(AnymailAPIError("provider down"))
    assert isinstance(AnymailAPIError("provider down"), invitations._send_errors())
