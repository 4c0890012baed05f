"""Demo data for conference (registered in RANKANDFILE_DEMO_SEEDERS).

Built through the services, deterministic from ``seed``:

- the rule book, 2017-2025 (five versions) and the historic conferences;
- the programme's history: votes of the 2019, 2023, 2024 and 2025 conferences (the Brexit
  policies the accountability demo links to Commons divisions of 2019, public ownership,
  the NHS, climate, housing, workers' rights), with superseded entries;
- this year's conference, in progress: motions from demo CLPs and affiliates, rulings
  (two out of order), topics, the published agenda, the priorities ballot, composites
  (one still awaiting a mover's agreement), delegates checked in, a finished card vote
  (into the programme), a show of hands, a reference back, and an **open card vote** in
  which the demo member (member@demo.rankandfile.org, a Streatham delegate) can vote;
- the hall: the open vote is the item before conference, with a speakers' list (one
  speaking, one who has spoken, others waiting; women and men); the finished card vote
  has a paper card and a proxy vote recorded by the CAC;
- three amendments to the first composite: one carried on a card vote (the composite
  enters the programme as amended), one lost on a show of hands, one ruled out of order.
  (The demo dates them before the amendments deadline although the composite is agreed
  at the conference itself: the demo builds everything in one go.)

The demo admin (admin@demo.rankandfile.org) is given the CAC role.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from django.db.models import Count
from django.utils import timezone

from rankandfile.conference.demo_texts import HISTORY, MOTIONS, NEC_STATEMENT, OUT_OF_ORDER
from rankandfile.conference.models import (
    AgendaItem,
    Card,
    Composite,
    Conference,
    ConferenceDocument,
    Delegate,
    FloorSession,
    ProgrammeEntry,
    Submission,
    Topic,
)
from rankandfile.conference.queries import delegates as delegates_queries
from rankandfile.conference.services import (
    amendments,
    compositing,
    delegates,
    floor,
    priorities,
    programme,
    rulebook,
    setup,
    submissions,
)
from rankandfile.conference.services import hall as hall_services
from rankandfile.core.errors import DomainError
from rankandfile.core.models import User
from rankandfile.membership.models import CLP, Affiliate, Gender, Member, Role

DOMAIN = "demo.rankandfile.org"
OTHER_AFFILIATES = ("UNISON", "GMB", "CWU", "FBU", "Usdaw")
N_CLPS = 24


def seed(seed: int) -> str:
    """Add the demo conference data; return a one-line summary."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    versions = rulebook.rule_book_load(actor=None)
    admin = User.objects.filter(email=f"admin@{DOMAIN}").first()
    streatham = CLP.objects.filter(constituency__name="Streatham").first()
    if admin is None or streatham is None:
        return f"conference: rule book ({versions} versions); demo logins missing, rest skipped"
    Role.objects.get_or_create(
        user=admin, kind=Role.Kind.CAC, defaults={"start": dt.date(2020, 1, 1)}
    )
    admin = User.objects.get(pk=admin.pk)  # fresh: no cached roles
    today = timezone.localdate()
    if Conference.objects.filter(year=today.year, dates__isnull=False).exists():
        return "conference: already seeded"
    entries = _history(admin)
    if Conference.objects.filter(year=today.year).exists():
        # Seeding "in the past" (a test's clock): this year's conference is one of the
        # historic records, so there is no conference in progress to build.
        summary = f"{today.year} conference already on record, none in progress"
    else:
        summary = _current(admin, streatham, rng, today)
    return (
        f"conference: rule book {versions} versions; programme history {entries} votes; {summary}"
    )


def _history(admin: User) -> int:
    by_title: dict[str, ProgrammeEntry] = {}
    for year, title, topic, text, cf, ca, af, aa, supersedes in HISTORY:
        conference = Conference.objects.get(year=year)
        item = programme.historic_vote_record(
            actor=admin,
            conference=conference,
            title=title,
            topic=topic,
            text=text,
            clp_for=cf,
            clp_against=ca,
            affiliate_for=af,
            affiliate_against=aa,
            supersedes=by_title.get(supersedes),
        )
        entry = ProgrammeEntry.objects.filter(agenda_item=item).first()
        if entry is not None:
            by_title[title] = entry
    return len(HISTORY)


def _officer(email: str, kind: str, **unit: object) -> User:
    user, created = User.objects.get_or_create(email=email)
    if created:
        user.set_unusable_password()
        user.save()
    Role.objects.get_or_create(
        user=user, kind=kind, defaults={"start": dt.date(2020, 1, 1), **unit}
    )
    return User.objects.get(pk=user.pk)


def _member_login(member: Member) -> User:
    if member.user_id:
        return User.objects.get(pk=member.user_id)
    user, _ = User.objects.get_or_create(email=f"{member.membership_number.lower()}@{DOMAIN}")
    user.set_unusable_password()
    user.save()
    member.user = user
    member.save(update_fields=["user"])
    return user


@dataclass
class _Demo:
    """The current conference being built, and who acts in it."""

    admin: User
    rng: random.Random
    today: dt.date
    conf: Conference
    starts: dt.date
    opens: dt.datetime
    clps: list[CLP] = dc_field(default_factory=list)
    secretaries: dict[int, User] = dc_field(default_factory=dict)
    affiliates: list[Affiliate] = dc_field(default_factory=list)
    aff_officers: dict[int, User] = dc_field(default_factory=dict)

    @property
    def orgs(self) -> list[tuple[str, Any]]:
        return [("clp", c) for c in self.clps] + [("affiliate", a) for a in self.affiliates]


def _current(admin: User, streatham: CLP, rng: random.Random, today: dt.date) -> str:
    """This year's conference, opened yesterday: submissions and rulings, a designated
    document, delegates, the priorities ballot, composites, and the floor with a card
    vote open."""
    demo = _current_conference(admin, rng, today)
    _current_people(demo, streatham)
    subs = _current_submissions(demo)
    topics = _current_rulings(demo, subs)
    _current_document(demo)
    delegate_list = _delegates(admin, demo.conf, demo.clps, rng)
    _current_delegations(demo)
    _current_priorities(demo, topics)
    composites, agreed = _current_composites(demo, topics)
    done, open_item = _current_floor(demo, agreed)
    speakers = _hall(admin, demo.conf, open_item, rng)
    debated = Topic.objects.filter(conference=demo.conf, debated=True).count()
    return (
        f"{demo.conf.title}: {len(subs)} submissions, {debated} debated topics, "
        f"{len(composites)} composites, {delegate_list} delegates, {done} items decided, "
        f"{'a card vote open' if open_item else 'no open vote'}, "
        f"{speakers} on the speakers' list"
    )


def _current_conference(admin: User, rng: random.Random, today: dt.date) -> _Demo:
    tz = dt.UTC
    starts = today - dt.timedelta(days=1)
    opens = dt.datetime.combine(starts, dt.time(9), tzinfo=tz)
    conf = setup.conference_create(
        actor=admin,
        year=today.year,
        title=f"Annual Conference {today.year}",
        venue="Liverpool",
        starts_on=starts,
        ends_on=today + dt.timedelta(days=2),
        motions_deadline=opens - dt.timedelta(days=18),
        rule_changes_deadline=opens - dt.timedelta(days=100),
        amendments_deadline=opens - dt.timedelta(days=30),
        delegates_deadline=opens - dt.timedelta(days=25),
        census_date=starts - dt.timedelta(days=120),
    )
    return _Demo(admin=admin, rng=rng, today=today, conf=conf, starts=starts, opens=opens)


def _current_people(demo: _Demo, streatham: CLP) -> None:
    """The CLPs and affiliates taking part, with the officers who act for them."""
    # CLPs submitting: Streatham and the biggest others (their secretaries submit).
    demo.clps = clps = [
        streatham,
        *CLP.objects.exclude(pk=streatham.pk)
        .annotate(n=Count("members"))
        .order_by("-n", "name")[: N_CLPS - 1],
    ]
    demo.secretaries = secretaries = {streatham.pk: User.objects.get(email=f"secretary@{DOMAIN}")}
    for clp in clps[1:]:
        secretaries[clp.pk] = _officer(
            f"secretary.{clp.slug}@{DOMAIN}", Role.Kind.CLP_SECRETARY, clp=clp
        )
    demo.affiliates = affiliates = [
        a
        for a in [
            Affiliate.objects.filter(short_name="Unite").first(),
            *Affiliate.objects.filter(short_name__in=OTHER_AFFILIATES).order_by("name"),
        ]
        if a
    ]
    demo.aff_officers = aff_officers = {}
    for aff in affiliates:
        email = (
            f"affiliate@{DOMAIN}"
            if aff.short_name == "Unite"
            else f"officer.{aff.short_name.lower()}@{DOMAIN}"
        )
        aff_officers[aff.pk] = _officer(email, Role.Kind.AFFILIATE_OFFICER, affiliate=aff)


def _current_submissions(demo: _Demo) -> list[tuple[Submission, str | None, str]]:
    """Each organisation submits one item: motions, two out of order, a CLP rule change."""
    admin, conf, rng = demo.admin, demo.conf, demo.rng
    secretaries, aff_officers = demo.secretaries, demo.aff_officers
    submitted = demo.opens - dt.timedelta(days=40)
    meeting = timezone.localdate(submitted) - dt.timedelta(days=9)
    # Motions: spread the texts over the organisations, each submits one item.
    pool = [(topic, title, text) for topic, ms in MOTIONS.items() for title, text in ms]
    orgs = demo.orgs
    subs: list[tuple[Submission, str | None, str]] = []
    for i, (kind, org) in enumerate(orgs):
        actor = secretaries[org.pk] if kind == "clp" else aff_officers[org.pk]
        unit: dict[str, Any] = {"clp": org} if kind == "clp" else {"affiliate": org}
        if i == 3:  # a CLP rule change: debated next year (clause 3.II.3)
            s = submissions.submission_create(
                actor=actor,
                conference=conf,
                kind=Submission.Kind.RULE_CHANGE,
                clause_number="A6.1",
                title="Eight priorities per section",
                text=(
                    "The CAC shall group the motions in order into topics. The CLP section and the "
                    "affiliated organisations section shall each select 8 topics for debate by a "
                    "priorities ballot, each CLP delegation and each affiliate casting one vote. "
                    "The "
                    "topics chosen by either section shall be debated."
                ),
                meeting_date=meeting - dt.timedelta(days=80),
                meeting_for=31,
                meeting_against=4,
                now=submitted - dt.timedelta(days=70),
                **unit,
            )
            # The CAC attaches the parameter the new clause text changes (issue 16.1).
            s = submissions.rule_change_parameters_set(
                actor=admin, submission=s, changes={"priorities_topics_per_section": "8"}
            )
            subs.append((s, None, ""))
            continue
        if i in (5, 9):
            title, text, reason = OUT_OF_ORDER[0 if i == 5 else 1]
            s = submissions.submission_create(
                actor=actor,
                conference=conf,
                kind=Submission.Kind.MOTION,
                title=title,
                text=text,
                meeting_date=meeting,
                meeting_for=22,
                meeting_against=1,
                now=submitted,
                **unit,
            )
            subs.append((s, None, reason))
            continue
        topic_name, title, text = pool[i % len(pool)]
        s = submissions.submission_create(
            actor=actor,
            conference=conf,
            kind=Submission.Kind.MOTION,
            title=title,
            text=text,
            meeting_date=meeting - dt.timedelta(days=rng.randint(0, 20)),
            meeting_for=rng.randint(18, 60),
            meeting_against=rng.randint(0, 9),
            now=submitted,
            **unit,
        )
        subs.append((s, topic_name, ""))
    return subs


def _current_rulings(
    demo: _Demo, subs: list[tuple[Submission, str | None, str]]
) -> dict[str, Topic]:
    """The CAC's topics and rulings; the agenda published."""
    admin, conf, opens = demo.admin, demo.conf, demo.opens
    topics = {name: setup.topic_create(actor=admin, conference=conf, name=name) for name in MOTIONS}
    for s, topic_or_none, reason in subs:
        if s.debate_year != conf.year:
            continue
        if reason:
            submissions.submission_rule(actor=admin, submission=s, in_order=False, reason=reason)
        else:
            submissions.submission_rule(
                actor=admin,
                submission=s,
                in_order=True,
                topic=topics[topic_or_none] if topic_or_none else None,
            )
    submissions.agenda_publish(actor=admin, conference=conf, now=opens - dt.timedelta(days=10))

    return topics


def _current_document(demo: _Demo) -> ConferenceDocument:
    """The NEC puts a statement before conference for amendment (issue 16.5)."""
    return amendments.document_designate(
        actor=demo.admin,
        conference=demo.conf,
        kind=ConferenceDocument.Kind.NEC_STATEMENT,
        title="Building the movement",
        text=NEC_STATEMENT,
        now=demo.opens - dt.timedelta(days=45),
    )


def _current_delegations(demo: _Demo) -> None:
    admin, conf, rng = demo.admin, demo.conf, demo.rng
    for aff in demo.affiliates:
        d = delegates.delegation_register(
            actor=admin,
            conference=conf,
            affiliate=aff,
            leader=demo.aff_officers[aff.pk],
            size=rng.randint(4, 40),
        )
        delegates.delegation_check_in(actor=admin, delegation=d)


def _current_priorities(demo: _Demo, topics: dict[str, Topic]) -> None:
    admin, conf, rng = demo.admin, demo.conf, demo.rng
    secretaries, aff_officers = demo.secretaries, demo.aff_officers
    # Priorities ballot.
    priorities.priorities_open(actor=admin, conference=conf)
    names = list(topics)
    weights = [9, 8, 7, 7, 6, 5, 2, 3]
    for clp in demo.clps:
        picks = _weighted_sample(names, weights, 5, rng)
        try:
            priorities.priorities_cast(
                actor=secretaries[clp.pk],
                conference=conf,
                clp=clp,
                topics=[topics[n] for n in picks],
            )
        except DomainError:
            continue
    for aff in demo.affiliates:
        picks = _weighted_sample(names, [6, 9, 8, 5, 9, 6, 3, 4], 4, rng)
        priorities.priorities_cast(
            actor=aff_officers[aff.pk],
            conference=conf,
            affiliate=aff,
            topics=[topics[n] for n in picks],
        )
    priorities.priorities_close(actor=admin, conference=conf)


def _current_composites(
    demo: _Demo, topics: dict[str, Topic]
) -> tuple[list[Composite], list[Composite]]:
    """Composites for the debated topics; every mover agrees all but the last."""
    admin, conf = demo.admin, demo.conf
    secretaries, aff_officers = demo.secretaries, demo.aff_officers
    # Composites for the debated topics with two or more motions.
    composites: list[Composite] = []
    for name, topic_obj in topics.items():
        topic_obj.refresh_from_db()
        originals = list(
            Submission.objects.filter(topic=topic_obj, status=Submission.Status.IN_ORDER).order_by(
                "reference"
            )
        )
        if not topic_obj.debated or len(originals) < 2:
            continue
        sentences = [s.text.split(". ") for s in originals]
        body = [sentences[0][0].rstrip(".") + "."]
        for k, sent in enumerate(sentences):
            body.append(sent[min(1 + k % 2, len(sent) - 1)].rstrip(".") + ".")
        c = compositing.composite_create(
            actor=admin, topic=topic_obj, title=name, text=" ".join(body)
        )
        composites.append(c)
    for k, c in enumerate(composites):
        originals = list(
            Submission.objects.filter(topic=c.topic, status=Submission.Status.IN_ORDER)
        )
        for j, s in enumerate(originals):
            if k == len(composites) - 1 and j == len(originals) - 1 and len(composites) > 2:
                break  # the last composite still awaits one mover
            signer = secretaries.get(s.clp_id or -1) or aff_officers[s.affiliate_id or -1]
            compositing.composite_sign(actor=signer, composite=c, submission=s)
    agreed = list(Composite.objects.filter(conference=conf, status=Composite.Status.AGREED))

    return composites, agreed


def _current_floor(demo: _Demo, agreed: list[Composite]) -> tuple[int, AgendaItem | None]:
    """Two sessions: decided items (a card vote with amendments, a show of hands, a
    remission) and a card vote open now."""
    admin, conf = demo.admin, demo.conf
    sun, mon = _floor_sessions(demo)
    done = 0
    if agreed:
        done += _decided_card_vote(demo, sun, agreed[0])
    if len(agreed) > 1:
        item = floor.item_create(
            actor=admin, session=sun, composite=agreed[1], method=AgendaItem.Method.HANDS
        )
        floor.item_close(
            actor=admin,
            item=item,
            outcome=AgendaItem.Outcome.CARRIED,
            note="Carried overwhelmingly on a show of hands.",
        )
        done += 1
    singles = list(
        Submission.objects.filter(
            debate_year=conf.year,
            status=Submission.Status.IN_ORDER,
            kind=Submission.Kind.MOTION,
            topic__debated=True,
        )
    )
    if singles:
        item = floor.item_create(
            actor=admin, session=sun, submission=singles[0], method=AgendaItem.Method.HANDS
        )
        floor.item_close(
            actor=admin,
            item=item,
            outcome=AgendaItem.Outcome.REMITTED,
            note="Remitted to the NEC with the mover's agreement.",
        )
        done += 1
    return done, _current_open_vote(demo, mon, agreed, singles)


def _floor_sessions(demo: _Demo) -> tuple[FloorSession, FloorSession]:
    """The opening day's afternoon and today's morning."""
    tz = dt.UTC
    sun = floor.session_create(
        actor=demo.admin,
        conference=demo.conf,
        title=f"{demo.starts:%A} afternoon",  # the day's own name (issue 17.6)
        starts_at=dt.datetime.combine(demo.starts, dt.time(14), tzinfo=tz),
    )
    mon = floor.session_create(
        actor=demo.admin,
        conference=demo.conf,
        title=f"{demo.today:%A} morning",
        starts_at=dt.datetime.combine(demo.today, dt.time(10), tzinfo=tz),
    )
    return sun, mon


def _decided_card_vote(demo: _Demo, sun: FloorSession, composite: Composite) -> int:
    """A composite with amendments moved by other organisations, then its card vote,
    decided (one paper card and one proxy recorded by the CAC). Returns the items
    decided."""
    admin, conf, rng, orgs = demo.admin, demo.conf, demo.rng, demo.orgs
    item = floor.item_create(actor=admin, session=sun, composite=composite)
    movers = {(s.clp_id, s.affiliate_id) for s in composite.originals.all()}
    others = [(k, o) for k, o in orgs if (k == "clp" and (o.pk, None) not in movers)]
    others += [(k, o) for k, o in orgs if (k == "affiliate" and (None, o.pk) not in movers)]
    done = _amendments(
        admin,
        conf,
        item,
        others,
        demo.secretaries,
        demo.aff_officers,
        rng,
        when=conf.dates.amendments_deadline - dt.timedelta(days=2),
    )
    floor.card_vote_open(actor=admin, item=item)
    proxy = Card.objects.filter(item=item, section="affiliate").order_by("pk").first()
    for card in Card.objects.filter(item=item).order_by("pk"):
        choice = "for" if rng.random() < (0.86 if card.section == "clp" else 0.8) else "against"
        if card.user is None:  # a delegate without a login: the CAC records their paper card
            hall_services.card_record(actor=admin, card=card, choice=choice, kind="paper")
        elif proxy is not None and card.pk == proxy.pk:
            hall_services.card_record(
                actor=admin,
                card=card,
                choice=choice,
                kind="proxy",
                proxy_holder="The delegation's deputy leader",
            )
        else:
            floor.card_cast(actor=card.user, card_id=card.pk, choice=choice)
    floor.item_close(actor=admin, item=item)
    return done + 1


def _current_open_vote(
    demo: _Demo, mon: FloorSession, agreed: list[Composite], singles: list[Submission]
) -> AgendaItem | None:
    """Monday morning: a card vote open now, most cards cast (not the demo member's)."""
    admin, rng = demo.admin, demo.rng
    open_item = None
    target = agreed[2] if len(agreed) > 2 else None
    if target is not None:
        open_item = floor.item_create(actor=admin, session=mon, composite=target)
    elif len(singles) > 1:
        open_item = floor.item_create(actor=admin, session=mon, submission=singles[1])
    if open_item is not None:
        floor.card_vote_open(actor=admin, item=open_item)
        demo_user = User.objects.filter(email=f"member@{DOMAIN}").first()
        for card in Card.objects.filter(item=open_item, user__isnull=False).exclude(user=demo_user):
            if rng.random() < 0.6 and card.user is not None:
                floor.card_cast(
                    actor=card.user,
                    card_id=card.pk,
                    choice="for" if rng.random() < 0.7 else "against",
                )
    return open_item


def _hall(admin: User, conf: Conference, item: AgendaItem | None, rng: random.Random) -> int:
    """The hall: ``item`` before conference, five delegates (women and men) on its
    speakers' list — one has spoken, one is speaking, three wait. Returns the count."""
    if item is None:
        return 0
    hall_services.hall_set_current(actor=admin, conference=conf, item=item)
    present = list(
        Delegate.objects.filter(conference=conf, checked_in_at__isnull=False)
        .exclude(member__user__email=f"member@{DOMAIN}")
        .select_related("member")
        .order_by("pk")
    )
    women = [d for d in present if d.member.gender == Gender.WOMAN]
    men = [d for d in present if d.member.gender != Gender.WOMAN]
    chosen = [*women[:3], *men[: 5 - len(women[:3])]]
    rng.shuffle(chosen)
    reqs = []
    for k, d in enumerate(chosen):
        user = _member_login(d.member)  # speakers ask from their phones
        side = "for" if k % 3 != 2 else "against"
        reqs.append(hall_services.speaker_request(actor=user, item=item, side=side))
    if len(reqs) >= 2:
        hall_services.speaker_call(actor=admin, request=reqs[0])
        hall_services.speaker_call(actor=admin, request=reqs[1])  # the first has spoken
    return len(reqs)


#: Demo amendments to the first composite: (how it is decided, change, CAC's reason).
AMENDMENTS = (
    (
        "carried",
        "append",
        " Conference instructs the NEC to report on progress on this policy to next year's "
        "conference and to publish the report to every CLP.",
        "",
    ),
    (
        "lost",
        "prepend",
        "Conference recognises that public finances are constrained and that any change "
        "must be phased in over two Parliaments. ",
        "",
    ),
    (
        "out_of_order",
        "append",
        " Conference calls for the abolition of the House of Lords.",
        "Out of order: it adds a new subject (constitutional reform) instead of amending this "
        "composite's policy. An amendment must be relevant to the item it amends; the subject "
        "may be submitted as a motion next year.",
    ),
)


def _amendments(
    admin: User,
    conf: Conference,
    item: AgendaItem,
    orgs: list[tuple[str, Any]],
    secretaries: dict[int, User],
    aff_officers: dict[int, User],
    rng: random.Random,
    *,
    when: dt.datetime,
) -> int:
    """Three amendments to the item's composite, moved by organisations that are not its
    movers: one carried on a card vote, one lost on a show of hands, one out of order.
    Returns the number of amendment votes decided."""
    composite = item.composite
    if composite is None or len(orgs) < len(AMENDMENTS):
        return 0
    base = composite.text.strip()
    decided = 0
    for k, (fate, where, words, reason) in enumerate(AMENDMENTS):
        kind, org = orgs[k] if k < 2 else orgs[-1]
        actor = secretaries[org.pk] if kind == "clp" else aff_officers[org.pk]
        text = base + words if where == "append" else words + base
        a = amendments.amendment_create(
            actor=actor,
            conference=conf,
            target=composite,
            text=text,
            now=when + dt.timedelta(hours=k),
            **({"clp": org} if kind == "clp" else {"affiliate": org}),
        )
        a = amendments.amendment_rule(
            actor=admin,
            amendment=a,
            in_order=fate != "out_of_order",
            reason=reason,
            now=when + dt.timedelta(days=1),
        )
        if fate == "out_of_order":
            continue
        method = AgendaItem.Method.CARD if fate == "carried" else AgendaItem.Method.HANDS
        vote = floor.item_create(actor=admin, session=item.session, amendment=a, method=method)
        if fate == "carried":
            floor.card_vote_open(actor=admin, item=vote)
            for card in Card.objects.filter(item=vote, user__isnull=False):
                share = 0.75 if card.section == "clp" else 0.8
                assert card.user is not None
                floor.card_cast(
                    actor=card.user,
                    card_id=card.pk,
                    choice="for" if rng.random() < share else "against",
                )
            floor.item_close(actor=admin, item=vote)
        else:
            floor.item_close(
                actor=admin,
                item=vote,
                outcome=AgendaItem.Outcome.LOST,
                note="Lost on a show of hands.",
            )
        decided += 1
    return decided


def _weighted_sample(names: list[str], weights: list[int], k: int, rng: random.Random) -> list[str]:
    pool = list(zip(names, weights, strict=True))
    out: list[str] = []
    while pool and len(out) < k:
        total = sum(w for _, w in pool)
        r = rng.uniform(0, total)
        for i, (n, w) in enumerate(pool):
            r -= w
            if r <= 0:
                out.append(n)
                pool.pop(i)
                break
    return out


def _delegates(admin: User, conf: Conference, clps: list[CLP], rng: random.Random) -> int:
    """Each CLP elects its delegates at a meeting; all check in. Streatham's include the demo
    member (Alex Morgan) and the secretary (Jo Adeyemi)."""
    meeting = conf.dates.census_date + dt.timedelta(days=30)
    n = 0
    for clp in clps:
        ent = delegates_queries.clp_entitlement(conf, clp.pk)
        wanted = min(ent.general, 3)
        members = list(
            Member.objects.filter(
                clp=clp,
                periods__kind="membership",
                periods__start__lte=conf.dates.census_date,
                periods__end__isnull=True,
            )
            .order_by("membership_number")
            .distinct()[:40]
        )
        if clp.constituency.name == "Streatham":
            first = [m for m in members if m.membership_number in ("L0000001", "L0000002")]
            members = first + [m for m in members if m not in first]
        women = [m for m in members if m.gender == Gender.WOMAN]
        others = [m for m in members if m.gender != Gender.WOMAN]
        chosen: list[Member] = []
        if clp.constituency.name == "Streatham":
            chosen = members[:1]  # the demo member; the secretary becomes the women's delegate
        while len(chosen) < wanted and (women or others):
            need_woman = sum(1 for m in chosen if m.gender == Gender.WOMAN) < (len(chosen) + 1) // 2
            src = women if (need_woman and women) or not others else others
            m = src.pop(0)
            if m not in chosen:
                chosen.append(m)
        extra: list[tuple[Member, str]] = []
        rest = [m for m in members if m not in chosen]
        if ent.woman_delegate:
            w = next((m for m in rest if m.gender == Gender.WOMAN), None)
            if w is not None:
                extra.append((w, Delegate.Kind.WOMAN))
                rest.remove(w)
        if ent.youth_delegate:
            cutoff = conf.dates.census_date.replace(year=conf.dates.census_date.year - 27)
            y = next((m for m in rest if m.date_of_birth and m.date_of_birth > cutoff), None)
            if y is not None:
                extra.append((y, Delegate.Kind.YOUTH))
        plan = [(m, Delegate.Kind.GENERAL) for m in chosen[: max(wanted, 1)]] + extra
        for m, kind in plan:
            try:
                d = delegates.delegate_register(
                    actor=admin, conference=conf, member=m, kind=kind, meeting_date=meeting
                )
            except DomainError:
                continue
            _member_login(m)
            delegates.delegate_check_in(actor=admin, delegate=d)
            n += 1
    return n
