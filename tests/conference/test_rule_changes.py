"""Rule changes change the software (issue 16.1).

The submitter states the clause text; the CAC attaches typed parameter changes, checked
against ``RuleParameters`` and the parameters the clause states; the floor and publishing
refuse a clause text and parameters that disagree. One test per parameter type (whole
number, yes/no, fraction, section shares, choice) shows the software behaving differently
once the rule book is published, and the same before.
"""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from rankandfile.conference import rulebook_data, rulechanges
from rankandfile.conference.models import (
    AgendaItem,
    Conference,
    ProgrammeEntry,
    RuleBookVersion,
    RuleClause,
    Submission,
)
from rankandfile.conference.queries import common as common_queries
from rankandfile.conference.queries import submissions as submissions_queries
from rankandfile.conference.rulebook import parameters_in_force
from rankandfile.conference.rules import RuleParameters, SelectionMode
from rankandfile.conference.services import amendments, floor, programme, rulebook, setup
from rankandfile.conference.services import submissions as subs
from rankandfile.core.errors import DomainError
from rankandfile.selections import services as selection_services
from tests.conference.conftest import Conf, motion_text
from tests.conference.helpers import card_item
from tests.conference.test_cardvote import _cards

UTC = dt.UTC
EFFECTIVE = dt.date(2026, 10, 1)
MOTIONS_200 = "A motion shall not exceed 200 words, and its title shall not exceed 10 words."


def rule_change(conf: Conf, clause: str, text: str, conference: Conference | None = None,
                now: dt.datetime | None = None) -> Submission:  # fmt: skip
    p = conf.party
    return subs.submission_create(
        actor=p.affiliate_officer,
        conference=conference or conf.conference,
        affiliate=p.affiliate,
        kind=Submission.Kind.RULE_CHANGE,
        clause_number=clause,
        title="A rule change",
        text=text,
        meeting_date=dt.date(2026, 5, 12),
        meeting_for=9,
        meeting_against=1,
        now=now,
    )


def carry(conf: Conf, rc: Submission, *, effective: dt.date = EFFECTIVE) -> RuleBookVersion:
    """Rule the rule change in order, carry it on a card vote, publish the rule book."""
    conference = Conference.objects.get(year=rc.debate_year)
    rc = subs.submission_rule(actor=conf.cac, submission=rc, in_order=True)
    session = card_item(conference, conf.cac).session
    item = floor.item_create(actor=conf.cac, session=session, submission=rc)
    AgendaItem.objects.filter(pk=item.pk).update(state="open")
    _cards(item, conf.cac, [("clp", 3, "for"), ("affiliate", 3, "for")])
    assert floor.item_close(actor=conf.cac, item=item).outcome == "carried"
    return rulebook.rule_book_publish(
        actor=conf.cac, conference=conference, effective_from=effective
    )


def conference_2027(conf: Conf) -> Conference:
    return setup.conference_create(
        actor=conf.cac,
        year=2027,
        title="Annual Conference 2027",
        venue="Brighton",
        starts_on=dt.date(2027, 9, 26),
        ends_on=dt.date(2027, 9, 29),
        motions_deadline=dt.datetime(2027, 9, 9, tzinfo=UTC),
        rule_changes_deadline=dt.datetime(2027, 6, 20, tzinfo=UTC),
        amendments_deadline=dt.datetime(2027, 9, 1, tzinfo=UTC),
        delegates_deadline=dt.datetime(2027, 8, 31, tzinfo=UTC),
        census_date=dt.date(2027, 5, 31),
    )


def motion(conf: Conf, conference: Conference, words: int, now: dt.datetime) -> Submission:
    return subs.submission_create(
        actor=conf.party.clp_secretary,
        conference=conference,
        clp=conf.party.northtown,
        kind=Submission.Kind.MOTION,
        title="Bring rail back into public ownership",
        text=motion_text(words),
        meeting_date=dt.date(2026, 5, 12),
        meeting_for=9,
        meeting_against=1,
        now=now,
    )


# --- One test per parameter type -----------------------------------------------------------
@pytest.mark.django_db
def test_whole_number_the_motion_word_limit_falls_to_200_after_publication(conf: Conf) -> None:
    rc = rule_change(conf, "3.II.2", MOTIONS_200)
    rc = subs.rule_change_parameters_set(
        actor=conf.cac, submission=rc, changes={"motion_max_words": "200"}
    )
    assert rc.parameter_changes == {"motion_max_words": 200}
    # Before publication the limit is 250: a 220-word motion is in.
    assert motion(conf, conf.conference, 220, dt.datetime(2026, 6, 2, tzinfo=UTC)).pk
    v = carry(conf, rc)
    assert v.parameters["motion_max_words"] == 200
    assert RuleClause.objects.get(version=v, number="3.II.2").text == MOTIONS_200
    nxt = conference_2027(conf)
    with pytest.raises(DomainError, match="the motion has 220 words; the limit is 200"):
        motion(conf, nxt, 220, dt.datetime(2026, 11, 1, tzinfo=UTC))
    assert motion(conf, nxt, 200, dt.datetime(2026, 11, 1, tzinfo=UTC)).pk


@pytest.mark.django_db
def test_fraction_the_programme_threshold_falls_to_three_fifths(conf: Conf) -> None:
    text = (
        "No proposal shall be included in the Party programme unless it has been adopted by "
        "conference by a majority of not less than three-fifths of the votes recorded on a "
        "card vote."
    )
    rc = rule_change(conf, "3.I.2", text)
    subs.rule_change_parameters_set(
        actor=conf.cac, submission=rc, changes={"programme_threshold": "3/5"}
    )
    # 62% for: carried, but under two-thirds: not in the programme at the 2026 conference.
    item = programme.historic_vote_record(actor=conf.cac, conference=conf.conference,
        title="A motion at 62%", topic="Transport", text="Text.", clp_for=62, clp_against=38,
        affiliate_for=62, affiliate_against=38)  # fmt: skip
    assert item.outcome == "carried" and not ProgrammeEntry.objects.exists()
    carry(conf, rc)
    nxt = conference_2027(conf)
    item = programme.historic_vote_record(actor=conf.cac, conference=nxt,
        title="A motion at 62%", topic="Transport", text="Text.", clp_for=62, clp_against=38,
        affiliate_for=62, affiliate_against=38)  # fmt: skip
    assert ProgrammeEntry.objects.get().agenda_item == item


@pytest.mark.django_db
def test_section_shares_clps_cast_three_fifths_of_the_card_vote(conf: Conf) -> None:
    text = rulebook_data.clause_texts(RuleParameters())[8][1]
    assert "50 per cent" in text
    text = text.replace("make up 50 per cent", "make up 60 per cent").replace(
        "organisations 50 per cent", "organisations 40 per cent"
    )
    rc = rule_change(conf, "3.IV.1", text)
    subs.rule_change_parameters_set(
        actor=conf.cac,
        submission=rc,
        changes={"card_vote_section_shares": "clp=3/5, affiliate=2/5"},
    )
    vote: dict[str, Any] = {
        "title": "CLPs for, affiliates against",
        "topic": "T",
        "text": "Text.",
        "clp_for": 100,
        "clp_against": 0,
        "affiliate_for": 0,
        "affiliate_against": 100,
    }
    before = programme.historic_vote_record(actor=conf.cac, conference=conf.conference, **vote)
    assert before.outcome == "lost" and before.for_share == "1/2"
    carry(conf, rc)
    after = programme.historic_vote_record(actor=conf.cac, conference=conference_2027(conf), **vote)
    assert after.outcome == "carried" and after.for_share == "3/5"
    assert common_queries.conference_parameters(
        Conference.objects.get(year=2027)
    ).card_vote_section_shares["clp"] == Fraction(3, 5)


@pytest.mark.django_db
def test_yes_no_candidates_need_no_trade_union_after_publication(conf: Conf, clock: Any) -> None:
    from tests.selections.conftest import applicant, apply, northtown_selection, open_round

    text = "An applicant must have been a member for at least 12 months continuously."
    rc = rule_change(conf, "5.II.2", text)
    subs.rule_change_parameters_set(
        actor=conf.cac, submission=rc, changes={"candidate_requires_trade_union": "no"}
    )
    before = northtown_selection(conf.party)
    with pytest.raises(DomainError, match="must be members of a trade union"):
        apply(before, applicant(conf.party, "Ann", "Archer"), union="")
    carry(conf, rc)
    clock.move_to(dt.datetime(2026, 11, 2, 12, tzinfo=UTC))
    after = open_round(conf.party, clps=[conf.party.easton]).selections.get()
    assert after.round.freeze_date >= EFFECTIVE
    bea = applicant(conf.party, "Bea", "Baker", clp=conf.party.easton)
    assert apply(after, bea, union="").trade_union == ""


@pytest.mark.django_db
def test_choice_the_selection_mode_becomes_a_trigger_ballot(conf: Conf) -> None:
    """Clause 5.II.1 changed in 2025: the three-year rule lets it be debated in 2028."""
    c2028 = setup.conference_create(
        actor=conf.cac,
        year=2028,
        title="Annual Conference 2028",
        venue="Liverpool",
        starts_on=dt.date(2028, 9, 24),
        ends_on=dt.date(2028, 9, 27),
        motions_deadline=dt.datetime(2028, 9, 7, tzinfo=UTC),
        rule_changes_deadline=dt.datetime(2028, 6, 20, tzinfo=UTC),
        amendments_deadline=dt.datetime(2028, 9, 1, tzinfo=UTC),
        delegates_deadline=dt.datetime(2028, 8, 31, tzinfo=UTC),
        census_date=dt.date(2028, 5, 31),
    )
    text = rulebook_data.clause_values(RuleParameters(selection_mode=SelectionMode.TRIGGER_2021))[
        "selection_text"
    ]
    with pytest.raises(DomainError, match="three-year rule"):
        rule_change(conf, "5.II.1", str(text))
    rc = rule_change(conf, "5.II.1", str(text), conference=c2028)
    with pytest.raises(DomainError, match="choose one of"):
        subs.rule_change_parameters_set(
            actor=conf.cac, submission=rc, changes={"selection_mode": "whatever"}
        )
    subs.rule_change_parameters_set(
        actor=conf.cac, submission=rc, changes={"selection_mode": SelectionMode.TRIGGER_2021}
    )

    def round_mode(opens: dt.date) -> str:
        return selection_services.round_open(
            actor=conf.party.national_admin,
            name=f"Round {opens}",
            clps=[conf.party.easton],
            freeze_date=opens - dt.timedelta(days=1),
            applications_open=opens,
            applications_close=opens + dt.timedelta(days=10),
            ballot_closes_by=opens + dt.timedelta(days=60),
            trigger_closes=opens - dt.timedelta(days=1),
        ).mode

    assert round_mode(dt.date(2028, 11, 1)) == SelectionMode.MANDATORY_OPEN
    carry(conf, rc, effective=dt.date(2028, 10, 1))
    assert round_mode(dt.date(2028, 11, 2)) == SelectionMode.TRIGGER_2021
    assert round_mode(dt.date(2028, 9, 1)) == SelectionMode.MANDATORY_OPEN


# --- Checks ----------------------------------------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("clause", "changes", "message"),
    [
        ("3.II.2", {"motion_max_words": "many"}, "give a whole number"),
        ("3.II.2", {"motion_max_words": "-5"}, "give a whole number"),
        ("3.II.2", {"priorities_topics_per_section": "8"}, "does not state priorities_topics"),
        ("3.II.2", {"no_such_thing": "1"}, "no rule-book parameter 'no_such_thing'"),
        ("3.I.2", {"programme_threshold": "two thirds"}, "give a fraction"),
        ("3.I.2", {"programme_threshold": "3/2"}, "between 0 and 1"),
        ("3.IV.1", {"card_vote_section_shares": "clp=1/2, affiliate=1/3"}, "add up to 1"),
        ("3.IV.1", {"card_vote_section_shares": "half and half"}, "section=share"),
        ("5.II.2", {"candidate_requires_trade_union": "perhaps"}, "answer yes or no"),
    ],
)
def test_parameter_changes_are_typed_and_stated_by_the_clause(
    conf: Conf, clause: str, changes: dict[str, str], message: str
) -> None:
    rc = rule_change(conf, clause, "A new text for this clause, 1 2 3.")
    with pytest.raises(DomainError, match=message):
        subs.rule_change_parameters_set(actor=conf.cac, submission=rc, changes=changes)
    rc.refresh_from_db()
    assert rc.parameter_changes == {}


@pytest.mark.django_db
def test_only_the_cac_attaches_and_only_until_the_floor(conf: Conf) -> None:
    rc = rule_change(conf, "3.II.2", MOTIONS_200)
    with pytest.raises(DomainError, match="arrangements committee"):
        subs.rule_change_parameters_set(
            actor=conf.party.affiliate_officer, submission=rc, changes={"motion_max_words": "200"}
        )
    # Without the parameter change the text (200) and the parameters (250) disagree: the
    # rule change cannot go on the floor.
    assert submissions_queries.rule_change_disagreements(rc)
    rc = subs.submission_rule(actor=conf.cac, submission=rc, in_order=True)
    session = card_item(conf.conference, conf.cac).session
    with pytest.raises(DomainError, match="clause text and its parameter changes disagree"):
        floor.item_create(actor=conf.cac, session=session, submission=rc)
    rc = subs.rule_change_parameters_set(
        actor=conf.cac, submission=rc, changes={"motion_max_words": "200"}
    )
    assert submissions_queries.rule_change_disagreements(rc) == []
    floor.item_create(actor=conf.cac, session=session, submission=rc)
    with pytest.raises(DomainError, match="already on the floor"):
        subs.rule_change_parameters_set(
            actor=conf.cac, submission=rc, changes={"motion_max_words": "210"}
        )


@pytest.mark.django_db
def test_publishing_refuses_a_rule_book_whose_text_and_parameters_disagree(conf: Conf) -> None:
    """A carried amendment changes the number in the text but the parameters say 200:
    publishing refuses, naming the clause, and writes nothing."""
    from tests.conference.test_amendments import _easton_officer

    rc = rule_change(conf, "3.II.2", MOTIONS_200)
    rc = subs.rule_change_parameters_set(
        actor=conf.cac, submission=rc, changes={"motion_max_words": "200"}
    )
    rc = subs.submission_rule(actor=conf.cac, submission=rc, in_order=True)
    subs.agenda_publish(actor=conf.cac, conference=conf.conference)
    a = amendments.amendment_create(
        actor=_easton_officer(conf),
        conference=conf.conference,
        target=rc,
        clp=conf.party.easton,
        text=rc.text.replace("200 words,", "150 words,"),
    )
    a = amendments.amendment_rule(actor=conf.cac, amendment=a, in_order=True)
    session = card_item(conf.conference, conf.cac).session
    target = floor.item_create(actor=conf.cac, session=session, submission=rc)
    ai = floor.item_create(actor=conf.cac, session=session, amendment=a, method="hands")
    floor.item_close(actor=conf.cac, item=ai, outcome=AgendaItem.Outcome.CARRIED)
    AgendaItem.objects.filter(pk=target.pk).update(state="open")
    _cards(target, conf.cac, [("clp", 3, "for"), ("affiliate", 3, "for")])
    floor.item_close(actor=conf.cac, item=target)
    versions = RuleBookVersion.objects.count()
    with pytest.raises(DomainError) as err:
        rulebook.rule_book_publish(
            actor=conf.cac, conference=conf.conference, effective_from=EFFECTIVE
        )
    assert "clause 3.II.2 does not say '200'" in str(err.value)
    assert "motion_max_words" in str(err.value)
    assert RuleBookVersion.objects.count() == versions
    assert parameters_in_force(on=dt.date(2026, 11, 1)).motion_max_words == 250


def test_disagreements_are_whole_words_and_old_values_must_go() -> None:
    p250 = RuleParameters()
    p300 = p250.replace(motion_max_words=300)
    ok = "A motion shall not exceed 300 words, and its title shall not exceed 10 words."
    assert rulechanges.disagreements("3.II.2", ok, p300, p250) == []
    both = "A motion shall not exceed 300 words (formerly 250), and its title 10 words."
    assert "still says '250'" in rulechanges.disagreements("3.II.2", both, p300, p250)[0]
    assert rulechanges.disagreements("3.II.2", "Motions: 2500 words, titles 10.", p250)
    assert rulechanges.disagreements("3.I.1", "Anything at all.", p300, p250) == []
    assert rulechanges.clause_parameters("3.II.2") == ["motion_max_words", "motion_title_max_words"]
    assert rulechanges.clause_parameters("3.IV.1") == ["card_vote_section_shares"]


@pytest.mark.django_db
def test_a_historic_rule_change_makes_no_programme_entry(conf: Conf) -> None:
    """Clause 3.I.2: the programme is policy; a rule change carried by 90% is not."""
    item = programme.historic_vote_record(
        actor=conf.cac,
        conference=Conference.objects.get(year=2018),
        title="Trigger ballot at one third",
        topic="Rules",
        text="A full selection shall be held if one third of branches so indicate.",
        clp_for=90,
        clp_against=10,
        affiliate_for=90,
        affiliate_against=10,
        kind=Submission.Kind.RULE_CHANGE,
    )
    assert item.outcome == "carried" and item.note.startswith("Rule change.")
    assert not ProgrammeEntry.objects.exists()
    programme.historic_vote_record(
        actor=conf.cac,
        conference=Conference.objects.get(year=2018),
        title="A motion carried by 90%",
        topic="Transport",
        text="Text.",
        clp_for=90,
        clp_against=10,
        affiliate_for=90,
        affiliate_against=10,
    )
    assert ProgrammeEntry.objects.count() == 1


# --- Pages -----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_the_cac_attaches_changes_from_the_submission_page(conf: Conf) -> None:
    rc = rule_change(conf, "3.II.2", MOTIONS_200)
    page = reverse("conference:submission", args=[2026, rc.pk])
    url = reverse("conference:rule_change_parameters", args=[2026, rc.pk])
    cac = Client()
    cac.force_login(conf.cac)
    r = cac.get(page)
    assert 'name="motion_max_words"' in r.text and 'value="250"' in r.text
    assert "does not say &#x27;250&#x27;" in r.text  # the text says 200, the parameters 250
    officer = Client()
    officer.force_login(conf.party.affiliate_officer)
    assert 'name="motion_max_words"' not in officer.get(page).text
    assert officer.post(url, {"motion_max_words": "200"}).status_code == 404
    # A bad value: the page again with the error and what was typed; nothing saved.
    r = cac.post(url, {"motion_max_words": "two hundred", "motion_title_max_words": "10"})
    assert r.status_code == 200 and "give a whole number" in r.text
    assert 'value="two hundred"' in r.text
    rc.refresh_from_db()
    assert rc.parameter_changes == {}
    r = cac.post(url, {"motion_max_words": "200", "motion_title_max_words": "10"}, follow=True)
    assert "the word limit of a motion becomes 200" in r.text
    assert "The clause text and the parameters agree." in r.text
    rc.refresh_from_db()
    assert rc.parameter_changes == {"motion_max_words": 200}
    # The agenda, the ballot and the results board show the change.
    rc = subs.submission_rule(actor=conf.cac, submission=rc, in_order=True)
    item = floor.item_create(
        actor=conf.cac, session=card_item(conf.conference, conf.cac).session, submission=rc
    )
    public = Client()
    for where in (
        reverse("conference:detail", args=[2026]),
        reverse("conference:item", args=[2026, item.pk]),
        reverse("conference:board", args=[2026, item.pk]),
    ):
        text = public.get(where).text
        assert "Changes what the software does" in text, where
        assert "the word limit of a motion becomes <strong>200</strong>" in text, where


# --- Chapter 4: a nested (election) parameter ---------------------------------------------
def _contest(rules_on: dt.date) -> Any:
    from rankandfile.elections.models import Contest

    when = dt.datetime(2027, 1, 1, tzinfo=UTC)
    return Contest.objects.create(
        title="Leadership election",
        office="leader",
        kind="vacancy",
        rules_on=rules_on,
        mp_nominations_close=when,
        nominations_close=when,
        field_mps=200,
        field_clps=600,
    )


@pytest.mark.django_db
def test_election_the_vacancy_threshold_falls_to_one_eighth_and_nothing_else_moves(
    conf: Conf,
) -> None:
    """Clause 4.II.1: 20% of MPs becomes 12.5%; every other chapter 4 parameter keeps
    the value in force (the 2021 rules), not the defaults."""
    from rankandfile.elections import queries as election_queries
    from rankandfile.elections import thresholds

    assert "elections.vacancy_mp_share" in rulechanges.clause_parameters("4.II.1")
    assert "elections.nec_clp_method" in rulechanges.clause_parameters("4.III.1")
    in_force = parameters_in_force(on=dt.date(2026, 6, 1))
    assert in_force.elections.vacancy_mp_share == Fraction(1, 5)
    wanted = in_force.replace(elections=in_force.elections.replace(vacancy_mp_share=Fraction(1, 8)))
    text = {c.number: t for c, t in rulebook_data.clause_texts(wanted)}["4.II.1"]
    assert "12.5 per cent" in text
    rc = rule_change(conf, "4.II.1", text)
    # A value stated by another clause is refused; an unknown election parameter too.
    with pytest.raises(DomainError, match=r"does not state elections\.ballot_days"):
        subs.rule_change_parameters_set(
            actor=conf.cac, submission=rc, changes={"elections.ballot_days": "21"}
        )
    with pytest.raises(DomainError, match="no rule-book parameter"):
        subs.rule_change_parameters_set(
            actor=conf.cac, submission=rc, changes={"elections.nonsense": "1"}
        )
    rc = subs.rule_change_parameters_set(
        actor=conf.cac, submission=rc, changes={"elections.vacancy_mp_share": "1/8"}
    )
    assert rc.parameter_changes == {"elections.vacancy_mp_share": "1/8"}
    assert submissions_queries.rule_change_disagreements(rc) == []
    assert submissions_queries.rule_change_rows(rc)[0][2:] == ("1/5", "1/8")
    before_contest = _contest(dt.date(2026, 9, 30))
    v = carry(conf, rc)
    after_contest = _contest(dt.date(2026, 11, 2))
    published = RuleParameters.from_json(v.parameters).elections
    assert published == in_force.elections.replace(vacancy_mp_share=Fraction(1, 8))
    # Every other election parameter is as it was (the 2021 rules, not the defaults:
    # the defaults differ, e.g. registered_supporter and publish_by_section settings).
    before = in_force.elections.to_json()
    after = published.to_json()
    assert {k for k in before if before[k] != after[k]} == {"vacancy_mp_share"}
    # 25 of 200 MPs (12.5%) and 40 of 600 CLPs: not enough before, enough after.
    support = thresholds.Support(mps=25, clps=40, affiliates=())
    old_rules = election_queries.rules_for(before_contest)
    new_rules = election_queries.rules_for(after_contest)
    assert old_rules.vacancy_mp_share == Fraction(1, 5)
    assert new_rules.vacancy_mp_share == Fraction(1, 8)
    assert new_rules.replace(vacancy_mp_share=Fraction(1, 5)) == old_rules
    field = election_queries.contest_field(after_contest)
    assert not thresholds.assess(old_rules, field, support).qualified
    assessment = thresholds.assess(new_rules, field, support)
    assert assessment.qualified
    assert "25 of 200 MPs = 12.5%, threshold 12.5%: met" in assessment.lines[0]


def test_apply_merges_nested_changes_onto_the_rules_in_force() -> None:
    base = RuleParameters(elections=rulebook_data.ELECTIONS_2014, motion_max_words=300).to_json()
    dotted = rulechanges.apply(base, {"elections.nec_clp_seats": 7})
    nested = rulechanges.apply(base, {"elections": {"nec_clp_seats": 7}})
    assert dotted == nested
    got = RuleParameters.from_json(dotted)
    assert got.elections == rulebook_data.ELECTIONS_2014.replace(nec_clp_seats=7)
    assert got.motion_max_words == 300
    assert base["elections"]["nec_clp_seats"] == 6  # the base is not modified


@pytest.mark.django_db
def test_the_cac_changes_an_election_parameter_from_the_submission_page(conf: Conf) -> None:
    in_force = parameters_in_force(on=dt.date(2026, 6, 1))
    wanted = in_force.replace(elections=in_force.elections.replace(vacancy_mp_share=Fraction(1, 8)))
    text = {c.number: t for c, t in rulebook_data.clause_texts(wanted)}["4.II.1"]
    rc = rule_change(conf, "4.II.1", text)
    page = reverse("conference:submission", args=[2026, rc.pk])
    url = reverse("conference:rule_change_parameters", args=[2026, rc.pk])
    cac = Client()
    cac.force_login(conf.cac)
    r = cac.get(page)
    # One field per parameter clause 4.II.1 states, each with the value in force.
    assert 'name="elections.vacancy_mp_share"' in r.text and 'value="1/5"' in r.text
    assert 'name="elections.vacancy_affiliates_min"' in r.text and 'value="3"' in r.text
    assert 'name="elections.ballot_days"' not in r.text
    form = {
        "elections.vacancy_mp_share": "1/8",
        "elections.mp_base_includes_meps": "no",
        "elections.vacancy_clp_share": "1/20",
        "elections.vacancy_affiliates_min": "3",
        "elections.vacancy_affiliates_min_unions": "2",
        "elections.vacancy_affiliates_membership_share": "1/20",
    }
    r = cac.post(url, form, follow=True)
    assert "the share of MPs nominating when there is a vacancy becomes 1/8" in r.text
    assert "The clause text and the parameters agree." in r.text
    rc.refresh_from_db()
    assert rc.parameter_changes == {"elections.vacancy_mp_share": "1/8"}
