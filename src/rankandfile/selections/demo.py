"""Demo selections (registered in RANKANDFILE_DEMO_SEEDERS), built through the services.

The seven constituencies whose MPs left the party on 18 February 2019 (docs/domain.md)
each run a selection in one round opened by the national admin, each at a different
stage: applications open (Liverpool Wavertree), longlisting (Nottingham East), shortlisting
with a breach explained then fixed (Penistone and Stocksbridge), nominations (Ilford
South), hustings scheduled (Luton South), the members' ballot open (Streatham: the demo
member can read the candidates and vote) and declared with the stage-by-stage AV count
(Stockport). Plus a past round of trigger ballots (2018, the rule before the 2018 change)
in four London CLPs with sitting MPs, with branch and affiliate decisions recorded, so the
side-by-side comparison of the four rules has data.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from rankandfile.ballots import services as ballot_services
from rankandfile.ballots.models import Ballot, Elector
from rankandfile.core.models import User
from rankandfile.membership.eligibility import EligibilityRule, electorate
from rankandfile.membership.models import CLP, MP, Affiliate, Member, Region
from rankandfile.selections import services
from rankandfile.selections.models import Application, Selection, SelectionRound, Stage

ADMIN = "admin@demo.rankandfile.org"
SECRETARY = "secretary@demo.rankandfile.org"
DEMO_MEMBER = "member@demo.rankandfile.org"

# (constituency name fragment, stage reached, days ago applications opened)
SEVEN = (
    ("Liverpool, Wavertree", Stage.APPLICATIONS, 3),
    ("Nottingham East", Stage.LONGLIST, 12),
    ("Penistone and Stocksbridge", Stage.SHORTLIST, 17),
    ("Ilford South", Stage.NOMINATIONS, 23),
    ("Luton South", Stage.HUSTINGS, 30),
    ("Streatham", Stage.BALLOT, 36),
    ("Stockport", Stage.DECLARED, 50),
)
ORDER = [Stage.APPLICATIONS, Stage.LONGLIST, Stage.SHORTLIST, Stage.NOMINATIONS,
         Stage.HUSTINGS, Stage.BALLOT, Stage.DECLARED]  # fmt: skip
UNIONS = ("Unite", "UNISON", "GMB", "CWU", "Usdaw", "NEU", "FBU", "TSSA")
STATEMENTS = (
    "I have organised in this constituency for years: on the picket line, at the food "
    "bank and on the doorstep. I will vote for the programme our conference adopted and "
    "I pledge to resign and stand again if I ever leave the party.",
    "Our MP walked away from the people who elected them. I will be a representative who "
    "answers to members: monthly report-backs, an open surgery, and every vote explained.",
    "A shop steward and school governor, I will fight for public ownership, council homes "
    "and a real living wage, and I will never put my career before our members.",
    "I want a parliament that looks like the people it serves. I will stand with tenants, "
    "carers and workers, and take my lead from this party's conference.",
)


def _day(today: dt.date, days: int) -> dt.date:
    return today + dt.timedelta(days=days)


def _timetable(start: dt.date) -> dict[str, dt.date]:
    return {
        "applications_open": start,
        "applications_close": _day(start, 10),
        "longlist_by": _day(start, 15),
        "shortlist_by": _day(start, 20),
        "nominations_close": _day(start, 27),
        "hustings_by": _day(start, 33),
        "ballot_opens": _day(start, 34),
        "ballot_closes": _day(start, 46),
    }


def _login(member: Member) -> User:
    """The member's login (created without a usable password if they had none)."""
    if member.user_id is not None:
        assert member.user is not None
        return member.user
    email = f"candidate.{member.membership_number.lower()}@demo.rankandfile.org"
    user = User.objects.filter(email=email).first() or User.objects.create_user(
        email=email, password=None, full_name=member.full_name
    )
    member.user = user
    member.save(update_fields=["user"])
    return user


def _applicants(selection: Selection, rng: random.Random) -> list[Application]:
    """Five eligible members of the CLP apply: three women and two men where the CLP has
    them; the first man and the second woman self-identify as BAME."""
    rule = EligibilityRule(freeze_date=selection.round.freeze_date, months=12,
                           scope_kind="clp", scope_id=selection.clp_id)  # fmt: skip
    pool = electorate(rule).exclude(user__email=DEMO_MEMBER)
    women = sorted(pool.filter(gender="woman").values_list("pk", flat=True))
    others = sorted(pool.exclude(gender="woman").values_list("pk", flat=True))
    chosen_women = rng.sample(women, min(3, len(women)))
    chosen = chosen_women + rng.sample(others, min(5 - len(chosen_women), len(others)))
    members = {m.pk: m for m in Member.objects.filter(pk__in=chosen)}
    out = []
    first_man = True
    for i, pk in enumerate(chosen):
        member = members[pk]
        is_woman = pk in chosen_women
        is_bame = (is_woman and i == 1) or (not is_woman and first_man)
        first_man = first_man and is_woman
        user = _login(member)
        out.append(
            services.application_submit(
                actor=user,
                selection=selection,
                statement=STATEMENTS[i % len(STATEMENTS)],
                contact_email=user.email,
                contact_phone=f"07700 900{rng.randrange(1000):03d}",
                is_woman=is_woman,
                is_bame=is_bame,
                trade_union=UNIONS[rng.randrange(len(UNIONS))],
                union_membership_number=f"{rng.randrange(10**7):07d}",
                today=selection.applications_open + dt.timedelta(days=1),
            )
        )
    return out


def _run(selection: Selection, target: str, admin: User, rng: random.Random) -> str:
    """Drive one selection to ``target`` through the services."""
    apps = _applicants(selection, rng)
    if len(apps) < 4 or target == Stage.APPLICATIONS:
        return f"{selection.clp.name}: {len(apps)} applications"
    selection = services.selection_advance(actor=admin, selection=selection)
    services.list_set(actor=admin, selection=selection, which="longlist",
                      application_ids=[a.pk for a in apps])  # fmt: skip
    if target == Stage.LONGLIST:
        return f"{selection.clp.name}: longlist of {len(apps)}"
    selection = services.selection_advance(actor=admin, selection=selection)
    apps = list(selection.applications.filter(on_longlist=True).order_by("pk"))
    women = [a for a in apps if a.is_woman]
    men = [a for a in apps if not a.is_woman]
    # First draft: two men and one woman — the breach is explained ...
    draft = men[:2] + women[:1]
    services.list_set(actor=admin, selection=selection, which="shortlist",
                      application_ids=[a.pk for a in draft])  # fmt: skip
    breaches = services.shortlist_check(selection).breaches
    # ... then fixed: two women and two men, the first man BAME.
    fixed = {a.pk for a in women[:2]} | {a.pk for a in men[:2]}
    services.list_set(actor=admin, selection=selection, which="shortlist",
                      application_ids=sorted(fixed))  # fmt: skip
    remaining = services.shortlist_check(selection).breaches
    if target == Stage.SHORTLIST or remaining:
        return (
            f"{selection.clp.name}: shortlist drafted with {len(breaches)} breach(es), "
            f"fixed ({len(remaining)} left)"
        )
    selection = services.selection_advance(actor=admin, selection=selection)
    shortlisted = list(selection.applications.filter(on_shortlist=True).order_by("pk"))
    branches = list(selection.clp.branches.order_by("name"))
    affiliates = list(Affiliate.objects.filter(clps=selection.clp).order_by("name"))
    for unit in branches:
        services.nomination_record(actor=admin, selection=selection,
                                   application=rng.choice(shortlisted), branch=unit)  # fmt: skip
    for aff in affiliates:
        services.nomination_record(actor=admin, selection=selection,
                                   application=rng.choice(shortlisted), affiliate=aff)  # fmt: skip
    if target == Stage.NOMINATIONS:
        return f"{selection.clp.name}: {len(branches) + len(affiliates)} nominations"
    for offset, venue in ((-6, "Community centre"), (-2, "Trades hall")):
        day = _day(selection.hustings_by, offset)
        services.hustings_add(
            actor=admin, selection=selection, venue=f"{selection.clp.name} {venue}",
            starts_at=timezone.make_aware(dt.datetime.combine(day, dt.time(19, 0))),
            details="All members welcome; questions from the floor and from branches.",
        )  # fmt: skip
    selection = services.selection_advance(actor=admin, selection=selection)
    if target == Stage.HUSTINGS:
        return f"{selection.clp.name}: hustings scheduled"
    opens = timezone.make_aware(dt.datetime.combine(selection.ballot_opens, dt.time(9, 0)))
    now = timezone.now()
    ballot = services.selection_ballot_open(
        actor=admin, selection=selection, opens_at=opens, closes_at=now + dt.timedelta(hours=1)
    )
    voted = _votes(ballot, rng, share=0.45 if target == Stage.DECLARED else 0.3)
    closes = timezone.make_aware(dt.datetime.combine(selection.ballot_closes, dt.time(21, 0)))
    Ballot.objects.filter(pk=ballot.pk).update(closes_at=closes)
    if target == Stage.BALLOT:
        return f"{selection.clp.name}: ballot open, {voted} of {ballot.electorate_size} voted"
    selection = services.selection_declare(actor=admin, selection=selection)
    assert selection.selected is not None
    return f"{selection.clp.name}: {selection.selected.name} selected ({voted} votes)"


def _votes(ballot: Ballot, rng: random.Random, share: float) -> int:
    """Votes from ``share`` of the electorate. First preferences follow a fixed cycle in
    which no candidate comes near a majority (so the count runs over several stages);
    later preferences lean to the candidates next in the cycle."""
    n = ballot.options.count()
    order = list(range(n))
    rng.shuffle(order)
    cycle = [0, 1, 2, 0, 1, 3, 0, 1, 2, 3] if n == 4 else list(range(n))
    cast = 0
    electors = Elector.objects.filter(ballot=ballot).exclude(member__user__email=DEMO_MEMBER)
    for elector in electors.order_by("member_id"):
        if rng.random() >= share:
            continue
        first = order[cycle[cast % len(cycle)] % n]
        place = order.index(first)
        rest = sorted(
            (i for i in range(n) if i != first),
            key=lambda i: abs(order.index(i) - place) + rng.random() * 2,
        )
        choice = [first, *rest[: rng.randint(0, n - 1)]]
        ballot_services.ballot_cast(ballot=ballot, elector=elector, choice=choice)
        cast += 1
    return cast


def _trigger_round(admin: User, rng: random.Random) -> str:
    """A past round under the pre-2018 rule in four London CLPs with sitting MPs."""
    london = Region.objects.filter(name="London").first()
    mps = MP.objects.filter(
        party__in=services.PARTY_NAMES, left_party_on__isnull=True, in_office=True,
        constituency__isnull=False,
    ).exclude(constituency__name="Streatham")  # fmt: skip
    if london is not None:
        mps = mps.filter(constituency__region=london)
    clps = list(
        CLP.objects.filter(constituency__in=[m.constituency_id for m in mps])
        .order_by("name")[:4]
    )  # fmt: skip
    if not clps:
        return "no CLP with a sitting MP for the trigger round"
    rnd = services.round_open(
        actor=admin, name="Trigger ballots 2018", clps=clps, mode="trigger_pre_2018",
        freeze_date=dt.date(2018, 1, 15), trigger_closes=dt.date(2018, 2, 28),
        applications_open=dt.date(2018, 3, 1), applications_close=dt.date(2018, 3, 31),
        ballot_closes_by=dt.date(2018, 6, 30),
    )  # fmt: skip
    propensities = (0.15, 0.3, 0.42, 0.47)
    recorded = 0
    for selection, p in zip(rnd.selections.order_by("clp__name"), propensities, strict=False):
        for branch in selection.clp.branches.order_by("name"):
            present = rng.randint(4, 14)
            abstain = rng.random() < 0.1
            yes = 0 if abstain else sum(rng.random() < p for _ in range(present))
            no = 0 if abstain else present - yes - (1 if present - yes > 2 else 0)
            services.trigger_record_branch(
                actor=admin, selection=selection, branch=branch, members_present=present,
                votes_for=yes, votes_against=no, meeting_date=dt.date(2018, 2, 20),
            )  # fmt: skip
            recorded += 1
        for affiliate in Affiliate.objects.filter(clps=selection.clp).order_by("name"):
            vote = "open" if rng.random() < p else ("abstain" if rng.random() < 0.1 else "reselect")
            services.trigger_record_affiliate(
                actor=admin, selection=selection, affiliate=affiliate, vote=vote
            )
            recorded += 1
        services.trigger_conclude(actor=admin, selection=selection)
    return f"past trigger round in {len(clps)} CLPs ({recorded} decisions)"


def seed(seed: int) -> str:
    """Add the demo selections data; return a one-line summary."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    admin = User.objects.filter(email=ADMIN).first()
    if admin is None:
        return "selections: skipped (no demo admin login)"
    if SelectionRound.objects.exists():
        return "selections: already seeded"
    today = timezone.localdate()
    trigger = _trigger_round(admin, rng)
    clps = []
    for fragment, target, ago in SEVEN:
        clp = CLP.objects.filter(constituency__name=fragment).first()
        if clp is None:
            clp = CLP.objects.filter(
                constituency__name__icontains=fragment.split(",")[-1].strip()
            ).first()
        if clp is not None:
            clps.append((clp, target, ago))
    if not clps:
        return f"selections: {trigger}; the seven constituencies are missing"
    rnd = services.round_open(
        actor=admin,
        name="Selections after the February 2019 split",
        clps=[c for c, _, _ in clps],
        freeze_date=_day(today, -60),
        applications_open=_day(today, -50),
        applications_close=_day(today, 14),
        ballot_closes_by=_day(today, 90),
    )
    done = []
    for clp, target, ago in clps:
        selection = rnd.selections.get(clp=clp)
        selection = services.timetable_update(
            actor=admin, selection=selection, **_timetable(_day(today, -ago))
        )
        done.append(_run(selection, target, admin, rng))
    return f"selections: {trigger}; " + "; ".join(done)
