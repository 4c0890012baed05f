"""Live data (issue 15.4, rules F1-F5): the Parliament API client against recorded answers
served over loopback HTTP — paging, conditional requests (304), 5xx retried then success,
failures and inconsistent answers that change nothing, and a changed linked division that
alerts the policy officers and recomputes scores."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core import mail
from django.core.management import CommandError, call_command

from rankandfile.accountability import live, services
from rankandfile.accountability.models import (
    Division,
    FetchCache,
    MPVote,
    PartyChange,
    Score,
)
from rankandfile.core.models import AuditEntry
from rankandfile.membership.models import MP, Role
from tests.accountability.parliament_server import ParliamentServer, load, start
from tests.membership import factories as f

pytestmark = pytest.mark.django_db

START, END = dt.date(2019, 3, 29), dt.date(2019, 4, 1)
DIVISIONS = [664, 666, 667, 668, 669]
UMUNNA, ABBOTT = 4128, 172


@pytest.fixture
def server() -> Iterator[ParliamentServer]:
    state = ParliamentServer()
    httpd, thread = start(state)
    yield state
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)


def client(server: ParliamentServer) -> live.ParliamentClient:
    session = requests.Session()
    session.trust_env = False  # no proxy for loopback
    return live.ParliamentClient(
        commons_votes=server.base, members=server.base, backoff_factor=0, session=session
    )


def run(server: ParliamentServer, **kwargs: Any) -> live.FetchReport:
    return live.fetch(
        actor=None, start=START, end=END, client=client(server), divisions_page=2, **kwargs
    )


def requests_to(server: ParliamentServer, path: str) -> list[Any]:
    return [entry for entry in server.log if entry.path == path]


def test_fetch_pages_and_imports(commons: Path, server: ParliamentServer) -> None:
    MP.objects.filter(mnis_id=ABBOTT).update(name="D. Abbott")  # the API's name wins
    report = run(server)
    assert report.imported is not None
    assert report.imported.created == DIVISIONS
    # The listing was read in pages of two (5 divisions: skip 0, 2, 4), then each division.
    listing = requests_to(server, "/data/divisions.json/search")
    assert [e.query["queryParameters.skip"] for e in listing] == [["0"], ["2"], ["4"]]
    assert all(e.query["queryParameters.startDate"] == ["2019-03-29"] for e in listing)
    assert len(requests_to(server, "/api/Members/Search")) == 33  # 650 members, 20 a page
    # The votes are those of the recorded division (the meaningful vote: 286 to 344).
    d = Division.objects.get(division_id=664)
    assert (d.aye_count, d.no_count, d.primary_source) == (286, 344, "commons")
    assert MPVote.objects.filter(division=d).count() == len(load_members(664))
    assert MP.objects.get(mnis_id=ABBOTT).name == "Ms Diane Abbott"  # as recorded
    # Umunna's history: Labour until 18 February 2019 — one change that day.
    changes = PartyChange.objects.filter(mp__mnis_id=UMUNNA)
    assert [(c.date, c.from_party) for c in changes] == [(dt.date(2019, 2, 18), "Labour")]
    # The answers are cached for conditional requests, and the run is in the audit log.
    assert FetchCache.objects.filter(url__contains="/data/division/664.json").exists()
    assert AuditEntry.objects.filter(action="accountability.fetch").count() == 1


def load_members(division_id: int) -> list[Any]:
    data = load(f"commonsvotes/division-{division_id}.json")
    ids = {
        m["MemberId"]
        for key in ("Ayes", "Noes", "AyeTellers", "NoTellers", "NoVoteRecorded")
        for m in data[key] or []
    }
    return sorted(ids)


def test_a_second_fetch_asks_conditionally_and_changes_nothing(
    commons: Path, server: ParliamentServer
) -> None:
    run(server)
    server.log.clear()
    report = run(server)
    assert server.log and all(e.status == 304 and e.if_none_match for e in server.log)
    assert report.not_modified == report.requests == len(server.log)
    assert report.imported is not None
    assert report.imported.unchanged == DIVISIONS and not report.imported.changed


def test_a_dry_run_fetches_and_checks_but_writes_nothing(
    commons: Path, server: ParliamentServer
) -> None:
    report = run(server, dry_run=True)
    assert report.divisions == 5 and report.summary().startswith("would fetch")
    assert report.imported is not None and report.imported.created == DIVISIONS
    assert not Division.objects.exists() and not FetchCache.objects.exists()
    assert not PartyChange.objects.filter(origin="members_api").exists()


def test_a_5xx_is_retried_then_succeeds(commons: Path, server: ParliamentServer) -> None:
    server.fail["/data/division/666.json"] = [503, 500]
    report = run(server, members=False)
    assert [e.status for e in requests_to(server, "/data/division/666.json")] == [503, 500, 200]
    assert report.imported is not None and 666 in report.imported.created


def test_a_request_failing_after_retries_changes_nothing(
    commons: Path, server: ParliamentServer
) -> None:
    server.fail["/data/division/667.json"] = [503] * 10
    with pytest.raises(live.FetchFailed) as failed:
        run(server)
    assert "HTTP 503" in str(failed.value) and "667" in str(failed.value)
    assert len(requests_to(server, "/data/division/667.json")) == 5  # 1 + 4 retries
    assert not Division.objects.exists() and not FetchCache.objects.exists()
    assert not AuditEntry.objects.filter(action="accountability.fetch").exists()


def test_an_inconsistent_answer_changes_nothing(commons: Path, server: ParliamentServer) -> None:
    wrong = load("commonsvotes/division-668.json")
    wrong["AyeCount"] += 1
    server.replace["/data/division/668.json"] = wrong
    with pytest.raises(live.FetchFailed) as failed:
        run(server)
    assert "published Aye count is" in str(failed.value)
    assert not Division.objects.exists() and not FetchCache.objects.exists()
    # A detail that is not the division asked for is refused too.
    server.replace["/data/division/668.json"] = load("commonsvotes/division-669.json")
    with pytest.raises(live.FetchFailed, match="asked for division 668, got 669"):
        run(server)
    # So is a listing that repeats a division (it changed while it was paged).
    del server.replace["/data/division/668.json"]
    listing = load("commonsvotes/divisions-search.json")
    server.replace["/data/divisions.json/search"] = [listing[0], listing[0]]
    with pytest.raises(live.FetchFailed, match="listed twice"):
        run(server)
    assert not Division.objects.exists() and not MPVote.objects.exists()


def test_a_changed_linked_division_alerts_officers_and_recomputes(
    commons: Path, server: ParliamentServer, django_capture_on_commit_callbacks: Any
) -> None:
    officer = f.UserFactory(email="policy@example.org")
    f.RoleFactory(user=officer, kind=Role.Kind.POLICY_OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        run(server, members=False)
        policy = services.policy_create(actor=None, title="Leave with the agreement")
        services.link_save(
            actor=None,
            policy=policy,
            division=Division.objects.get(division_id=664),
            aye_supports=True,
            strength="strong",
            justification="The motion approved the withdrawal agreement itself.",
        )
    abbott = Score.objects.get(mp__mnis_id=ABBOTT, policy=policy)
    assert abbott.wording == "consistently voted against"  # she voted No
    mail.outbox.clear()
    # The House corrects the record: Diane Abbott is moved from the Noes to the Ayes.
    corrected = copy.deepcopy(load("commonsvotes/division-664.json"))
    (entry,) = [m for m in corrected["Noes"] if m["MemberId"] == ABBOTT]
    corrected["Noes"].remove(entry)
    corrected["Ayes"].append(entry)
    corrected["AyeCount"] += 1
    corrected["NoCount"] -= 1
    server.replace["/data/division/664.json"] = corrected
    with django_capture_on_commit_callbacks(execute=True):
        report = run(server, members=False)
    assert report.imported is not None and report.imported.linked_changed == [664]
    abbott.refresh_from_db()
    assert abbott.wording == "consistently voted for"
    notices = [m for m in mail.outbox if m.subject.startswith("Commons record changed")]
    assert [m.to for m in notices] == [["policy@example.org"]]
    assert "Leave with the agreement" in notices[0].body and "287 Aye" in notices[0].body
    # An unchanged division linked to a policy alerts nobody.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run(server, members=False)
    assert not [m for m in mail.outbox if m.subject.startswith("Commons record changed")]


def test_the_command_fetches_and_reports_failures(
    commons: Path, server: ParliamentServer, settings: Any, capsys: Any
) -> None:
    settings.ACCOUNTABILITY_COMMONS_VOTES_API = server.base
    settings.ACCOUNTABILITY_MEMBERS_API = server.base
    server.fail["/data/division/669.json"] = [404]
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("accountability_fetch", "--from", "2019-03-29", "--to", "2019-04-01")
    assert "HTTP 404" in capsys.readouterr().err
    assert not Division.objects.exists()
    call_command(
        "accountability_fetch", "--from", "2019-03-29", "--to", "2019-04-01", "--no-members"
    )
    assert "5 new division(s)" in capsys.readouterr().out
    assert Division.objects.count() == 5
    with pytest.raises(CommandError, match="not a date"):
        call_command("accountability_fetch", "--from", "29/03/2019")


def test_the_scheduled_job_is_registered() -> None:
    from rankandfile.schedule import JOBS

    (job,) = [j for j in JOBS if j.name == "accountability_fetch"]
    assert job.call == "rankandfile.accountability.live.fetch_recent"
