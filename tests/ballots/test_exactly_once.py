"""Exactly one invitation per elector, even when a worker dies mid-batch.

A worker "killed" here raises :class:`Killed` (a BaseException, as nothing may catch a
SIGKILL) at a chosen point; what it committed before stays, as in a real crash. The
stack test (tests/stack) kills real ``db_worker`` processes with SIGKILL.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from rankandfile.ballots import invitations, services, tasks
from rankandfile.ballots.models import Elector
from tests.ballots.conftest import SinkHandler
from tests.ballots.factories import DURING, electors, open_ballot
from tests.ballots.test_invitations import secret_in

pytestmark = pytest.mark.django_db


class Killed(BaseException):
    pass


@pytest.fixture(autouse=True)
def _base_url(settings: Any) -> None:
    settings.RANKANDFILE_BASE_URL = "https://ballots.example.org/"


def expire_leases() -> None:
    Elector.objects.exclude(send_lease="").update(
        send_lease_until=timezone.now() - dt.timedelta(seconds=1)
    )


def kill_at(monkeypatch: pytest.MonkeyPatch, name: str, after: int) -> None:
    """Make ``invitations.<name>`` kill the worker on its call number ``after + 1``."""
    real = getattr(invitations, name)
    calls = {"n": 0}

    def dying(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > after:
            raise Killed
        return real(*args, **kwargs)

    monkeypatch.setattr(invitations, name, dying)


def per_recipient(smtp: SinkHandler) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for m in smtp.messages:
        out.setdefault(m.rcpt_tos[0], []).append(m)
    return out


def test_a_worker_killed_after_the_server_accepted_resends_the_identical_message(
    smtp: SinkHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    ballot = open_ballot(voters=4)
    invitations.ballot_invite(actor=None, ballot=ballot)  # queued; tasks run below
    kill_at(monkeypatch, "_confirm", after=1)  # accepted #2, died before recording it
    with pytest.raises(Killed):
        invitations.deliver(ballot.pk)
    monkeypatch.undo()
    assert len(smtp.messages) == 2
    first_try = smtp.messages[1]
    elector = Elector.objects.get(member__email=first_try.rcpt_tos[0])
    assert elector.send_sealed and elector.send_message_id == first_try.message["Message-ID"]
    assert secret_in(first_try.body) not in elector.send_sealed

    assert invitations.deliver(ballot.pk)["sent"] == 0  # still leased: nobody takes over
    expire_leases()
    report = invitations.deliver(ballot.pk)

    assert (report["sent"], report["resumed"]) == (3, 1)
    by_rcpt = per_recipient(smtp)
    assert sorted(by_rcpt) == sorted(e.member.email for e in electors(ballot))
    again = by_rcpt[first_try.rcpt_tos[0]]
    # The only possible duplicate is this one, and it is the same message: one
    # Message-ID (a deduplicating server or provider delivers it once), one working link.
    assert len(again) == 2
    assert {m.message["Message-ID"] for m in again} == {elector.send_message_id}
    assert secret_in(again[0].body) == secret_in(again[1].body)
    assert services.elector_by_token(secret_in(again[1].body)) == elector
    assert all(len(ms) == 1 for rcpt, ms in by_rcpt.items() if rcpt != first_try.rcpt_tos[0])
    assert len({m.message["Message-ID"] for m in smtp.messages}) == 4
    for e in electors(ballot):
        assert (e.send_sealed, e.send_lease, e.send_queued_at) == ("", "", None)
        assert e.invited_at is not None and e.sent_message_id.startswith("<ballot")


def test_a_worker_killed_before_sending_loses_no_one_and_sends_nothing_twice(
    smtp: SinkHandler, monkeypatch: pytest.MonkeyPatch
) -> None:
    ballot = open_ballot(voters=5)
    invitations.ballot_invite(actor=None, ballot=ballot)
    kill_at(monkeypatch, "_write_intent", after=2)
    with pytest.raises(Killed):
        invitations.deliver(ballot.pk)
    monkeypatch.undo()
    assert len(smtp.messages) == 2
    expire_leases()
    report = invitations.deliver(ballot.pk)
    assert (report["sent"], report["resumed"]) == (3, 0)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == sorted(
        e.member.email for e in electors(ballot)
    )
    for m in smtp.messages:
        found = services.elector_by_token(secret_in(m.body))
        assert found is not None and found.member.email == m.rcpt_tos[0]


def test_two_workers_claim_disjoint_electors(smtp: SinkHandler) -> None:
    ballot = open_ballot(voters=5)
    invitations.ballot_invite(actor=None, ballot=ballot)
    a = invitations._claim(ballot, 3, "a" * 32)
    b = invitations._claim(ballot, 3, "b" * 32)
    assert len(a) == 3 and len(b) == 2 and not set(a) & set(b)
    assert invitations._claim(ballot, 3, "c" * 32) == []
    # A worker that lost its lease cannot send to that elector.
    assert invitations._write_intent(ballot, Elector.objects.get(pk=a[0]), "b" * 32) is None


def test_an_elector_who_votes_while_queued_is_not_sent_a_link(smtp: SinkHandler) -> None:
    import time_machine

    ballot = open_ballot(voters=2)
    invitations.ballot_invite(actor=None, ballot=ballot)
    voter = electors(ballot)[0]
    with time_machine.travel(DURING, tick=False):
        services.ballot_cast(ballot=ballot, elector=voter, choice=[0])
    report = invitations.deliver(ballot.pk)
    assert (report["sent"], report["skipped"]) == (1, 1)
    assert smtp.to(voter.member.email) == []
    assert not Elector.objects.filter(pk=voter.pk, send_queued_at__isnull=False).exists()


def test_stalled_sends_are_queued_again_once_their_lease_expires(
    dummy_tasks: Any, settings: Any, monkeypatch: pytest.MonkeyPatch, smtp: SinkHandler
) -> None:
    settings.BALLOT_INVITATION_BATCH_SIZE = 2
    ballot = open_ballot(voters=5)
    invitations.ballot_invite(actor=None, ballot=ballot)  # its on_commit tasks never run
    later = timezone.now() + dt.timedelta(minutes=10)
    assert invitations.resume_stalled() == {}  # just queued: the action enqueues its tasks
    assert invitations.resume_stalled(now=later) == {ballot.pk: 3}  # 3 batches, none ran
    dummy_tasks.clear()
    kill_at(monkeypatch, "_write_intent", after=1)
    with pytest.raises(Killed):
        invitations.deliver(ballot.pk)
    monkeypatch.undo()
    # 1 sent; 1 still leased by the dead worker (held for a day here); 3 claimable.
    Elector.objects.exclude(send_lease="").update(send_lease_until=later + dt.timedelta(days=1))
    assert invitations.resume_stalled(now=later) == {ballot.pk: 2}
    expire_leases()
    assert invitations.resume_stalled(now=later) == {ballot.pk: 2}  # 4 claimable
    sent = [r for r in dummy_tasks.results if r.task.func is tasks.send_ballot_emails.func]
    assert [list(r.args) for r in sent] == [[ballot.pk]] * 4
    while invitations.deliver(ballot.pk)["sent"]:
        pass
    assert len(smtp.messages) == 5
    assert invitations.resume_stalled(now=later) == {}


def test_tasks_waiting_in_the_database_queue_are_counted_before_queuing_more(
    settings: Any,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.BALLOT_INVITATION_BATCH_SIZE = 2
    ballot = open_ballot(voters=5)
    invitations.ballot_invite(actor=None, ballot=ballot)
    later = timezone.now() + dt.timedelta(minutes=10)
    assert tasks.waiting_send_tasks(ballot.pk) == 0
    assert invitations.resume_stalled(now=later) == {ballot.pk: 3}
    assert tasks.waiting_send_tasks(ballot.pk) == 3
    assert invitations.resume_stalled(now=later) == {}  # those 3 will do it


def test_the_sealed_secret_round_trips_and_depends_on_key_and_message_id(settings: Any) -> None:
    secret = invitations._new_secret()
    sealed = invitations.seal(secret, "<m1@x>")
    assert sealed != secret and invitations.unseal(sealed, "<m1@x>") == secret
    assert invitations.unseal(sealed, "<m2@x>") != secret
    settings.SECRET_KEY = "another-key-" + "y" * 40
    assert invitations.unseal(sealed, "<m1@x>") != secret


def test_resume_sends_command(dummy_tasks: Any, capsys: Any, settings: Any) -> None:
    from django.core.management import call_command

    settings.BALLOT_EMAIL_LEASE_SECONDS = 0  # anything queued is "settled" at once
    ballot = open_ballot(voters=3)
    invitations.ballot_invite(actor=None, ballot=ballot)  # its tasks never ran
    call_command("ballots_resume_sends")
    assert f"ballot {ballot.pk}: queued 1 send task(s)" in capsys.readouterr().out
    call_command("ballots_resume_sends", verbosity=2)
    # The dummy backend keeps no database queue, so the same work is queued again; the
    # database backend's waiting tasks are counted (test above).
    assert "queued 1 send task(s)" in capsys.readouterr().out
