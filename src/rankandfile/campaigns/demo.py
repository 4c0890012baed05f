"""Demo campaigns for ``rankandfile demo_seed`` (registered in RANKANDFILE_DEMO_SEEDERS).

The seven constituencies whose Labour MPs left on 18 February 2019 to form The
Independent Group each get a by-election campaign, tied to the MP's recorded departure
(``MP.left_party_on``, or the Accountability records when present), at a different stage:

- Streatham: handed in to the MP, with a large confirmed petition;
- Liverpool, Wavertree: gathering signatures, some awaiting confirmation;
- Nottingham East: event-heavy — meetings, stalls and canvassing with replies and volunteers;
- Penistone and Stocksbridge: just launched;
- Ilford South: closed, its retention date passed and signers' data purged (count kept);
- Luton South: a draft only its officers see;
- Stockport: gathering, close to its target.

Signatures go through the real petition services (sign, then confirm with the emailed
link's secret; no email is sent). The constituencies' electorates are not in the
structure data, so each campaign has an explicit target of 7,300 (about 10% of the
average constituency's 73,000 electors). Candidates' pledges use invented names.

Two historical recall petitions (Recall of MPs Act 2015) show the tracker: Peterborough
2019 (19,261 signatures of 69,843 electors, 27.6%: succeeded) and North Antrim 2018
(7,099 of 75,265, 9.4%: failed).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from rankandfile.campaigns import queries
from rankandfile.campaigns.models import Campaign, CampaignEvent, Pledge, Signature
from rankandfile.campaigns.services import (
    events as events_services,
)
from rankandfile.campaigns.services import (
    lifecycle,
    retention,
    volunteers,
)
from rankandfile.campaigns.services import (
    petition as petition_services,
)
from rankandfile.campaigns.services import (
    pledges as pledges_services,
)
from rankandfile.campaigns.services import (
    recalls as recalls_services,
)
from rankandfile.campaigns.services.petition import SignatureInput
from rankandfile.core.models import User
from rankandfile.membership.models import CLP, Constituency

ADMIN = "admin@demo.rankandfile.org"
SECRETARY = "secretary@demo.rankandfile.org"  # Streatham's CLP secretary
TARGET = 7_300

FIRST = (
    "Aisha",
    "Ben",
    "Chloe",
    "Dan",
    "Ella",
    "Femi",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Kiran",
    "Leah",
    "Mo",
    "Niamh",
    "Owen",
    "Priya",
    "Qasim",
    "Rosa",
    "Sam",
    "Tom",
    "Uma",
    "Vik",
    "Wendy",
    "Yusuf",
    "Zara",
)
LAST = (
    "Ahmed",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Francis",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morris",
    "Nowak",
    "Okoro",
    "Patel",
    "Quinn",
    "Roberts",
    "Smith",
    "Taylor",
    "Walker",
    "Young",
)


@dataclass(frozen=True)
class Plan:
    constituency: str
    stage: str
    signed: int
    confirmed: int
    towns: tuple[str, ...]
    events: int = 1


PLANS = (
    Plan("Streatham", "handed_in", 320, 300, ("Streatham", "Brixton Hill", "Norbury")),
    Plan("Liverpool, Wavertree", "live", 220, 180, ("Wavertree", "Childwall", "Picton")),
    Plan("Nottingham East", "events", 120, 105, ("Sneinton", "St Ann's", "Sherwood"), events=8),
    Plan("Penistone and Stocksbridge", "launched", 15, 9, ("Penistone", "Stocksbridge")),
    Plan("Ilford South", "purged", 100, 95, ("Ilford", "Seven Kings", "Goodmayes")),
    Plan("Luton South", "draft", 0, 0, ("Luton",)),
    Plan("Stockport", "live", 160, 150, ("Stockport", "Edgeley", "Heaton Norris")),
)


def _actor_for(clp: CLP, admin: User, secretary: User | None) -> User:
    if secretary is not None and clp.constituency.name == "Streatham":
        return secretary
    return admin


_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
PLACES = {"meeting": "community centre", "stall": "high street", "canvass": "library"}


def _postcode(rng: random.Random) -> str:
    outward = rng.choice(["SW16", "L15", "NG3", "S36", "IG1", "LU1", "SK4"])
    return f"{outward} {rng.randint(1, 9)}{rng.choice(_LETTERS)}{rng.choice(_LETTERS)}"


def _sign_many(campaign: Campaign, plan: Plan, rng: random.Random) -> None:
    slug = campaign.slug[:12]
    for i in range(plan.signed):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        data = SignatureInput(
            first_name=first,
            last_name=last,
            email=f"{first}.{last}.{i}@{slug}.example.org".lower(),
            postcode=_postcode(rng),
            town=rng.choice(plan.towns),
            lives_in_constituency=True,
            consent=True,
            show_publicly=rng.random() < 0.6,
        )
        result = petition_services.signature_sign(campaign=campaign, data=data, notify=False)
        if i < plan.confirmed and result.signature_id is not None:
            links = petition_services.signature_issue_links(result.signature_id)
            if links is not None:
                petition_services.signature_confirm(secret=links.confirm)


def _events(campaign: Campaign, actor: User, plan: Plan, rng: random.Random) -> int:
    now = timezone.localtime().replace(minute=0, second=0, microsecond=0)
    kinds = [CampaignEvent.Kind.MEETING, CampaignEvent.Kind.STALL, CampaignEvent.Kind.CANVASS]
    made = 0
    for i in range(plan.events):
        kind = kinds[i % 3]
        start = now + dt.timedelta(
            days=1 + 2 * i,
            hours=(19 - now.hour) % 24 if kind == "meeting" else (10 - now.hour) % 24,
        )
        event = events_services.event_create(
            actor=actor,
            campaign=campaign,
            kind=kind,
            title={
                "meeting": f"Public meeting: a by-election for {campaign.constituency.name}",
                "stall": "Petition stall on the high street",
                "canvass": "Door-knocking for the petition",
            }[kind],
            starts_at=start,
            ends_at=start + dt.timedelta(hours=2 if kind == "meeting" else 3),
            location=f"{rng.choice(plan.towns)} {PLACES[kind]}",
            description="Come and hear why the voters should decide, and help gather signatures.",
            capacity=rng.choice([60, 80, 120]) if kind == "meeting" else rng.choice([10, 15, None]),
        )
        for j in range(rng.randint(3, 9)):
            try:
                events_services.rsvp_create(
                    event=event,
                    name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                    email=f"rsvp{i}.{j}@{campaign.slug[:12]}.example.org",
                    notify=False,
                )
            except events_services.EventFull:
                break
        made += 1
    return made


def _volunteers(campaign: Campaign, actor: User, rng: random.Random, n: int) -> int:
    members = list(campaign.clp.members.order_by("membership_number")[: n * 3])
    rng.shuffle(members)
    done = 0
    for member in members[:n]:
        volunteers.volunteer_signup(
            actor=actor,
            campaign=campaign,
            member=member,
            activities=rng.sample(["canvassing", "stalls", "leaflets", "phones", "events"], 2),
            availability=rng.choice(["Weekends", "Weekday evenings", "Saturdays", ""]),
        )
        done += 1
    return done


def _campaign(clp: CLP, actor: User, plan: Plan) -> Campaign:
    mp = clp.constituency.mps.order_by("-in_office").first()
    event_kind, event_date, note, source = "", None, "", ""
    if mp is not None:
        latest = queries.campaign_event(queries.mp_events(mp))
        if latest is not None:
            event_kind, event_date, note, source = (
                latest.kind,
                latest.date,
                latest.note,
                latest.source,
            )
    who = mp.name if mp is not None else "our MP"
    return lifecycle.campaign_create(
        actor=actor,
        clp=clp,
        title=f"{clp.constituency.name} deserves a by-election",
        demand=(
            f"{who} was elected as Labour's candidate: resign the seat and let the voters decide."
        ),
        story=(
            f"At the last general election the voters of {clp.constituency.name} elected a "
            "Labour MP on Labour's manifesto. On 18 February 2019 the MP left the party and "
            "kept the seat.\n\nWe are not asking anyone to agree with us about the MP's reasons. "
            "We are asking for the voters, not one person, to decide who represents them."
        ),
        mp=mp,
        event_kind=event_kind,
        event_date=event_date,
        event_note=note,
        event_source=source,
        target=TARGET,
    )


def _pledges(constituency: Constituency, actor: User, rng: random.Random) -> int:
    made = 0
    for _ in range(rng.randint(1, 2)):
        pledges_services.pledge_record(
            actor=actor,
            constituency=constituency,
            name=f"{rng.choice(FIRST)} {rng.choice(LAST)}",
            role=Pledge.Role.CANDIDATE,
            statement=(
                "If I am elected and ever leave the party I was elected for, I will resign "
                "my seat and stand again in a by-election, so the voters can decide."
            ),
            pledged_on=dt.date(2019, 3, 1) + dt.timedelta(days=rng.randint(0, 60)),
        )
        made += 1
    return made


def _recalls(admin: User) -> int:
    made = 0
    peterborough = Constituency.objects.filter(name="Peterborough").first()
    if peterborough is not None:
        petition = recalls_services.recall_record(
            actor=admin,
            constituency=peterborough,
            mp=peterborough.mps.first(),
            mp_name="Fiona Onasanya",
            ground="custodial",
            ground_detail=(
                "Convicted of perverting the course of justice; sentenced to three months"
            ),
            opens_on=dt.date(2019, 3, 19),
            closes_on=dt.date(2019, 5, 1),
        )
        recalls_services.recall_add_count(
            actor=admin,
            petition=petition,
            published_on=dt.date(2019, 5, 1),
            signatures=19_261,
            electorate=69_843,
            is_final=True,
            source="Petition officer's declaration, 1 May 2019",
        )
        made += 1
    antrim = Constituency.objects.filter(name="North Antrim").first()
    if antrim is not None:
        petition = recalls_services.recall_record(
            actor=admin,
            constituency=antrim,
            mp=antrim.mps.first(),
            mp_name="Ian Paisley",
            ground="suspension",
            ground_detail="Suspended from the House for 30 sitting days",
            opens_on=dt.date(2018, 8, 8),
            closes_on=dt.date(2018, 9, 19),
            signing_places=["Ballymoney", "Ballymena", "Ballycastle"],
        )
        recalls_services.recall_add_count(
            actor=admin,
            petition=petition,
            published_on=dt.date(2018, 9, 20),
            signatures=7_099,
            electorate=75_265,
            is_final=True,
            source="Chief Electoral Officer's declaration, 20 September 2018",
        )
        made += 1
    return made


def seed(seed: int) -> str:
    """Add the demo campaigns, pledges and recall petitions; return a one-line summary."""
    if Campaign.objects.exists():
        return "campaigns: already seeded"
    admin = User.objects.filter(email=ADMIN).first()
    if admin is None:
        return "campaigns skipped: the demo admin login is missing"
    secretary = User.objects.filter(email=SECRETARY).first()
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    stages: list[str] = []
    pledges = 0
    for plan in PLANS:
        clp = (
            CLP.objects.select_related("constituency")
            .filter(constituency__name=plan.constituency)
            .first()
        )
        if clp is None:
            continue
        actor = _actor_for(clp, admin, secretary)
        with transaction.atomic():
            campaign = _campaign(clp, actor, plan)
            pledges += _pledges(clp.constituency, actor, rng)
            if plan.stage != "draft":
                campaign = lifecycle.campaign_launch(actor=actor, campaign=campaign)
                _sign_many(campaign, plan, rng)
                _events(campaign, actor, plan, rng)
                if plan.stage == "events":
                    _volunteers(campaign, actor, rng, 12)
                else:
                    _volunteers(campaign, actor, rng, 3)
            if plan.stage in ("handed_in", "purged"):
                who = campaign.mp.name if campaign.mp else "the MP"
                campaign = lifecycle.campaign_hand_in(
                    actor=actor, campaign=campaign, handed_in_to=f"{who}'s office"
                )
            if plan.stage == "purged":
                lifecycle.campaign_close(actor=actor, campaign=campaign)
        if plan.stage == "purged":
            # The retention date passes: the scheduled purge deletes signers' data.
            Campaign.objects.filter(pk=campaign.pk).update(
                retention_until=timezone.localdate() - dt.timedelta(days=1)
            )
            retention.purge_expired()
        stages.append(f"{clp.constituency.name}: {plan.stage}")
    recalls = _recalls(admin)
    return (
        f"campaigns: {len(stages)} campaigns ({Signature.objects.count()} signatures held, "
        f"{sum(Campaign.objects.values_list('confirmed_count', flat=True))} confirmed in all), "
        f"{pledges} pledges, {recalls} recall petitions"
    )
