"""Demo internal elections (registered in RANKANDFILE_DEMO_SEEDERS), built through the
services: a leadership election in nominations (MPs' nominations open, with the demo MP
login ``mp@demo.rankandfile.org`` able to nominate), a deputy leadership election at the
CLP and affiliate stage (the demo CLP secretary and affiliate officer can nominate), a
declared election of the NEC's CLP section (STV, nine seats, at least five women, counted
by the counting library through the ballots app), a declared leadership election run under
the 2014 rule book (modelled on 2016: affiliated and registered supporters registered on
its page, the result published by electorate section), and two past nomination rounds
with figures modelled on the 2015 and 2020 leadership contests for the comparison of rules.
"""

from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from rankandfile.ballots import services as ballot_services
from rankandfile.ballots.models import Ballot, Elector
from rankandfile.core.models import User
from rankandfile.elections import pastdata, permissions, services
from rankandfile.elections.models import Contest, MPAccount, Supporter
from rankandfile.membership.demo import DEMO_PASSWORD
from rankandfile.membership.models import CLP, MP, Affiliate

ADMIN = "admin@demo.rankandfile.org"
DEMO_MP = "mp@demo.rankandfile.org"
DEMO_MEMBER = "member@demo.rankandfile.org"


def _past_rounds() -> None:
    for spec in pastdata.ROUNDS:
        services.past_round_record(actor=None, **spec)


def _mp_logins(count: int) -> list[tuple[MP, User]]:
    """Logins for ``count`` of the party's MPs: the first is the documented demo MP."""
    mps = MP.objects.filter(
        in_office=True, left_party_on__isnull=True, party__in=permissions.PARTY_NAMES
    ).order_by("name")[:count]
    out = []
    for i, found in enumerate(mps):
        email = DEMO_MP if i == 0 else f"mp.{found.mnis_id}@demo.rankandfile.org"
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(email=email, password=None, full_name=found.name)
            if i == 0:
                user.password = make_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
        MPAccount.objects.get_or_create(mp=found, defaults={"user": user})
        out.append((found, user))
    return out


def _leadership(admin: User, logins: list[tuple[MP, User]], now: dt.datetime) -> str:
    contest = services.contest_open(
        actor=admin,
        title="Leadership election",
        office="leader",
        kind="vacancy",
        mp_nominations_close=now + dt.timedelta(days=3),
        nominations_close=now + dt.timedelta(days=30),
    )
    names = [("Mary Adebayo", True), ("Tom Fletcher", False), ("Priya Shah", True),
             ("Owen Hughes", False)]  # fmt: skip
    cands = [
        services.candidate_add(
            actor=admin,
            contest=contest,
            name=n,
            is_woman=w,
            statement=f"{n}: a member-led party, a programme made by conference.",
        )
        for n, w in names
    ]
    # Most MPs have nominated; the demo MP (the first login) has not yet.
    spread = [0] * 55 + [1] * 51 + [2] * 30 + [3] * 10
    for (_mp, user), k in zip(logins[1:], spread, strict=False):
        services.nomination_by_mp(actor=user, contest=contest, candidate=cands[k])
    return f"leadership: {contest.nominations.count()} MPs' nominations so far"


def _deputy(admin: User, logins: list[tuple[MP, User]], now: dt.datetime) -> str:
    contest = services.contest_open(
        actor=admin,
        title="Deputy leadership election",
        office="deputy",
        kind="vacancy",
        mp_nominations_close=now + dt.timedelta(minutes=5),
        nominations_close=now + dt.timedelta(days=21),
    )
    a = services.candidate_add(actor=admin, contest=contest, name="Ruth Okafor", is_woman=True)
    b = services.candidate_add(actor=admin, contest=contest, name="Dan Whitley")
    c = services.candidate_add(actor=admin, contest=contest, name="Gail Moss", is_woman=True)
    for i, (_mp, user) in enumerate(logins[1:]):
        services.nomination_by_mp(actor=user, contest=contest, candidate=[a, b, a, b, c][i % 5])
    # The MPs' stage is over: CLPs and affiliates now nominate.
    Contest.objects.filter(pk=contest.pk).update(mp_nominations_close=now - dt.timedelta(hours=1))
    contest.refresh_from_db()
    clps = list(CLP.objects.exclude(constituency__name="Streatham").order_by("name")[:60])
    for i, clp in enumerate(clps):
        services.nomination_by_clp_meeting(
            actor=admin, contest=contest, clp=clp, candidate=a if i % 3 else b,
            meeting_on=timezone.localdate(), votes_for=20 + i, votes_cast=35 + i,
        )  # fmt: skip
    for short in ("UNISON", "GMB"):
        aff = Affiliate.objects.filter(short_name=short).first()
        if aff is not None:
            services.nomination_by_affiliate(actor=admin, contest=contest, affiliate=aff,
                                             candidate=a)  # fmt: skip
    return f"deputy: {contest.nominations.count()} nominations, CLP stage open"


def _votes(ballot: Ballot, rng: random.Random, n_votes: int) -> int:
    n = ballot.options.count()
    popularity = [rng.random() + 0.3 for _ in range(n)]
    cast = 0
    electors = Elector.objects.filter(ballot=ballot).exclude(member__user__email=DEMO_MEMBER)
    for elector in electors.order_by("?")[:n_votes]:
        order = sorted(range(n), key=lambda i: -popularity[i] * rng.random())
        ballot_services.ballot_cast(
            ballot=ballot, elector=elector, choice=order[: rng.randint(3, n)]
        )
        cast += 1
    return cast


def _nec(admin: User, rng: random.Random, now: dt.datetime) -> str:
    contest = services.contest_open(
        actor=admin,
        title="NEC elections: CLP section",
        office="nec_clp",
        kind="election",
        mp_nominations_close=now + dt.timedelta(minutes=1),
        nominations_close=now + dt.timedelta(minutes=1),
    )
    people = [("Ruth Ashworth", True), ("Amina Yusuf", True), ("Gwen Price", True),
              ("Rafiq Mahmood", False), ("Cerys Evans", True), ("Morag Stewart", True),
              ("Leon Baptiste", False), ("Hannah Cole", True), ("Peter Quinn", False),
              ("Siobhan Kelly", True), ("Harjit Sandhu", False), ("Olivia Grant", True),
              ("Martin Wright", False)]  # fmt: skip
    cands = [
        services.candidate_add(actor=admin, contest=contest, name=n, is_woman=w) for n, w in people
    ]
    clps = list(CLP.objects.order_by("name")[:60])
    # Every candidate but the last has at least five CLP nominations.
    for i, cand in enumerate(cands[:-1]):
        for clp in clps[i * 4 : i * 4 + 6]:
            services.nomination_by_clp_meeting(
                actor=admin, contest=contest, clp=clp, candidate=cand,
                meeting_on=timezone.localdate(), votes_for=12, votes_cast=30,
            )  # fmt: skip
    services.nomination_by_clp_meeting(
        actor=admin, contest=contest, clp=clps[-1], candidate=cands[-1],
        meeting_on=timezone.localdate(), votes_for=9, votes_cast=17,
    )  # fmt: skip
    Contest.objects.filter(pk=contest.pk).update(
        mp_nominations_close=now - dt.timedelta(days=1),
        nominations_close=now - dt.timedelta(days=1),
    )
    contest.refresh_from_db()
    contest = services.contest_ballot_open(
        actor=admin, contest=contest, closes_at=now + dt.timedelta(hours=1)
    )
    assert contest.ballot is not None
    voted = _votes(contest.ballot, rng, 400)
    # The ballot ran over the past hour (opening and closing moved back together).
    Ballot.objects.filter(pk=contest.ballot.pk).update(
        opens_at=now - dt.timedelta(hours=2), closes_at=now - dt.timedelta(minutes=1)
    )
    contest.refresh_from_db()
    contest = services.contest_declare(actor=admin, contest=contest)
    assert contest.ballot is not None
    contest.ballot.refresh_from_db()
    elected = (contest.ballot.result or {}).get("elected") or []
    return f"NEC: {voted} votes, {len(elected)} elected"


#: The modelled 2016-style contest's timetable: under the 2014 rule book, which admitted
#: affiliated and registered supporters (£3, a 28-day window) and published results by
#: electorate section.
RULES_2016 = dt.date(2016, 6, 27)
NOMINATIONS_CLOSE_2016 = dt.datetime(2016, 7, 20, 12, tzinfo=dt.UTC)
SUPPORTERS_PER_SECTION = 130


def _sectioned(admin: User, logins: list[tuple[MP, User]], rng: random.Random) -> str:
    """A declared AV leadership contest under the 2014 rules, with supporters: the
    by-section result a newcomer can read (every section over the minimum size)."""
    now = timezone.now()
    contest = services.contest_open(
        actor=admin,
        title="Leadership election (2016 rules, modelled)",
        office="leader",
        kind="vacancy",
        mp_nominations_close=now + dt.timedelta(minutes=1),
        nominations_close=now + dt.timedelta(minutes=1),
    )
    pair = [
        services.candidate_add(actor=admin, contest=contest, name="Alan Reed"),
        services.candidate_add(actor=admin, contest=contest, name="Nadia Rahman", is_woman=True),
    ]
    for i, (_mp, user) in enumerate(logins[1:]):
        services.nomination_by_mp(actor=user, contest=contest, candidate=pair[i % 2])
    # Moved to the 2016 timetable: the rules of that day, a roll frozen on 20 July 2016.
    Contest.objects.filter(pk=contest.pk).update(
        rules_on=RULES_2016,
        mp_nominations_close=NOMINATIONS_CLOSE_2016 - dt.timedelta(days=5),
        nominations_close=NOMINATIONS_CLOSE_2016,
    )
    contest.refresh_from_db()
    affiliates = list(Affiliate.objects.order_by("name")[:5])
    paid = NOMINATIONS_CLOSE_2016.date() - dt.timedelta(days=10)
    for i in range(SUPPORTERS_PER_SECTION):
        services.supporter_register(
            actor=admin, contest=contest, kind=Supporter.Kind.REGISTERED,
            name=f"Registered Supporter {i + 1}", email=f"registered.{i + 1}@supporters.example",
            fee_pence_paid=300, paid_on=paid - dt.timedelta(days=i % 15),
        )  # fmt: skip
        if affiliates:
            services.supporter_register(
                actor=admin, contest=contest, kind=Supporter.Kind.AFFILIATED,
                name=f"Affiliated Supporter {i + 1}",
                email=f"affiliated.{i + 1}@supporters.example",
                affiliate=affiliates[i % len(affiliates)], on=RULES_2016,
            )  # fmt: skip
    contest = services.contest_ballot_open(
        actor=admin, contest=contest, closes_at=now + dt.timedelta(hours=1)
    )
    ballot = contest.ballot
    assert ballot is not None
    # Members lean to the incumbent, registered supporters to the challenger.
    lean = {"member": 0.55, "affiliated": 0.5, "registered": 0.3}
    incumbent = next(o.position for o in ballot.options.all() if o.name == "Alan Reed")
    voted = 0
    for section, share in lean.items():
        electors = Elector.objects.filter(ballot=ballot, section=section)
        if section == "member":
            electors = electors.exclude(member__user__email=DEMO_MEMBER)
        for elector in electors.order_by("?")[:180]:
            first = incumbent if rng.random() < share else 1 - incumbent
            ballot_services.ballot_cast(ballot=ballot, elector=elector, choice=[first])
            voted += 1
    Ballot.objects.filter(pk=ballot.pk).update(
        opens_at=now - dt.timedelta(hours=2), closes_at=now - dt.timedelta(minutes=1)
    )
    contest.refresh_from_db()
    contest = services.contest_declare(actor=admin, contest=contest)
    assert contest.ballot is not None
    contest.ballot.refresh_from_db()
    sections = ((contest.ballot.result or {}).get("by_section") or {}).get("sections") or []
    return f"leadership 2016 rules: {voted} votes, {len(sections)} sections published"


def seed(seed: int) -> str:
    """Create the demo elections; return a one-line summary. Needs the demo logins."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    admin = User.objects.filter(email=ADMIN).first()
    if admin is None:
        return "elections: no demo admin, skipped"
    _past_rounds()
    if Contest.objects.exists():
        return "elections: already seeded"
    logins = _mp_logins(150)
    if len(logins) < 10:
        return "elections: too few MPs for the demo"
    now = timezone.now()
    parts = [
        _leadership(admin, logins, now),
        _deputy(admin, logins, now),
        _nec(admin, rng, now),
        _sectioned(admin, logins, rng),
    ]
    return "elections: " + "; ".join(parts)
