"""Motions that travel: branch → CLP (amended, voted) → conference submission → composite →
programme entry, keeping where each sentence began."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rankandfile.conference.models import (
    AgendaItem as FloorItem,
)
from rankandfile.conference.models import Conference, ProgrammeEntry, Submission
from rankandfile.conference.services import compositing as conf_compositing
from rankandfile.conference.services import floor as conference_floor
from rankandfile.conference.services import rulebook as conference_rulebook
from rankandfile.conference.services import setup as conference_setup
from rankandfile.conference.services import submissions as conf_submissions
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.meetings import queries, services
from rankandfile.meetings.models import Meeting, Motion
from tests.conftest import Party
from tests.meetings.conftest import open_with, schedule

pytestmark = pytest.mark.django_db
UTC = dt.UTC

BRANCH_TEXT = (
    "This branch notes that evening buses were cut. "
    "Conference calls for buses to be brought back under public control."
)
CLP_SENTENCE = "Conference instructs the NEC to publish a plan within a year."


@dataclass
class Journey:
    branch_motion: Motion
    clp_motion: Motion
    clp_meeting: Meeting
    submission: Submission
    conference: Conference
    cac: Any


def make_conference(p: Party) -> tuple[Conference, Any]:
    from rankandfile.membership.models import Role
    from tests.membership import factories as f

    conference_rulebook.rule_book_load(actor=None)
    cac = f.UserFactory(email="cac@example.org")
    f.RoleFactory(user=cac, kind=Role.Kind.CAC)
    f.AffiliationYearFactory(affiliate=p.affiliate, year=2026, affiliated_members=120_000)
    conf = conference_setup.conference_create(
        actor=cac,
        year=2026,
        title="Annual Conference 2026",
        venue="Liverpool",
        starts_on=dt.date(2026, 9, 27),
        ends_on=dt.date(2026, 9, 30),
        motions_deadline=dt.datetime(2026, 9, 10, 12, tzinfo=UTC),
        rule_changes_deadline=dt.datetime(2026, 6, 20, 12, tzinfo=UTC),
        amendments_deadline=dt.datetime(2026, 9, 1, 12, tzinfo=UTC),
        delegates_deadline=dt.datetime(2026, 8, 31, 12, tzinfo=UTC),
        census_date=dt.date(2026, 5, 31),
    )
    return conf, cac


def journey(p: Party, clock: Any) -> Journey:
    """The branch carries a motion; the CLP amends and carries it and submits it."""
    branch_meeting = schedule(p.branch_officer, branch=p.riverside, days=8)
    clp_meeting = schedule(p.clp_secretary, clp=p.northtown, days=20)
    motion = services.motion_create(
        actor=p.branch_officer,
        branch=p.riverside,
        title="Buses for passengers",
        text=BRANCH_TEXT,
        mover="Mary Member",
        meeting=branch_meeting,
    )
    branch_meeting = open_with(
        branch_meeting, p.branch_officer, p.me, p.branchmate, traveller=clock
    )
    item = branch_meeting.items.get(motion=motion)
    services.item_decide(
        actor=p.branch_officer, item=item, outcome="carried", votes_for=2, votes_against=0
    )
    services.meeting_close(actor=p.branch_officer, meeting=branch_meeting)
    clp_motion = Motion.objects.get(forwarded_from=motion)
    # With its text and history, on the CLP's next meeting.
    assert clp_motion.text == BRANCH_TEXT and clp_motion.clp_id == p.northtown.pk
    assert clp_motion.state == "tabled"
    assert clp_meeting.items.filter(motion=clp_motion).exists()
    services.amendment_move(
        actor=p.clp_secretary,
        motion=clp_motion,
        text=f"{BRANCH_TEXT} {CLP_SENTENCE}",
        mover="Northtown executive",
    )
    # The CLP's quorum is its whole membership here (3 members): all present.
    clp_meeting = open_with(
        clp_meeting, p.clp_secretary, p.me, p.branchmate, p.neighbour, traveller=clock
    )
    items = list(clp_meeting.items.order_by("position"))
    kinds = [i.kind for i in items]
    assert kinds.index("amendment") + 1 == kinds.index("motion")
    motion_item = items[kinds.index("motion")]
    with pytest.raises(DomainError, match="decide the amendments to this motion first"):
        services.item_decide(
            actor=p.clp_secretary, item=motion_item, outcome="carried", votes_for=3, votes_against=0
        )
    services.item_decide(
        actor=p.clp_secretary,
        item=items[kinds.index("amendment")],
        outcome="carried",
        votes_for=2,
        votes_against=1,
    )
    services.item_decide(
        actor=p.clp_secretary, item=motion_item, outcome="carried", votes_for=3, votes_against=0
    )
    clp_motion.refresh_from_db()
    assert clp_motion.text.endswith(CLP_SENTENCE) and clp_motion.state == "carried"
    # Nothing was forwarded further: a CLP motion goes to conference by the officers' choice.
    assert not Motion.objects.filter(forwarded_from=clp_motion).exists()
    conf, cac = make_conference(p)
    with pytest.raises(PermissionDenied):
        services.motion_submit(actor=p.branch_officer, motion=clp_motion, conference=conf)
    with pytest.raises(DomainError, match="goes to its CLP first"):
        services.motion_submit(actor=p.clp_secretary, motion=motion, conference=conf)
    sub = services.motion_submit(actor=p.clp_secretary, motion=clp_motion, conference=conf)
    return Journey(motion, clp_motion, clp_meeting, sub, conf, cac)


def test_branch_motion_travels_to_a_conference_submission(p: Party, clock: Any) -> None:
    j = journey(p, clock)
    sub = Submission.objects.get(pk=j.submission.pk)
    assert sub.origin_motion_id == j.clp_motion.pk and sub.clp_id == p.northtown.pk
    assert sub.text == j.clp_motion.text
    assert (sub.meeting_for, sub.meeting_against) == (3, 0)
    assert sub.meeting_date == j.clp_meeting.starts_at.date()
    j.clp_motion.refresh_from_db()
    assert j.clp_motion.state == "submitted"
    history = [e.what for _, events in queries.motion_events(j.clp_motion) for e in events]
    assert history[0] == "Drafted by Riverside branch"
    assert any(h.startswith("Carried at General meeting (2 for, 0 against)") for h in history)
    assert "Forwarded to Northtown" in history
    assert any(h.startswith("Amended at") for h in history)
    assert history[-1] == f"Submitted to Annual Conference 2026 as {sub.reference}"
    # One submission per organisation: a second attempt is refused by conference's rules.
    with pytest.raises(DomainError):
        services.motion_submit(actor=p.clp_secretary, motion=j.clp_motion, conference=j.conference)


def test_programme_entry_shows_the_branch_where_a_sentence_began(p: Party, clock: Any) -> None:
    j = journey(p, clock)
    topic = conference_setup.topic_create(actor=j.cac, conference=j.conference, name="Transport")
    conf_submissions.submission_rule(
        actor=j.cac, submission=j.submission, in_order=True, topic=topic
    )
    composite = conf_compositing.composite_create(
        actor=j.cac, topic=topic, title="Buses", text=j.clp_motion.text
    )
    conf_compositing.composite_sign(
        actor=p.clp_secretary, composite=composite, submission=j.submission
    )
    sources = queries.composite_sources(composite)
    assert [s.began_in for s in sources] == ["Riverside branch", "Riverside branch", "Northtown"]
    clock.move_to(dt.datetime(2026, 9, 28, 10, tzinfo=UTC))
    session = conference_floor.session_create(
        actor=j.cac,
        conference=j.conference,
        title="Monday",
        starts_at=dt.datetime(2026, 9, 28, 10, tzinfo=UTC),
    )
    item = conference_floor.item_create(actor=j.cac, session=session, composite=composite)
    FloorItem.objects.filter(pk=item.pk).update(state="open")
    from tests.conference.test_cardvote import _cards

    _cards(item, j.cac, [("clp", 3, "for"), ("affiliate", 3, "for")])
    conference_floor.item_close(actor=j.cac, item=item)
    entry = ProgrammeEntry.objects.get()
    html = Client().get(reverse("conference:programme_entry", args=[entry.pk])).text
    assert "Where the words began" in html
    assert "began in <strong>Riverside branch</strong>" in html
    assert "began in <strong>Northtown</strong>" in html
    html = Client().get(reverse("conference:composite", args=[2026, composite.number])).text
    assert "began in <strong>Riverside branch</strong>" in html


def test_motion_pages_follow_the_units_visibility(p: Party, clock: Any) -> None:
    j = journey(p, clock)
    url = reverse("meetings:motion", args=[j.clp_motion.pk])
    c = Client()
    c.force_login(p.member)
    r = c.get(url)
    assert (
        r.status_code == 200 and "Riverside branch" in r.text and j.submission.reference in r.text
    )
    c.force_login(p.regional_officer)  # a regional officer does not run CLP meetings
    assert c.get(url).status_code == 404
    c.force_login(p.clp_secretary)
    assert "Submit to conference" not in c.get(url).text  # already submitted
    # A motion of another branch is invisible to this branch's member.
    other = services.motion_create(
        actor=p.clp_secretary, branch=p.hillside, title="Libraries", text="Keep them open."
    )
    c.force_login(p.member)
    assert c.get(reverse("meetings:motion", args=[other.pk])).status_code == 404
    assert c.get(f"/api/v1/motions/{other.pk}/").status_code == 404
    r = c.get(f"/api/v1/motions/{j.branch_motion.pk}/")
    assert r.status_code == 200 and r.json()["history"][0] == "Drafted by Riverside branch"
