"""Submissions, arrangements, delegates, priorities, compositing, programme and rule book."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine

from rankandfile.conference import rulebook, rulebook_data
from rankandfile.conference.models import (
    AgendaItem,
    Composite,
    Delegate,
    ProgrammeEntry,
    RuleBookVersion,
    RuleClause,
    Submission,
    Topic,
)
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import compositing as compositing_queries
from rankandfile.conference.queries import delegates as delegates_queries
from rankandfile.conference.services import (
    compositing,
    delegates,
    floor,
    priorities,
    setup,
    submissions,
)
from rankandfile.conference.services import rulebook as rule_book_services
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.core.models import AuditEntry
from tests.conference.conftest import Conf, motion_text
from tests.conference.helpers import add_members, card_item, delegate
from tests.membership import factories as f

MEETING = dt.date(2026, 5, 12)


def submit(conf: Conf, **kw: Any) -> Submission:
    args: dict[str, Any] = {
        "actor": conf.party.clp_secretary,
        "conference": conf.conference,
        "kind": Submission.Kind.MOTION,
        "clp": conf.party.northtown,
        "title": "Bring rail back into public ownership",
        "text": motion_text(120),
        "meeting_date": MEETING,
        "meeting_for": 40,
        "meeting_against": 3,
    }
    args.update(kw)
    return submissions.submission_create(**args)


def in_order_motion(conf: Conf, topic_name: str = "Transport", **kw: Any) -> Submission:
    sub = submit(conf, **kw)
    topic = Topic.objects.filter(
        conference=conf.conference, name=topic_name
    ).first() or setup.topic_create(actor=conf.cac, conference=conf.conference, name=topic_name)
    return submissions.submission_rule(actor=conf.cac, submission=sub, in_order=True, topic=topic)


# --- Submissions -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_officer_submits_a_motion(conf: Conf) -> None:
    sub = submit(conf)
    assert sub.reference == "2026/M001" and sub.debate_year == 2026
    assert sub.status == Submission.Status.SUBMITTED
    assert AuditEntry.objects.filter(action="conference.submission_create").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"text": motion_text(251)}, "the motion has 251 words; the limit is 250"),
        (
            {"title": "One two three four five six seven eight nine ten eleven"},
            "the title has 11 words",
        ),
        ({"meeting_for": 3, "meeting_against": 3}, "did not agree the submission"),
        ({"meeting_date": dt.date(2026, 6, 2)}, "cannot be in the future"),
        ({"clp": None}, "choose the CLP or the affiliate"),
        ({"kind": "rule_change", "clause_number": "9.Z.9"}, "there is no clause '9.Z.9'"),
        (
            {
                "kind": "rule_change",
                "clause_number": "3.II.2",
                "text": (
                    "A motion shall not exceed 250 words, and its title shall not exceed 10 words."
                ),
            },
            "is the same as the current text",
        ),
    ],
)
def test_submission_limits_have_clear_messages(
    conf: Conf, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(DomainError, match=message):
        submit(conf, **changes)
    assert not Submission.objects.exists()


@pytest.mark.django_db
def test_exactly_the_limits_are_accepted(conf: Conf) -> None:
    sub = submit(
        conf, text=motion_text(250), title="One two three four five six seven eight nine ten"
    )
    assert sub.pk


@pytest.mark.django_db
def test_one_submission_per_organisation_until_withdrawn(conf: Conf) -> None:
    first = submit(conf)
    with pytest.raises(DomainError, match="already submitted 1 item"):
        submit(
            conf,
            kind="rule_change",
            clause_number="3.II.2",
            text="A motion shall not exceed 300 words.",
        )
    with pytest.raises(PermissionDenied):
        submissions.submission_withdraw(actor=conf.party.member, submission=first)
    submissions.submission_withdraw(actor=conf.party.clp_chair, submission=first)
    assert submit(conf).reference == "2026/M002"


@pytest.mark.django_db
def test_deadline_is_enforced(conf: Conf, clock: Any) -> None:
    clock.move_to(dt.datetime(2026, 9, 10, 12, 0, 1, tzinfo=dt.UTC))
    with pytest.raises(DomainError, match="the deadline for motions to the 2026 conference passed"):
        submit(conf, meeting_date=MEETING)
    with pytest.raises(DomainError, match="the deadline for rule changes"):
        submit(conf, kind="rule_change", clause_number="3.II.2", text="Motions: 300 words.")


@pytest.mark.django_db
def test_only_officers_of_the_organisation_submit(conf: Conf) -> None:
    p = conf.party
    with pytest.raises(PermissionDenied, match="not an officer of Easton"):
        submit(conf, clp=p.easton)
    with pytest.raises(PermissionDenied):
        submit(conf, actor=p.member)
    with pytest.raises(PermissionDenied):
        submit(conf, actor=conf.cac)
    sub = submit(conf, actor=p.affiliate_officer, clp=None, affiliate=p.affiliate)
    assert sub.affiliate == p.affiliate


@pytest.mark.django_db
def test_clp_rule_change_waits_a_year_affiliate_rule_change_does_not(conf: Conf) -> None:
    p = conf.party
    new = "A motion shall not exceed 300 words, and its title shall not exceed 12 words."
    clp_rc = submit(
        conf,
        kind="rule_change",
        clause_number="3.II.2",
        text=new,
    )
    assert clp_rc.debate_year == 2027 and clp_rc.reference == "2026/R001"
    aff_rc = submit(
        conf,
        actor=p.affiliate_officer,
        clp=None,
        affiliate=p.affiliate,
        kind="rule_change",
        clause_number="3.II.2",
        text=new,
    )
    assert aff_rc.debate_year == 2026


@pytest.mark.django_db
def test_three_year_rule_from_rule_book_history(conf: Conf) -> None:
    """Clause 3.II.4: clause 3.III.1 was changed by the 2025 conference? No — by 2022,
    so in 2026 it is open again; 5.II.1 was changed in 2025, so it is blocked until 2028."""
    p = conf.party
    aff = {
        "actor": p.affiliate_officer,
        "clp": None,
        "affiliate": p.affiliate,
        "kind": "rule_change",
    }
    with pytest.raises(DomainError, match=r"changed by the 2025 conference.*before 2028"):
        submit(conf, clause_number="5.II.1", text="Sitting MPs face a trigger ballot.", **aff)
    assert submit(conf, clause_number="3.III.1", text="One delegate per 500 members.", **aff).pk


@pytest.mark.django_db
def test_three_year_rule_from_a_decided_rule_change(conf: Conf) -> None:
    setup.conference_create(
        actor=conf.cac,
        year=2027,
        title="Annual Conference 2027",
        venue="Brighton",
        starts_on=dt.date(2027, 9, 26),
        ends_on=dt.date(2027, 9, 29),
        motions_deadline=dt.datetime(2027, 9, 9, tzinfo=dt.UTC),
        rule_changes_deadline=dt.datetime(2027, 6, 20, tzinfo=dt.UTC),
        amendments_deadline=dt.datetime(2027, 9, 1, tzinfo=dt.UTC),
        delegates_deadline=dt.datetime(2027, 8, 31, tzinfo=dt.UTC),
        census_date=dt.date(2027, 5, 31),
    )
    p = conf.party
    rc = submit(
        conf,
        actor=p.affiliate_officer,
        clp=None,
        affiliate=p.affiliate,
        kind="rule_change",
        clause_number="3.II.2",
        text="Motions: 250 words, and titles 10 words, printed in full.",
    )
    rc = submissions.submission_rule(actor=conf.cac, submission=rc, in_order=True)
    item = floor.item_create(
        actor=conf.cac,
        session=card_item(conf.conference, conf.cac).session,
        submission=rc,
        method=AgendaItem.Method.HANDS,
    )
    floor.item_close(actor=conf.cac, item=item, outcome="lost")
    conf27 = common_queries.conference_by_year(2027)
    assert conf27 is not None
    with (
        time_machine.travel(dt.datetime(2027, 3, 1, tzinfo=dt.UTC), tick=False),
        pytest.raises(DomainError, match=r"decided on clause 3\.II\.2 in 2026.*before 2029"),
    ):
        submissions.submission_create(
            actor=p.affiliate_officer,
            conference=conf27,
            kind="rule_change",
            affiliate=p.affiliate,
            clause_number="3.II.2",
            title="Longer motions",
            text="Motions: 400 words.",
            meeting_date=dt.date(2027, 2, 1),
            meeting_for=5,
            meeting_against=1,
        )


# --- Arrangements -------------------------------------------------------------------------------
@pytest.mark.django_db
def test_cac_rules_with_reason_and_publishes_the_agenda(conf: Conf) -> None:
    sub = submit(conf)
    with pytest.raises(PermissionDenied):
        submissions.submission_rule(
            actor=conf.party.clp_secretary, submission=sub, in_order=False, reason="x"
        )
    with pytest.raises(DomainError, match="give the reason"):
        submissions.submission_rule(actor=conf.cac, submission=sub, in_order=False, reason="  ")
    with pytest.raises(DomainError, match="choose the topic"):
        submissions.submission_rule(actor=conf.cac, submission=sub, in_order=True)
    with pytest.raises(DomainError, match="1 submission is still awaiting a ruling"):
        submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    sub = submissions.submission_rule(
        actor=conf.cac,
        submission=sub,
        in_order=False,
        reason="Not contemporary: covered by the NPF report.",
    )
    assert sub.status == Submission.Status.OUT_OF_ORDER and sub.ruled_by == conf.cac
    submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    conf.conference.dates.refresh_from_db()
    assert conf.conference.dates.agenda_published_at is not None


@pytest.mark.django_db
def test_topic_names_are_unique(conf: Conf) -> None:
    setup.topic_create(actor=conf.cac, conference=conf.conference, name="Housing")
    with pytest.raises(DomainError, match="already a topic"):
        setup.topic_create(actor=conf.cac, conference=conf.conference, name="housing")


# --- Delegates --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_delegate_entitlement_from_census_membership(conf: Conf) -> None:
    p = conf.party
    add_members(p.northtown, 997, women=120, young=35)  # 1,000 members in all
    ent = delegates_queries.clp_entitlement(conf.conference, p.northtown.pk)
    assert (ent.members, ent.general, ent.woman_delegate, ent.youth_delegate) == (
        1000,
        3,
        True,
        True,
    )
    # A member who joined after the census date does not count.
    f.MemberFactory(clp=p.northtown, joined=dt.date(2026, 6, 1))
    assert delegates_queries.clp_entitlement(conf.conference, p.northtown.pk).members == 1000


@pytest.mark.django_db
def test_delegate_rules(conf: Conf) -> None:
    p = conf.party  # Northtown: 3 members -> 1 general delegate, no extras
    p.me.gender = "woman"  # a single delegate must be a woman (clause 3.III.2)
    p.me.save(update_fields=["gender"])
    with pytest.raises(PermissionDenied):
        delegates.delegate_register(
            actor=p.member, conference=conf.conference, member=p.me, meeting_date=MEETING
        )
    with pytest.raises(DomainError, match="give the date of the meeting"):
        delegates.delegate_register(actor=p.clp_secretary, conference=conf.conference, member=p.me)
    with pytest.raises(DomainError, match="not entitled to a women's delegate"):
        delegates.delegate_register(
            actor=p.clp_secretary,
            conference=conf.conference,
            member=p.me,
            kind=Delegate.Kind.WOMAN,
            meeting_date=MEETING,
        )
    d = delegates.delegate_register(
        actor=p.clp_secretary, conference=conf.conference, member=p.me, meeting_date=MEETING
    )
    assert len(d.credential) == 8
    with pytest.raises(DomainError, match="already a delegate"):
        delegates.delegate_register(
            actor=p.clp_secretary, conference=conf.conference, member=p.me, meeting_date=MEETING
        )
    with pytest.raises(DomainError, match="entitled to 1"):
        delegates.delegate_register(
            actor=p.clp_secretary,
            conference=conf.conference,
            member=p.neighbour,
            meeting_date=MEETING,
        )
    late = f.MemberFactory(clp=p.northtown, joined=dt.date(2026, 6, 1))
    with pytest.raises(DomainError, match="was not a member on the census date"):
        delegates.delegate_register(
            actor=p.clp_secretary, conference=conf.conference, member=late, meeting_date=MEETING
        )
    with pytest.raises(PermissionDenied):
        delegates.delegate_check_in(actor=p.member, delegate=d)
    delegates.delegate_check_in(actor=p.clp_chair, delegate=d)
    with pytest.raises(DomainError, match="already checked in"):
        delegates.delegate_check_in(actor=conf.cac, delegate=d)


@pytest.mark.django_db
def test_gender_balance_refuses_a_delegation_that_cannot_reach_it(conf: Conf) -> None:
    p = conf.party
    add_members(p.northtown, 996)  # 1,000 with the first delegate: 3 general, 1 a woman
    delegate(conf.conference, p.clp_secretary, p.northtown, woman=False, checked_in=False)
    delegate(conf.conference, p.clp_secretary, p.northtown, woman=False, checked_in=False)
    with pytest.raises(DomainError, match="at least 1 of the 3 delegates must be women"):
        delegate(conf.conference, p.clp_secretary, p.northtown, woman=False, checked_in=False)
    delegate(conf.conference, p.clp_secretary, p.northtown, woman=True, checked_in=False)
    assert Delegate.objects.count() == 3


@pytest.mark.django_db
def test_single_delegate_must_be_a_woman_after_a_man(conf: Conf) -> None:
    """Clause 3.III.2: a one-delegate CLP sends a woman at least every other year."""
    from rankandfile.conference.models import Conference

    p = conf.party  # Easton: one delegate
    Delegate.objects.create(
        conference=Conference.objects.get(year=2025),
        clp=p.easton,
        member=p.eastoner,
        registered_at=dt.datetime(2025, 8, 1, tzinfo=dt.UTC),
        credential="00000001",
    )
    p.eastoner.gender = "man"
    p.eastoner.save(update_fields=["gender"])
    with pytest.raises(DomainError, match="every other year"):
        delegate(conf.conference, conf.cac, p.easton, woman=False, checked_in=False)
    assert delegate(conf.conference, conf.cac, p.easton, woman=True, checked_in=False).pk


@pytest.mark.django_db
def test_registration_deadline_binds_officers_not_the_cac(conf: Conf, clock: Any) -> None:
    p = conf.party
    p.me.gender = "woman"
    p.me.save(update_fields=["gender"])
    clock.move_to(dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    with pytest.raises(DomainError, match="registration closed"):
        delegates.delegate_register(
            actor=p.clp_secretary, conference=conf.conference, member=p.me, meeting_date=MEETING
        )
    assert delegates.delegate_register(
        actor=conf.cac, conference=conf.conference, member=p.me, meeting_date=MEETING
    ).pk


@pytest.mark.django_db
def test_affiliate_delegation_casts_its_affiliated_membership(conf: Conf) -> None:
    p = conf.party
    with pytest.raises(PermissionDenied):
        delegates.delegation_register(
            actor=p.member, conference=conf.conference, affiliate=p.affiliate, leader=p.member
        )
    d = delegates.delegation_register(
        actor=p.affiliate_officer,
        conference=conf.conference,
        affiliate=p.affiliate,
        leader=p.affiliate_officer,
        size=12,
    )
    assert d.affiliated_members == 120_000
    other = f.AffiliateFactory()
    with pytest.raises(DomainError, match="no affiliated membership recorded"):
        delegates.delegation_register(
            actor=conf.cac, conference=conf.conference, affiliate=other, leader=conf.cac
        )


# --- Priorities -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_priorities_ballot_per_section(conf: Conf) -> None:
    p = conf.party
    topics = [
        setup.topic_create(actor=conf.cac, conference=conf.conference, name=n)
        for n in (
            "Housing",
            "NHS",
            "Rail",
            "Climate",
            "Workers' rights",
            "Europe",
            "Schools",
            "Care",
        )
    ]
    with pytest.raises(DomainError, match="publish the agenda"):
        priorities.priorities_open(actor=conf.cac, conference=conf.conference)
    submissions.agenda_publish(actor=conf.cac, conference=conf.conference)
    priorities.priorities_open(actor=conf.cac, conference=conf.conference)
    with pytest.raises(DomainError, match="at most 6 topics"):
        priorities.priorities_cast(
            actor=p.clp_secretary, conference=conf.conference, topics=topics[:7], clp=p.northtown
        )
    with pytest.raises(PermissionDenied):
        priorities.priorities_cast(
            actor=p.clp_secretary, conference=conf.conference, topics=topics[:2], clp=p.easton
        )
    priorities.priorities_cast(
        actor=p.clp_secretary, conference=conf.conference, topics=topics[:6], clp=p.northtown
    )
    with pytest.raises(DomainError, match="already voted"):
        priorities.priorities_cast(
            actor=p.clp_chair, conference=conf.conference, topics=topics[:1], clp=p.northtown
        )
    priorities.priorities_cast(
        actor=p.affiliate_officer,
        conference=conf.conference,
        topics=[topics[7]],
        affiliate=p.affiliate,
    )
    result = priorities.priorities_close(actor=conf.cac, conference=conf.conference)
    debated = {d["topic"]: d["prioritised_by"] for d in result["debated"]}
    assert debated == {
        "Housing": ["clp"],
        "NHS": ["clp"],
        "Rail": ["clp"],
        "Climate": ["clp"],
        "Workers' rights": ["clp"],
        "Europe": ["clp"],
        "Care": ["affiliate"],
    }
    assert not Topic.objects.get(name="Schools").debated
    assert Topic.objects.get(name="Care").prioritised_by == "affiliate"


# --- Compositing -----------------------------------------------------------------------------
@pytest.mark.django_db
def test_compositing_flow(conf: Conf) -> None:
    p = conf.party
    a = in_order_motion(
        conf, text="Conference calls for rail in public ownership. Fares must be cut."
    )
    b = in_order_motion(
        conf,
        actor=p.affiliate_officer,
        clp=None,
        affiliate=p.affiliate,
        text="Conference demands a national bus network. Buses must be free for under-22s.",
    )
    c = compositing.composite_create(
        actor=conf.cac,
        topic=a.topic,
        title="Public transport",
        text="Conference calls for rail in public ownership. Buses must be free for everyone.",
    )
    view = compositing_queries.composite_view(c)
    assert [s.pk for s in view.originals] == [a.pk, b.pk]
    assert view.new_words == ["everyone"]
    with pytest.raises(PermissionDenied):
        compositing.composite_sign(actor=p.affiliate_officer, composite=c, submission=a)
    compositing.composite_sign(actor=p.clp_secretary, composite=c, submission=a)
    compositing.composite_update(
        actor=conf.cac,
        composite=c,
        title="Public transport",
        text="Conference calls for rail in public ownership. Buses must be free for under-22s.",
    )
    assert compositing_queries.composite_view(c).signed == {}  # redraft withdraws agreements
    with pytest.raises(DomainError, match="must be agreed"):
        floor.item_create(
            actor=conf.cac, session=card_item(conf.conference, conf.cac).session, composite=c
        )
    compositing.composite_sign(actor=p.clp_secretary, composite=c, submission=a)
    compositing.composite_sign(actor=p.affiliate_officer, composite=c, submission=b)
    c.refresh_from_db()
    assert c.status == Composite.Status.AGREED
    assert set(c.originals.values_list("status", flat=True)) == {Submission.Status.COMPOSITED}
    assert list(c.originals.order_by("pk")) == [a, b]
    with pytest.raises(DomainError, match="agreed by every mover and is final"):
        compositing.composite_update(actor=conf.cac, composite=c, title="x", text="y")


# --- Programme and rule book -----------------------------------------------------------------
@pytest.mark.django_db
def test_superseding_motion_replaces_an_entry_and_keeps_history(conf: Conf) -> None:
    first = in_order_motion(conf)
    session = card_item(conf.conference, conf.cac).session
    item = floor.item_create(actor=conf.cac, session=session, submission=first)
    AgendaItem.objects.filter(pk=item.pk).update(state="open")
    from tests.conference.test_cardvote import _cards

    _cards(item, conf.cac, [("clp", 9, "for"), ("clp", 1, "against"), ("affiliate", 9, "for")])
    floor.item_close(actor=conf.cac, item=item)
    old = ProgrammeEntry.objects.get()
    second = in_order_motion(
        conf,
        actor=conf.party.affiliate_officer,
        clp=None,
        affiliate=conf.party.affiliate,
        supersedes=old,
        title="Rail renationalised now",
    )
    item2 = floor.item_create(actor=conf.cac, session=session, submission=second)
    AgendaItem.objects.filter(pk=item2.pk).update(state="open")
    _cards(item2, conf.cac, [("clp", 1, "for"), ("affiliate", 1, "for")])
    floor.item_close(actor=conf.cac, item=item2)
    old.refresh_from_db()
    new = ProgrammeEntry.objects.exclude(pk=old.pk).get()
    assert new.supersedes == old and old.removed_in == new.added_in
    assert list(ProgrammeEntry.objects.current()) == [new]


@pytest.mark.django_db
def test_carried_rule_change_makes_a_new_rule_book_that_the_software_obeys(conf: Conf) -> None:
    p = conf.party
    new_text = "A motion shall not exceed 300 words, and its title shall not exceed 12 words."
    rc = submit(
        conf,
        actor=p.affiliate_officer,
        clp=None,
        affiliate=p.affiliate,
        kind="rule_change",
        clause_number="3.II.2",
        text=new_text,
    )
    rc = submissions.rule_change_parameters_set(
        actor=conf.cac,
        submission=rc,
        changes={"motion_max_words": "300", "motion_title_max_words": "12"},
    )
    rc = submissions.submission_rule(actor=conf.cac, submission=rc, in_order=True)
    item = floor.item_create(
        actor=conf.cac, session=card_item(conf.conference, conf.cac).session, submission=rc
    )
    AgendaItem.objects.filter(pk=item.pk).update(state="open")
    from tests.conference.test_cardvote import _cards

    _cards(
        item,
        conf.cac,
        [
            ("clp", 55, "for"),
            ("clp", 45, "against"),
            ("affiliate", 3, "for"),
            ("affiliate", 2, "against"),
        ],
    )
    item = floor.item_close(actor=conf.cac, item=item)
    assert item.outcome == "carried" and not ProgrammeEntry.objects.exists()  # rules, not policy
    v = rule_book_services.rule_book_publish(
        actor=conf.cac, conference=conf.conference, effective_from=dt.date(2026, 10, 1)
    )
    clause = RuleClause.objects.get(version=v, number="3.II.2")
    assert clause.text == new_text and clause.agenda_item == item and clause.since_year == 2026
    assert "carried at the 2026 conference, 57.50% for" in clause.origin
    assert RuleClause.objects.filter(version=v).count() == len(rulebook_data.CLAUSES)
    assert rulebook.parameters_in_force(on=dt.date(2026, 9, 30)).motion_max_words == 250
    assert rulebook.parameters_in_force(on=dt.date(2026, 10, 1)).motion_max_words == 300
    with pytest.raises(DomainError, match="already been published"):
        rule_book_services.rule_book_publish(
            actor=conf.cac, conference=conf.conference, effective_from=dt.date(2026, 11, 1)
        )
    assert RuleBookVersion.objects.count() == 6


@pytest.mark.django_db
def test_delegates_from_a_declared_ballot(conf: Conf) -> None:
    from tests.ballots.factories import BallotFactory

    p = conf.party
    p.me.gender = "woman"
    p.me.save(update_fields=["gender"])
    name = f"{p.me.first_name} {p.me.last_name} ({p.me.membership_number})"
    ballot = BallotFactory(clp=p.northtown, options=[name, "Someone Else (RF999999)"])
    with pytest.raises(DomainError, match="not been declared"):
        delegates.delegates_from_ballot(
            actor=p.clp_secretary, conference=conf.conference, clp=p.northtown, ballot=ballot
        )
    ballot.state, ballot.result = "declared", {"elected": [name]}
    ballot.save(update_fields=["state", "result"])
    with pytest.raises(DomainError, match="not a ballot of this CLP"):
        delegates.delegates_from_ballot(
            actor=conf.cac, conference=conf.conference, clp=p.easton, ballot=ballot
        )
    (d,) = delegates.delegates_from_ballot(
        actor=p.clp_secretary, conference=conf.conference, clp=p.northtown, ballot=ballot
    )
    assert d.member == p.me and d.method == Delegate.Method.BALLOT and d.ballot == ballot
    ballot.result = {"elected": ["No Number Here"]}
    ballot.save(update_fields=["result"])
    Delegate.objects.all().delete()
    with pytest.raises(DomainError, match="membership number in brackets"):
        delegates.delegates_from_ballot(
            actor=p.clp_secretary, conference=conf.conference, clp=p.northtown, ballot=ballot
        )
