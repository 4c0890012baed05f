"""Card votes: exact arithmetic reproducing published results, shares among delegates
present, the programme threshold, casting rules."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction

import pytest

from rankandfile.conference.models import AgendaItem, Card, ProgrammeEntry, ProgrammeVersion
from rankandfile.conference.queries import floor as floor_queries
from rankandfile.conference.rules import RuleParameters
from rankandfile.conference.services import delegates, floor
from rankandfile.core.errors import DomainError, PermissionDenied
from rankandfile.counting.yesno import percent_str
from tests.conference.conftest import Conf
from tests.conference.helpers import add_members, card_item, delegate
from tests.membership import factories as f

P = RuleParameters()


def _cards(item: AgendaItem, user, votes: list[tuple[str, int, str]]) -> None:  # type: ignore[no-untyped-def]
    """One card per (section, weight, choice), each its own unit with one voter present."""
    Card.objects.bulk_create(
        Card(
            item=item,
            section=s,
            unit_id=i,
            unit_name=f"unit {i}",
            unit_weight=w,
            unit_present=1,
            user=user,
            choice=c,
        )
        for i, (s, w, c) in enumerate(votes, start=1)
    )


@pytest.mark.django_db
def test_reproduces_labour_2021_card_vote_one(conf: Conf) -> None:
    """Labour conference 2021, card vote 1 ("national equalities structures"), as
    published (LabourList, 1 October 2021): CLPs 342,921 for / 8,723 against (97.5%),
    affiliates 1,810,113 / 4,825 (99.73%); total 98.63% for, 1.37% against."""
    item = card_item(conf.conference, conf.cac)
    _cards(
        item,
        conf.cac,
        [
            ("clp", 342_921, "for"),
            ("clp", 8_723, "against"),
            ("affiliate", 1_810_113, "for"),
            ("affiliate", 4_825, "against"),
        ],
    )
    t = floor_queries.card_tally(item, P)
    assert t.result is not None
    exact = Fraction(1, 2) * Fraction(342_921, 351_644) + Fraction(1, 2) * Fraction(
        1_810_113, 1_814_938
    )
    assert t.result.for_share == exact  # exact, not rounded
    assert (t.for_percent, t.against_percent) == ("98.63%", "1.37%")
    clp, aff = t.result.sections
    assert percent_str(clp.for_fraction) == "97.52%"  # published rounded to 97.5%
    assert percent_str(aff.for_fraction) == "99.73%"
    assert percent_str(clp.for_part) == "48.76%" and percent_str(aff.for_part) == "49.87%"
    assert percent_str(clp.against_part) == "1.24%" and percent_str(aff.against_part) == "0.13%"


@pytest.mark.django_db
def test_reproduces_labour_2021_card_vote_two_sections(conf: Conf) -> None:
    """Card vote 2 ("national student structures"): CLPs 343,012 / 6,588 (98.12%),
    affiliates 1,815,455 / 3,825 (99.79%)."""
    item = card_item(conf.conference, conf.cac)
    _cards(
        item,
        conf.cac,
        [
            ("clp", 343_012, "for"),
            ("clp", 6_588, "against"),
            ("affiliate", 1_815_455, "for"),
            ("affiliate", 3_825, "against"),
        ],
    )
    r = floor_queries.card_tally(item, P).result
    assert r is not None and r.carried
    assert [percent_str(s.for_fraction) for s in r.sections] == ["98.12%", "99.79%"]
    assert r.for_share + r.against_share == 1


@pytest.mark.django_db
def test_clp_vote_shared_among_delegates_present(conf: Conf) -> None:
    """Clause 3.IV.1: a CLP's membership is divided equally among its delegates present;
    affiliates cast their affiliated membership. Hand computation:
    Northtown 1,003 members, 3 delegates present: 2 for, 1 against -> 2006/3 for, 1003/3
    against (a fourth, the women's delegate, is not checked in);
    Easton 400 members, 1 delegate, abstains (not a vote cast).
    CLP section: 2/3 for. Affiliate UM 120,000 for, second affiliate 80,000
    against: 3/5 for. Combined: 1/2 * 2/3 + 1/2 * 3/5 = 19/30 = 63.33% for."""
    p = conf.party
    add_members(p.northtown, 996, women=450)  # + 3 in the party fixture + 4 delegates
    add_members(p.easton, 398, women=200)  # + Eve Eastoner + 1 delegate
    ds = [delegate(conf.conference, conf.cac, p.northtown, woman=w) for w in (True, False, True)]
    late = delegate(conf.conference, conf.cac, p.northtown, checked_in=False, kind="woman")
    e = delegate(conf.conference, conf.cac, p.easton)
    other = f.AffiliateFactory(name="Transport Union", short_name="TU")
    f.AffiliationYearFactory(affiliate=other, year=2026, affiliated_members=80_000)
    leaders = [f.UserFactory(), f.UserFactory()]
    for aff, leader in ((p.affiliate, leaders[0]), (other, leaders[1])):
        dl = delegates.delegation_register(
            actor=conf.cac, conference=conf.conference, affiliate=aff, leader=leader
        )
        delegates.delegation_check_in(actor=conf.cac, delegation=dl)
    item = card_item(conf.conference, conf.cac)
    assert floor.card_vote_open(actor=conf.cac, item=item) == 6
    assert not Card.objects.filter(item=item, delegate=late).exists()  # not checked in
    card = {
        c.delegate_id or -c.delegation.affiliate_id: c
        for c in Card.objects.filter(item=item).select_related("delegation")
    }
    assert {
        c.unit_present for c in card.values() if c.section == "clp" and c.unit_id == p.northtown.pk
    } == {3}
    assert card[ds[0].pk].unit_weight == 1003
    floor.card_cast(actor=ds[0].member.user, card_id=card[ds[0].pk].pk, choice="for")
    floor.card_cast(actor=ds[1].member.user, card_id=card[ds[1].pk].pk, choice="against")
    floor.card_cast(
        actor=ds[1].member.user, card_id=card[ds[1].pk].pk, choice="for"
    )  # changes mind
    floor.card_cast(actor=ds[2].member.user, card_id=card[ds[2].pk].pk, choice="against")
    floor.card_cast(actor=e.member.user, card_id=card[e.pk].pk, choice="abstain")
    floor.card_cast(actor=leaders[0], card_id=card[-p.affiliate.pk].pk, choice="for")
    floor.card_cast(actor=leaders[1], card_id=card[-other.pk].pk, choice="against")
    t = floor_queries.card_tally(item, P)
    assert t.result is not None and t.cast == 6 and t.cards == 6
    clp = t.result.sections[0]
    assert (clp.for_votes, clp.against, clp.abstain) == (Fraction(2006, 3), Fraction(1003, 3), 400)
    assert t.result.for_share == Fraction(19, 30)
    closed = floor.item_close(actor=conf.cac, item=item)
    assert closed.outcome == AgendaItem.Outcome.CARRIED
    assert closed.for_share == "19/30" and closed.result["for_percent"] == "63.33%"
    assert not ProgrammeEntry.objects.exists()  # carried, but under two-thirds


@pytest.mark.django_db
def test_someone_elses_card_and_closed_votes_are_refused(conf: Conf) -> None:
    p = conf.party
    d = delegate(conf.conference, conf.cac, p.northtown)
    item = card_item(conf.conference, conf.cac)
    floor.card_vote_open(actor=conf.cac, item=item)
    card = Card.objects.get(item=item)
    with pytest.raises(PermissionDenied):
        floor.card_cast(actor=p.member, card_id=card.pk, choice="for")
    with pytest.raises(DomainError, match="for, against or abstain"):
        floor.card_cast(actor=d.member.user, card_id=card.pk, choice="maybe")
    floor.card_cast(actor=d.member.user, card_id=card.pk, choice="for")
    floor.item_close(actor=conf.cac, item=item)
    with pytest.raises(DomainError, match="not open"):
        floor.card_cast(actor=d.member.user, card_id=card.pk, choice="against")
    with pytest.raises(DomainError, match="already been decided"):
        floor.item_close(actor=conf.cac, item=item)
    card.refresh_from_db()
    assert card.choice == "for"


@pytest.mark.django_db
def test_open_needs_cac_a_card_method_and_delegates(conf: Conf) -> None:
    item = card_item(conf.conference, conf.cac)
    with pytest.raises(PermissionDenied):
        floor.card_vote_open(actor=conf.party.clp_chair, item=item)
    with pytest.raises(DomainError, match="no delegates are checked in"):
        floor.card_vote_open(actor=conf.cac, item=item)
    assert AgendaItem.objects.get(pk=item.pk).state == AgendaItem.State.PENDING


@pytest.mark.django_db
def test_exactly_two_thirds_enters_the_programme_and_links_back(conf: Conf) -> None:
    """Clause 3.I.2: "not less than two-thirds" — exactly 2/3 is enough."""
    from tests.conference.test_services import in_order_motion

    sub = in_order_motion(conf)
    session = floor.session_create(
        actor=conf.cac,
        conference=conf.conference,
        title="Monday",
        starts_at=dt.datetime(2026, 9, 28, 10, tzinfo=dt.UTC),
    )
    item = floor.item_create(actor=conf.cac, session=session, submission=sub)
    _cards(
        item,
        conf.cac,
        [
            ("clp", 200, "for"),
            ("clp", 100, "against"),
            ("affiliate", 2000, "for"),
            ("affiliate", 1000, "against"),
        ],
    )
    AgendaItem.objects.filter(pk=item.pk).update(state=AgendaItem.State.OPEN)
    item = floor.item_close(actor=conf.cac, item=item)
    assert item.for_share == "2/3"
    entry = ProgrammeEntry.objects.get()
    assert entry.agenda_item == item and entry.conference == conf.conference
    assert entry.title == sub.title and entry.topic == sub.topic.name
    assert entry.figures["for_percent"] == "66.67%"
    assert ProgrammeVersion.objects.get().conference == conf.conference
    assert list(ProgrammeEntry.objects.current()) == [entry]
