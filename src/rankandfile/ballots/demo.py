"""Demo ballots for ``rankandfile demo_seed`` (registered in ``RANKANDFILE_DEMO_SEEDERS``).

Built through the real services, so the demo shows what members and officers would see:

- Streatham CLP's executive committee: Scottish STV, 2 seats, at least one woman —
  open now, a third of the electorate has voted; the demo member has not, so they can.
- Streatham CLP's chair: alternative vote, closed, counted and declared, with its
  published papers, stage-by-stage result and declaration.
- A party-wide consultation (yes/no/abstain, two-thirds): open, nobody has voted yet.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from rankandfile.ballots import services, tally
from rankandfile.ballots.models import Ballot, Elector, Method, Threshold, VoteRecord
from rankandfile.ballots.services import OptionSpec
from rankandfile.core.models import User
from rankandfile.membership.models import CLP

SECRETARY = "secretary@demo.rankandfile.org"
ADMIN = "admin@demo.rankandfile.org"
DEMO_MEMBER = "member@demo.rankandfile.org"
_STAND_INS = (
    "Amina Okafor",
    "Brian Walsh",
    "Chloe Davies",
    "Dev Patel",
    "Erin Murphy",
    "Farah Hussain",
    "Gareth Jones",
    "Hannah Clarke",
    "Imran Shah",
)


def _cast_some(ballot: Ballot, share: float, rng: random.Random, ranked: bool) -> int:
    """Cast votes for a share of the electorate (never for the demo member's login)."""
    n_options = ballot.options.count()
    cast = 0
    electors = list(Elector.objects.filter(ballot=ballot).exclude(member__user__email=DEMO_MEMBER))
    popularity = [rng.random() + 0.2 for _ in range(n_options)]
    for elector in electors:
        if rng.random() >= share:
            continue
        order = sorted(range(n_options), key=lambda i: -popularity[i] * rng.random())
        choice = order[: rng.randint(1, n_options)] if ranked else order[:1]
        services.ballot_cast(ballot=ballot, elector=elector, choice=choice)
        cast += 1
    return cast


def seed(seed: int) -> str:
    """Create the demo ballots; return a one-line summary. Needs the demo logins."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    secretary = User.objects.filter(email=SECRETARY).first()
    admin = User.objects.filter(email=ADMIN).first()
    clp = CLP.objects.filter(constituency__name="Streatham").first()
    if secretary is None or admin is None or clp is None:
        return "demo ballots skipped: demo logins or Streatham CLP missing"
    now = timezone.now()
    today = timezone.localdate()
    names = _candidate_names(clp)
    voted_delegates = _seed_executive(secretary, clp, names[:5], rng, now, today)
    voted_chair = _seed_chair(secretary, clp, names[5:9], rng, now, today)
    consultation = _seed_consultation(admin, now, today)
    total_votes = VoteRecord.objects.count()
    return (
        f"demo ballots: 3 ({voted_delegates} votes in the executive committee ballot, "
        f"{voted_chair} in "
        f"the declared chair ballot, {consultation.electorate_size:,} electors in the "
        f"party-wide consultation; {total_votes} votes in all)"
    )


def _candidate_names(clp: CLP) -> list[str]:
    """Nine Streatham members without logins, filled up with stand-ins in a tiny party."""
    people = list(clp.members.exclude(user__isnull=False).order_by("membership_number")[:9])
    names = [f"{m.first_name} {m.last_name}" for m in people]
    # A tiny demo party may not have nine members in Streatham: fill up with stand-ins.
    for stand_in in _STAND_INS:
        if len(names) >= 9:
            break
        if stand_in not in names:
            names.append(stand_in)
    return names


def _seed_executive(
    secretary: User,
    clp: CLP,
    names: list[str],
    rng: random.Random,
    now: dt.datetime,
    today: dt.date,
) -> int:
    """The open STV ballot for two executive members, a woman's seat reserved; a third of
    the electorate has voted. Returns the votes cast."""
    delegates = services.ballot_create(
        actor=secretary,
        # Not conference delegates: those follow the conference's entitlement (the
        # conference demo registers Streatham's), and a ballot here for a different number
        # of delegates would contradict it (issue 17.6).
        title="Streatham CLP executive committee",
        description="Streatham CLP elects two members of its executive committee; at least "
        "one must be a woman.",
        method=Method.SCOTTISH_STV,
        seats=2,
        quota_minimums={"woman": 1},
        options=[
            OptionSpec(name=n, gender="woman" if i % 2 == 0 else "man") for i, n in enumerate(names)
        ],
        opens_at=now - dt.timedelta(days=1),
        closes_at=now + dt.timedelta(days=6),
        freeze_date=today - dt.timedelta(days=14),
        scope_kind="clp",
        clp=clp,
    )
    delegates = services.ballot_open(actor=secretary, ballot=delegates)
    return _cast_some(delegates, 0.33, rng, ranked=True)


def _seed_chair(
    secretary: User,
    clp: CLP,
    names: list[str],
    rng: random.Random,
    now: dt.datetime,
    today: dt.date,
) -> int:
    """The past AV ballot for the chair, closed, counted and declared. Returns the votes."""
    chair = services.ballot_create(
        actor=secretary,
        title="Chair of Streatham CLP",
        description="Annual election of the CLP chair, counted as an eliminating ballot.",
        method=Method.AV,
        options=[OptionSpec(name=n) for n in names],
        opens_at=now - dt.timedelta(days=30),
        closes_at=now + dt.timedelta(days=1),
        freeze_date=today - dt.timedelta(days=45),
        scope_kind="clp",
        clp=clp,
    )
    chair = services.ballot_open(actor=secretary, ballot=chair)
    voted_chair = _cast_some(chair, 0.55, rng, ranked=True)
    # The demo shows a past ballot: move its close into the past, then close and count.
    # Its electorate was frozen when it opened, before it closed (issue 17.6).
    Ballot.objects.filter(pk=chair.pk).update(
        closes_at=now - dt.timedelta(days=20), frozen_at=chair.opens_at
    )
    chair.refresh_from_db()
    tally.ballot_close(actor=secretary, ballot=chair, now=now)
    tally.ballot_declare(actor=secretary, ballot=Ballot.objects.get(pk=chair.pk))
    return voted_chair


def _seed_consultation(admin: User, now: dt.datetime, today: dt.date) -> Ballot:
    """The open party-wide yes/no consultation, carried on two-thirds, result public."""
    consultation = services.ballot_create(
        actor=admin,
        title="Should every sitting MP face an open selection before each general election?",
        description="A consultative ballot of all members; carried on two-thirds of those voting.",
        method=Method.YESNO,
        threshold=Threshold.TWO_THIRDS,
        opens_at=now - dt.timedelta(hours=2),
        closes_at=now + dt.timedelta(days=14),
        freeze_date=today - dt.timedelta(days=7),
        scope_kind="party",
        results_visibility="public",
    )
    return services.ballot_open(actor=admin, ballot=consultation)
