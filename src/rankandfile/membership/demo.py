"""A plausible demo party: branches, affiliates, members with realistic histories, logins.

Two halves:

- :func:`build_plan` is pure: from a seed, a member count, today's date and the list of
  constituencies it returns every branch, affiliate and member (with their history) as
  plain data. Same inputs, same plan: Python's ``random.Random`` with an integer seed is
  stable across runs and platforms, and nothing here iterates over a set or dict whose
  order could vary.
- :func:`demo_seed` writes a plan in one transaction (``bulk_create`` for the structure;
  plain batched inserts, or COPY on PostgreSQL, for the 100,000-odd member and history
  rows), creates the demo logins (:func:`demo_logins_ensure`) and writes one audit entry
  for the whole seed (no per-row audit: the rows are synthetic).

Histories follow the invariants of ``membership.services``: periods are half-open
``[start, end)``; a member's membership periods never overlap or touch (a rejoin on the
day of a lapse is one continuous period, noted as such); suspension and arrears lie inside
a membership period. Proportions (of all members): ~15% lapsed at least once (a third of
them rejoined later, a few the day after the lapse, a few the same day), ~3% in arrears
now, ~1% suspended now, ~0.15% expelled, ~0.2% died; the rest continuous since a date
between 2010 and today (a few since before 2010), joining peaks in 2015-17 and 2019-20.

The affiliates are real organisations, used only to make the demo recognisable; their
figures are invented.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from rankandfile.core import audit
from rankandfile.core.models import User
from rankandfile.membership import structure
from rankandfile.membership.models import (
    CLP,
    Affiliate,
    AffiliateCLP,
    AffiliationYear,
    Branch,
    Gender,
    Member,
    Period,
    Region,
    Role,
)
from rankandfile.membership.periods import Entry, HistoryError, months_before, normalise_history

DEFAULT_MEMBERS = 50_000
DEFAULT_SEED = 2019
DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - a documented, demo-only password
DEMO_DOMAIN = "demo.rankandfile.org"
AFFILIATION_YEARS = range(2019, 2027)
FIRST_NUMBER = 1_000_001  # bulk members are L1000001...; demo logins' members L0000001...
BATCH = 5000

MEMBERSHIP = Period.Kind.MEMBERSHIP
SUSPENSION = Period.Kind.SUSPENSION
ARREARS = Period.Kind.ARREARS
R = Period.EndReason


class DemoError(Exception):
    """The demo cannot be seeded as asked (e.g. the database already has members)."""


# --- plain data ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PlannedPeriod:
    kind: str
    start: dt.date
    end: dt.date | None = None
    end_reason: str = ""
    note: str = ""


@dataclass(frozen=True)
class PlannedMember:
    membership_number: str
    first_name: str
    last_name: str
    email: str
    address: str
    postcode: str
    constituency: str
    branch: str | None
    gender: str
    date_of_birth: dt.date | None
    periods: tuple[PlannedPeriod, ...]


@dataclass(frozen=True)
class PlannedAffiliate:
    name: str
    short_name: str
    kind: str
    years: tuple[tuple[int, int], ...]  # (year, affiliated members)
    clps: tuple[tuple[str, dt.date], ...]  # (constituency, affiliated since)


@dataclass
class Plan:
    branches: dict[str, list[str]] = field(default_factory=dict)  # constituency -> names
    affiliates: list[PlannedAffiliate] = field(default_factory=list)
    members: list[PlannedMember] = field(default_factory=list)


# --- reference lists ----------------------------------------------------------------------
def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# (name, short name, kind, affiliated members in 2019, share of CLPs affiliated locally)
AFFILIATES: tuple[tuple[str, str, str, int, float], ...] = (
    ("Unite the Union", "Unite", "union", 1_000_000, 0.55),
    ("UNISON", "UNISON", "union", 420_000, 0.50),
    ("GMB", "GMB", "union", 410_000, 0.50),
    ("Union of Shop, Distributive and Allied Workers", "Usdaw", "union", 400_000, 0.30),
    ("Communication Workers Union", "CWU", "union", 180_000, 0.30),
    ("Community", "Community", "union", 25_000, 0.10),
    ("Associated Society of Locomotive Engineers and Firemen", "ASLEF", "union", 20_000, 0.12),
    ("Fire Brigades Union", "FBU", "union", 30_000, 0.15),
    ("Transport Salaried Staffs' Association", "TSSA", "union", 17_000, 0.10),
    ("Musicians' Union", "MU", "union", 30_000, 0.08),
    ("Bakers, Food and Allied Workers' Union", "BFAWU", "union", 19_000, 0.0),
    ("National Union of Mineworkers", "NUM", "union", 1_000, 0.04),
    ("Fabian Society", "Fabians", "society", 7_000, 0.12),
    ("Jewish Labour Movement", "JLM", "society", 2_000, 0.05),
    ("SERA, Labour's environment campaign", "SERA", "society", 2_000, 0.06),
    ("Christians on the Left", "CotL", "society", 1_500, 0.05),
    ("Socialist Health Association", "SHA", "society", 1_000, 0.04),
    ("Society of Labour Lawyers", "SLL", "society", 800, 0.03),
    ("Labour Women's Network", "LWN", "society", 1_200, 0.04),
    ("LGBT+ Labour", "LGBT+ Labour", "society", 1_500, 0.05),
)
# The Bakers' union disaffiliated in 2021: affiliated membership only up to then.
AFFILIATE_LAST_YEAR = {"BFAWU": 2021}
AFFILIATE_FIRST_SINCE = {"FBU": dt.date(2015, 11, 20)}  # re-affiliated in 2015

# Relative size of the membership by region (London and the North West are biggest).
REGION_WEIGHT = {
    "London": 1.9,
    "North West": 1.4,
    "Yorkshire and The Humber": 1.1,
    "South East": 1.05,
    "North East": 1.0,
    "South West": 1.0,
    "Wales": 1.0,
    "East of England": 0.9,
    "East Midlands": 0.9,
    "West Midlands": 0.9,
    "Scotland": 0.6,
    "Northern Ireland": 0.08,
}
BIG_CLPS = frozenset(
    {
        "Streatham",
        "Hornsey and Wood Green",
        "Islington North",
        "Hackney North and Stoke Newington",
        "Dulwich and West Norwood",
        "Lewisham, Deptford",
        "Bristol West",
        "Brighton, Pavilion",
        "Liverpool, Wavertree",
        "Manchester, Withington",
    }
)
KNOWN_BRANCHES = {
    "Streatham": [
        "Brixton Hill",
        "St Leonard's",
        "Streatham Hill",
        "Streatham South",
        "Streatham Wells",
        "Thornton",
    ]
}
KNOWN_OUTWARD = {"Streatham": ["SW16", "SW2"]}

POSTCODE_AREAS = {
    "London": ["E", "N", "NW", "SE", "SW", "W", "EN", "HA", "UB", "TW", "CR", "BR", "IG", "RM"],
    "South East": ["BN", "RH", "GU", "ME", "CT", "TN", "OX", "RG", "SL", "HP", "MK", "PO", "SO"],
    "East of England": ["CB", "IP", "NR", "CO", "CM", "SS", "LU", "AL", "SG", "PE"],
    "South West": ["BS", "BA", "EX", "PL", "TQ", "TR", "GL", "SN", "SP", "BH", "DT", "TA"],
    "West Midlands": ["B", "CV", "WV", "WS", "DY", "ST", "TF", "WR", "HR"],
    "East Midlands": ["NG", "LE", "DE", "LN", "NN"],
    "Yorkshire and The Humber": ["LS", "BD", "S", "HU", "YO", "WF", "HD", "HX", "DN", "HG"],
    "North West": ["M", "L", "WA", "WN", "BL", "OL", "SK", "PR", "BB", "FY", "LA", "CH", "CA"],
    "North East": ["NE", "SR", "DH", "TS", "DL"],
    "Wales": ["CF", "SA", "NP", "LL", "SY", "LD"],
    "Scotland": ["G", "EH", "AB", "DD", "KY", "FK", "PA", "IV", "KA", "ML", "PH", "TD", "DG"],
    "Northern Ireland": ["BT"],
}
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters Royal Mail uses in inward codes
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9][ABD-HJLNP-UW-Z]{2}$")

WARD_PREFIXES = _words(
    "Abbey Alder Ash Beech Birch Bram Brook Castle Cherry Church Clay Cole Cross Elm Fair "
    "Fern Glen Hall Hazel Heath High Holly Kings Lark Lime Long Maple Marsh Mill Moor New "
    "Oak Pine Queens Red Rose Sand Stone Thorn Wal White Willow Wood"
)
WARD_SUFFIXES = _words(
    "bank bridge brook bury croft dale field ford gate green ham hill hurst lands ley mead "
    "moor side stead ton vale well wood"
)
WARD_QUALIFIERS = ("North", "South", "East", "West", "Central", "Park", "Village", "Green")
WARD_NAMES = (
    "St Mary's", "St John's", "St Peter's", "St Andrew's", "St Michael's", "St George's",
    "Riverside", "Town", "Castle", "Priory", "Abbey", "Harbour", "Old Town", "Cathedral",
    "Market", "Canal", "Valley", "Hillside", "Forest", "Parkside", "Victoria", "Central",
)  # fmt: skip
STREET_NAMES = _words(
    "Victoria Albert Station Church Mill Park Queen's King's High Manor Grove Chapel Market "
    "Bridge Cromwell Nelson Windsor York Richmond Elm Oak Cedar Beech Hawthorn Orchard "
    "Meadow Springfield Highfield Stanley Gladstone Salisbury Alexandra Clarence Milton "
    "Shakespeare Wellington Cavendish Grosvenor Tennyson Brunswick Lansdowne Mount Hill"
)
STREET_TYPES = _words(
    "Road Road Road Street Street Avenue Lane Close Gardens Terrace Crescent Drive Way Grove"
)

WOMEN = _words(
    "Olivia Amelia Isla Ava Emily Sophie Grace Mia Poppy Ella Lily Evie Isabella Jessica "
    "Chloe Charlotte Lucy Hannah Ruby Sarah Emma Laura Rebecca Rachel Claire Helen Nicola "
    "Karen Julie Susan Linda Margaret Patricia Elizabeth Jennifer Catherine Louise Joanne "
    "Kerry Natalie Gemma Zoe Amy Megan Holly Anna Fatima Aisha Amina Priya Sunita Anjali "
    "Mariam Zainab Nadia Yasmin Ngozi Chidinma Abena Agnieszka Katarzyna Siobhan Niamh "
    "Aoife Bronwen Cerys Eilidh Morag Kirsty Fiona Alison Diane Janet Pauline Sandra Carol "
    "Angela Jacqueline Deborah Wendy Gillian Shirley Maureen Brenda Joan Dorothy Irene "
    "Jean Maria Rosa Ana Leah Freya Harriet Imogen Alice Florence Phoebe Eleanor Martha"
)
MEN = _words(
    "Oliver George Harry Noah Jack Leo Arthur Muhammad Oscar Charlie Jacob Thomas James "
    "William Daniel Joshua Samuel Joseph Benjamin Matthew Luke Ryan Adam Liam Callum Jamie "
    "David John Michael Paul Andrew Mark Richard Stephen Peter Robert Christopher Anthony "
    "Ian Alan Brian Kevin Gary Neil Simon Martin Graham Colin Keith Trevor Barry Derek "
    "Raymond Kenneth Dennis Terence Roy Malcolm Gordon Stuart Alistair Hamish Angus Ewan "
    "Rhys Gareth Dylan Owain Dafydd Sean Ciaran Declan Patrick Aidan Mohammed Ahmed Ali "
    "Omar Imran Hassan Bilal Arjun Rohan Sanjay Vikram Ravi Amit Kwame Kofi Chinedu Emeka "
    "Tunde Piotr Tomasz Marek Jakub Luca Marco Nikos Tom Sam Joe Ben Dan Alex Chris Nathan"
)
SURNAMES = _words(
    "Smith Jones Taylor Brown Williams Wilson Johnson Davies Robinson Wright Thompson Evans "
    "Walker White Roberts Green Hall Wood Jackson Clarke Patel Khan Lewis James Phillips "
    "Mason Mitchell Rose Davis Rodriguez Cox Alexander Morgan Moore Mills King Harris Scott "
    "Baker Turner Hill Campbell Stewart Anderson Murray Macdonald Reid Ross Fraser "
    "Robertson Morrison Paterson Hughes Edwards Owen Price Lloyd Griffiths Morris Rees "
    "Jenkins Powell Murphy Kelly O'Brien Byrne Ryan O'Connor Walsh McCarthy Doyle Quinn "
    "Singh Ahmed Ali Hussain Begum Shah Rahman Islam Akhtar Chowdhury Kaur Sharma Gill "
    "Mensah Okafor Adeyemi Okonkwo Asante Boateng Osei Mohamed Abdi Nowak Kowalski "
    "Wisniewski Kaminski Rossi Silva Santos Costa Nguyen Chen Wang Li Cooper Ward Martin "
    "Harrison Clark Young Allen Lee Watson Bennett Carter Shaw Collins Bell Parker Marshall "
    "Chapman Webb Ellis Hunt Palmer Holmes Knight Lloyd Barker Fisher Butler Dixon Russell "
    "Atkinson Stevens Pearson Hunter Sutton Barnes Fletcher Gibson Grant Kennedy Bailey "
    "Richardson Kaur Ferguson Gray Simpson Wallace Duncan Burns Henderson Marsden Whitehead"
)


# --- small date helpers -------------------------------------------------------------------
def add_years(day: dt.date, years: int) -> dt.date:
    """``day`` moved ``years`` years on; 29 February becomes 28 February in common years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _between(rng: random.Random, first: dt.date, last: dt.date) -> dt.date:
    """A uniformly random day in ``[first, last]`` (``first`` if the range is empty)."""
    span = (last - first).days
    return first if span <= 0 else first + dt.timedelta(days=int(rng.random() * (span + 1)))


def _pick(rng: random.Random, seq: Sequence[str]) -> str:
    # rng.choice is correct but slow; this is the hot loop of a 50,000-member seed.
    return seq[int(rng.random() * len(seq))]


# --- the plan -----------------------------------------------------------------------------
def build_plan(
    *, seed: int, members: int, today: dt.date, constituencies: Sequence[tuple[str, str]]
) -> Plan:
    """The whole demo party as plain data: deterministic in its arguments.

    ``constituencies`` is a list of ``(constituency name, region name)``; its order does not
    matter (it is sorted here).
    """
    if members < 0:
        raise DemoError("the number of members must not be negative")
    if members and not constituencies:
        raise DemoError("members need constituencies to live in: load the structure first")
    cons = sorted(constituencies)
    plan = Plan()
    # Reproducible from the seed by design: nothing here is secret.
    rng = random.Random(seed)  # noqa: S311 - demo data, not security
    for name, _region in cons:
        plan.branches[name] = _branch_names(rng, name)
    names = [c for c, _ in cons]
    plan.affiliates = _affiliates(random.Random(seed + 1), names, today)  # noqa: S311 - demo
    plan.members = _members(
        random.Random(seed + 2),  # noqa: S311 - demo data, not security
        members,
        today,
        cons,
        plan.branches,
    )
    return plan


def _town(constituency: str) -> str:
    town = constituency.split(",")[0].split(" and ")[0]
    town = re.sub(r"\b(North|South|East|West|Central|Mid)\b", "", town).strip()
    return re.sub(r"\s+", " ", town) or constituency


def _branch_names(rng: random.Random, constituency: str) -> list[str]:
    if constituency in KNOWN_BRANCHES:
        return list(KNOWN_BRANCHES[constituency])
    wanted = rng.randint(2, 6)
    town = _town(constituency)
    names: list[str] = []
    while len(names) < wanted:
        form = rng.random()
        if form < 0.4:
            name = rng.choice(WARD_PREFIXES) + rng.choice(WARD_SUFFIXES)
        elif form < 0.6:
            name = f"{rng.choice(WARD_PREFIXES)}{rng.choice(WARD_SUFFIXES)} "
            name += rng.choice(WARD_QUALIFIERS)
        elif form < 0.8:
            name = f"{town} {rng.choice(WARD_QUALIFIERS)}"
        else:
            name = rng.choice(WARD_NAMES)
        if name not in names:
            names.append(name)
    return sorted(names)


def _affiliates(
    rng: random.Random, constituencies: list[str], today: dt.date
) -> list[PlannedAffiliate]:
    out = []
    for name, short, kind, base, share in AFFILIATES:
        years = []
        count = float(base)
        last_year = AFFILIATE_LAST_YEAR.get(short, AFFILIATION_YEARS[-1])
        for year in AFFILIATION_YEARS:
            if year > last_year:
                break
            step = 100 if count >= 10_000 else 10
            years.append((year, max(step, round(count / step) * step)))
            count *= rng.uniform(0.95, 1.02)
        first_since = AFFILIATE_FIRST_SINCE.get(short, dt.date(1995, 1, 1))
        local = []
        for con in constituencies:
            forced = con == "Streatham" and short in {"Unite", "UNISON", "GMB"}
            if forced or rng.random() < share:
                local.append((con, _between(rng, first_since, min(dt.date(2024, 12, 31), today))))
        out.append(PlannedAffiliate(name, short, kind, tuple(years), tuple(local)))
    return out


def _clp_weights(rng: random.Random, cons: list[tuple[str, str]]) -> list[float]:
    cumulative = []
    total = 0.0
    for name, region in cons:
        weight = rng.lognormvariate(0.0, 0.45) * REGION_WEIGHT.get(region, 1.0)
        if name in BIG_CLPS:
            weight *= 2.5
        total += weight
        cumulative.append(total)
    return cumulative


def _outward_codes(rng: random.Random, cons: list[tuple[str, str]]) -> dict[str, list[str]]:
    codes = {}
    for name, region in cons:
        if name in KNOWN_OUTWARD:
            codes[name] = list(KNOWN_OUTWARD[name])
            continue
        area = rng.choice(POSTCODE_AREAS.get(region, ["SW"]))
        first = rng.randint(1, 28)
        codes[name] = [f"{area}{first}", f"{area}{first + rng.randint(1, 3)}"]
    return codes


_ASCII: dict[str, str] = {}


def _ascii(text: str) -> str:
    if text not in _ASCII:
        _ASCII[text] = re.sub(r"[^a-z]", "", text.lower())
    return _ASCII[text]


def _members(
    rng: random.Random,
    n: int,
    today: dt.date,
    cons: list[tuple[str, str]],
    branches: dict[str, list[str]],
) -> list[PlannedMember]:
    cumulative = _clp_weights(rng, cons)
    outward = _outward_codes(rng, cons)
    towns = {con: "London" if region == "London" else _town(con) for con, region in cons}
    total = cumulative[-1] if cumulative else 0.0
    last_clp = len(cons) - 1
    genders = (Gender.WOMAN, Gender.MAN, Gender.NON_BINARY, Gender.SELF_DESCRIBED, "")
    gender_cum = list(itertools.accumulate((0.47, 0.48, 0.012, 0.003, 0.035)))
    join_years = _join_years(today)
    random_ = rng.random
    drafts = []
    for i in range(n):
        con = cons[min(bisect.bisect_right(cumulative, random_() * total), last_clp)][0]
        branch = _pick(rng, branches[con]) if random_() >= 0.01 else None
        gender = genders[bisect.bisect_right(gender_cum, random_() * gender_cum[-1])]
        if gender == Gender.WOMAN or (gender != Gender.MAN and random_() < 0.5):
            first = _pick(rng, WOMEN)
        else:
            first = _pick(rng, MEN)
        last = _pick(rng, SURNAMES)
        dob = _date_of_birth(rng, today)
        periods = _history(rng, today, dob, join_years)
        inward = f"{int(random_() * 10)}{_pick(rng, INWARD_LETTERS)}{_pick(rng, INWARD_LETTERS)}"
        number = int(random_() * 180) + 1
        street = f"{number} {_pick(rng, STREET_NAMES)} {_pick(rng, STREET_TYPES)}"
        drafts.append(
            (
                periods[0].start,
                i,
                (
                    first,
                    last,
                    f"{_ascii(first)}.{_ascii(last)}.{i + 1}@example.org",
                    f"{street}\n{towns[con]}",
                    f"{_pick(rng, outward[con])} {inward}",
                    con,
                    branch,
                    str(gender),
                    dob if random_() >= 0.03 else None,
                    tuple(periods),
                ),
            )
        )
    # Membership numbers follow the order of joining, as a membership system issues them.
    drafts.sort(key=lambda d: (d[0], d[1]))
    return [
        PlannedMember(f"L{FIRST_NUMBER + k:07d}", *fields)
        for k, (_start, _i, fields) in enumerate(drafts)
    ]


def _date_of_birth(rng: random.Random, today: dt.date) -> dt.date:
    band = rng.random()
    if band < 0.10:
        age = 15 + int(rng.random() * 12)  # Young Labour: under 27 (15-26)
    elif band < 0.30:
        age = 27 + int(rng.random() * 13)  # 27-39
    elif band < 0.65:
        age = 40 + int(rng.random() * 20)  # 40-59
    else:
        age = 60 + int(rng.random() * 30)  # 60-89
    latest = add_years(today, -age)  # born on or before this day: aged at least `age`
    earliest = add_years(today, -age - 1) + dt.timedelta(days=1)
    return _between(rng, earliest, latest)


JOIN_YEAR_WEIGHTS = {
    2010: 4, 2011: 2, 2012: 2, 2013: 2, 2014: 3, 2015: 14, 2016: 14, 2017: 8, 2018: 5,
    2019: 6, 2020: 8, 2021: 3, 2022: 3, 2023: 3, 2024: 5, 2025: 4,
}  # fmt: skip
EARLY_JOINERS = 0.06  # members since before 2010


def _join_years(today: dt.date) -> tuple[list[int], list[float]]:
    """Years 2010..today's and their cumulative weights (joining surged in 2015-17)."""
    years = list(range(2010, today.year + 1))
    return years, list(itertools.accumulate(JOIN_YEAR_WEIGHTS.get(y, 4) for y in years))


def _first_join(
    rng: random.Random, today: dt.date, dob: dt.date, join_years: tuple[list[int], list[float]]
) -> dt.date:
    earliest = add_years(dob, 14)  # the minimum age to join
    if rng.random() < EARLY_JOINERS:
        day = _between(rng, dt.date(1975, 1, 1), dt.date(2009, 12, 31))
    else:
        years, cum = join_years
        year = years[min(bisect.bisect_right(cum, rng.random() * cum[-1]), len(years) - 1)]
        day = _between(rng, dt.date(year, 1, 1), min(dt.date(year, 12, 31), today))
    if day < earliest:
        day = _between(rng, earliest, today)
    return min(day, today)


def _history(
    rng: random.Random,
    today: dt.date,
    dob: dt.date,
    join_years: tuple[list[int], list[float]],
) -> list[PlannedPeriod]:
    """One member's periods, first membership period first (see the module docstring)."""
    join = _first_join(rng, today, dob, join_years)
    days = (today - join).days
    roll = rng.random()
    if roll < 0.15 and days > 150:
        return _lapsed(rng, today, join)
    if roll < 0.18 and days > 2:  # in arrears now
        owed = _between(rng, max(join + dt.timedelta(days=1), today - dt.timedelta(days=180)),
                        today - dt.timedelta(days=1))  # fmt: skip
        return [PlannedPeriod(MEMBERSHIP, join), PlannedPeriod(ARREARS, owed)]
    if roll < 0.19 and days > 40:  # suspended now, pending an investigation
        since = _between(rng, max(join + dt.timedelta(days=30), today - dt.timedelta(days=400)),
                         today - dt.timedelta(days=1))  # fmt: skip
        return [
            PlannedPeriod(MEMBERSHIP, join),
            PlannedPeriod(
                SUSPENSION, since, note="administrative suspension pending investigation"
            ),
        ]
    if roll < 0.1915 and days > 400:  # expelled after a suspension
        out = _between(rng, join + dt.timedelta(days=365), today - dt.timedelta(days=1))
        since = _between(rng, max(join, out - dt.timedelta(days=300)), out - dt.timedelta(days=30))
        return [
            PlannedPeriod(MEMBERSHIP, join, out, R.EXPELLED, "expelled by the NEC"),
            PlannedPeriod(SUSPENSION, since, out, R.EXPELLED),
        ]
    if roll < 0.1935 and days > 30:
        died = _between(rng, join + dt.timedelta(days=30), today - dt.timedelta(days=1))
        return [PlannedPeriod(MEMBERSHIP, join, died, R.DIED)]
    periods = [PlannedPeriod(MEMBERSHIP, join)]
    extra = rng.random()
    if extra < 0.05 and days > 120:  # arrears in the past, since paid
        owed = _between(rng, join + dt.timedelta(days=30), today - dt.timedelta(days=90))
        paid = owed + dt.timedelta(days=14 + int(rng.random() * 67))
        periods.append(PlannedPeriod(ARREARS, owed, paid, R.PAID))
    elif extra < 0.055 and days > 400:  # a suspension, since lifted
        since = _between(rng, join + dt.timedelta(days=30), today - dt.timedelta(days=200))
        lifted = since + dt.timedelta(days=30 + int(rng.random() * 151))
        periods.append(PlannedPeriod(SUSPENSION, since, lifted, R.LIFTED))
    return periods


def _lapsed(rng: random.Random, today: dt.date, join: dt.date) -> list[PlannedPeriod]:
    lapse = _between(rng, join + dt.timedelta(days=120), today - dt.timedelta(days=30))
    resigned = rng.random() < 0.2
    reason = R.RESIGNED if resigned else R.LAPSED
    # A lapse follows months of unpaid subscriptions (arrears run up to the lapse day).
    owed = max(join + dt.timedelta(days=1), months_before(lapse, 6))
    arrears = None if resigned else (owed, lapse)
    what = rng.random()
    if what < 0.05 and not resigned:
        # Rejoined on the lapse day: the membership was continuous (one period, as the
        # services store it); the arrears were paid off by rejoining.
        return [
            PlannedPeriod(MEMBERSHIP, join, note=f"lapsed {lapse:%d %b %Y}, rejoined the same day"),
            PlannedPeriod(ARREARS, owed, lapse, R.PAID),
        ]
    periods = [PlannedPeriod(MEMBERSHIP, join, lapse, reason)]
    if arrears is not None:
        periods.append(PlannedPeriod(ARREARS, arrears[0], arrears[1], R.LAPSED))
    if what < 0.08:
        rejoin = lapse + dt.timedelta(days=1)  # one day out: continuity is broken
    elif what < 0.38:
        rejoin = lapse + dt.timedelta(days=30 + int(rng.random() * 1071))
    else:
        return periods
    if rejoin <= today:
        periods.append(PlannedPeriod(MEMBERSHIP, rejoin, note="rejoined"))
    return periods


# --- writing ------------------------------------------------------------------------------
@dataclass
class SeedResult:
    members: int = 0
    periods: int = 0
    branches: int = 0
    affiliates: int = 0
    logins_created: int = 0
    structure: structure.StructureResult | None = None

    def summary(self) -> dict[str, object]:
        return {
            "members": self.members,
            "periods": self.periods,
            "branches": self.branches,
            "affiliates": self.affiliates,
            "logins_created": self.logins_created,
            "structure": self.structure.summary() if self.structure else None,
        }


@transaction.atomic
def demo_seed(
    *,
    members: int = DEFAULT_MEMBERS,
    seed: int = DEFAULT_SEED,
    actor: User | None = None,
    today: dt.date | None = None,
    mps_path: Path | None = None,
) -> SeedResult:
    """Build the demo party in an empty membership database.

    Loads the structure (:func:`structure.apply_structure`: regions, 650 constituencies
    and CLPs, the MPs from the Commons reference data), then writes the plan of
    :func:`build_plan` for ``today`` (default: ``timezone.localdate()``) and the demo
    logins. Branches are added only to CLPs that have none; affiliates are matched by
    short name and left alone if they exist.

    Side effects: one audit entry ``membership.demo.seed`` with the counts.
    Raises :class:`DemoError` if the database already has members (seeding twice would
    mix two parties) or ``members`` is negative.
    """
    if Member.objects.exists():
        raise DemoError(
            "the database already has members: the demo is seeded only into an empty "
            "membership (use --if-empty to skip quietly)"
        )
    today = today or timezone.localdate()
    result = SeedResult(structure=structure.apply_structure(mps_path=mps_path))
    clps = list(CLP.objects.select_related("constituency__region"))
    by_con = {c.constituency.name: c for c in clps}
    plan = build_plan(
        seed=seed,
        members=members,
        today=today,
        constituencies=[(c.constituency.name, c.constituency.region.name) for c in clps],
    )

    _check_histories(plan, today)
    result.branches, branch_ids = _write_branches(plan, by_con)
    result.affiliates = _write_affiliates(plan.affiliates, by_con)
    result.members, result.periods = _write_members(plan, by_con, branch_ids)
    result.logins_created = _ensure_logins()
    audit.record(
        actor=actor,
        action="membership.demo.seed",
        data={"seed": seed, "today": today.isoformat(), **result.summary()},
        label="demo party",
    )
    return result


def _check_histories(plan: Plan, today: dt.date) -> None:
    """Every planned history as the membership history rule keeps it (docs/rules/
    membership.md): the demo writes periods directly, so it checks them first."""
    for m in plan.members:
        entries = [Entry(p.kind, p.start, p.end, p.end_reason, p.note) for p in m.periods]
        try:
            kept = normalise_history(entries, today=today)
        except HistoryError as exc:
            raise DemoError(f"demo member {m.membership_number}: {exc}") from None
        if kept != sorted(entries, key=lambda e: (e.start, e.kind)):
            raise DemoError(f"demo member {m.membership_number}: touching periods")


def _write_branches(plan: Plan, by_con: dict[str, CLP]) -> tuple[int, dict[tuple[int, str], int]]:
    """Branches for the CLPs that have none; the number added and every branch's id."""
    has_branches = set(Branch.objects.values_list("clp_id", flat=True).distinct())
    new_branches = [
        Branch(clp_id=by_con[con].pk, name=name)
        for con, names in plan.branches.items()
        if by_con[con].pk not in has_branches
        for name in names
    ]
    Branch.objects.bulk_create(new_branches, batch_size=BATCH)
    branch_ids = {(c, n): pk for pk, c, n in Branch.objects.values_list("pk", "clp_id", "name")}
    return len(new_branches), branch_ids


def _write_members(
    plan: Plan, by_con: dict[str, CLP], branch_ids: dict[tuple[int, str], int]
) -> tuple[int, int]:
    """The members and their histories; the numbers of each written.

    The two big tables are written with executemany on plain tuples: building 100,000
    model instances for bulk_create (capped at 999 parameters a statement on SQLite, and
    logged statement by statement under DEBUG) took most of a minute; this takes seconds.
    """
    ops = connection.ops
    day = ops.adapt_datefield_value
    now = ops.adapt_datetimefield_value(timezone.now())
    _insert(
        Member,
        ("membership_number", "first_name", "last_name", "email", "address", "postcode",
         "clp", "branch", "gender", "date_of_birth", "updated_at"),
        [
            (m.membership_number, m.first_name, m.last_name, m.email, m.address, m.postcode,
             by_con[m.constituency].pk,
             branch_ids.get((by_con[m.constituency].pk, m.branch)) if m.branch else None,
             m.gender, day(m.date_of_birth), now)
            for m in plan.members
        ],
    )  # fmt: skip
    ids = dict(Member.objects.values_list("membership_number", "pk"))
    periods = [
        (ids[m.membership_number], p.kind, day(p.start), day(p.end), p.end_reason, p.note)
        for m in plan.members
        for p in m.periods
    ]
    _insert(Period, ("member", "kind", "start", "end", "end_reason", "note"), periods)
    return len(plan.members), len(periods)


def _insert(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Insert plain rows (values already adapted for the database) in batches."""
    quote = connection.ops.quote_name
    column = {f.name: f.column for f in model._meta.concrete_fields}
    columns = ", ".join(quote(column[f]) for f in fields)
    table = quote(model._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is PostgreSQL's bulk path: 100,000 rows in about a second, where
            # row-by-row round trips take half a minute.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for values in rows:
                    copy.write_row(values)
            return
        # Identifiers come from the model's metadata and every value is a query parameter.
        placeholders = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"  # noqa: S608 - see above
        for i in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[i : i + BATCH])


def _write_affiliates(planned: list[PlannedAffiliate], by_con: dict[str, CLP]) -> int:
    existing = set(Affiliate.objects.values_list("short_name", flat=True))
    new = [
        Affiliate(name=a.name, short_name=a.short_name, kind=a.kind)
        for a in planned
        if a.short_name not in existing
    ]
    Affiliate.objects.bulk_create(new)
    created = {a.short_name: a for a in new}
    years = []
    links = []
    for a in planned:
        aff = created.get(a.short_name)
        if aff is None:
            continue
        years += [AffiliationYear(affiliate=aff, year=y, affiliated_members=n) for y, n in a.years]
        links += [AffiliateCLP(affiliate=aff, clp_id=by_con[c].pk, since=s) for c, s in a.clps]
    AffiliationYear.objects.bulk_create(years, batch_size=BATCH)
    AffiliateCLP.objects.bulk_create(links, batch_size=BATCH)
    return len(new)


# --- demo logins --------------------------------------------------------------------------
@dataclass(frozen=True)
class DemoLogin:
    """One demo account: its login, optional member record and role, and what it sees."""

    label: str
    email: str
    full_name: str
    sees: str
    role: str | None = None  # Role.Kind
    scope: tuple[str, str] | None = None  # ("clp"|"branch"|"region"|"affiliate", name)
    is_staff: bool = False
    member_number: str | None = None  # a member in Streatham CLP, continuous since `joined`
    joined: dt.date | None = None
    branch: str | None = None
    gender: str = ""
    born: dt.date | None = None


STREATHAM = "Streatham"
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin(
        "Member", f"member@{DEMO_DOMAIN}", "Alex Morgan",
        "own record; Streatham delegate (open card vote); Streatham's selection ballot",
        member_number="L0000001", joined=dt.date(2015, 9, 12), branch="Streatham Wells",
        gender=Gender.NON_BINARY, born=dt.date(1990, 4, 3),
    ),
    DemoLogin(
        "CLP secretary", f"secretary@{DEMO_DOMAIN}", "Jo Adeyemi",
        "Streatham CLP's members, ballots, selection, campaign and conference submission",
        role=Role.Kind.CLP_SECRETARY, scope=("clp", STREATHAM),
        member_number="L0000002", joined=dt.date(2012, 5, 1), branch="St Leonard's",
        gender=Gender.WOMAN, born=dt.date(1978, 11, 20),
    ),
    DemoLogin(
        "CLP chair", f"chair@{DEMO_DOMAIN}", "Chris Walsh",
        "Streatham CLP's members (search, filter, manage); own record",
        role=Role.Kind.CLP_CHAIR, scope=("clp", STREATHAM),
        member_number="L0000003", joined=dt.date(2009, 6, 10), branch="Streatham South",
        gender=Gender.MAN, born=dt.date(1965, 2, 14),
    ),
    DemoLogin(
        "Branch officer", f"branch@{DEMO_DOMAIN}", "Sam Reid",
        "Streatham Hill branch members' records (read only); own record",
        role=Role.Kind.BRANCH_OFFICER, scope=("branch", "Streatham Hill"),
        member_number="L0000004", joined=dt.date(2017, 4, 20), branch="Streatham Hill",
        gender=Gender.WOMAN, born=dt.date(2001, 8, 30),
    ),
    DemoLogin(
        "Regional officer", f"regional@{DEMO_DOMAIN}", "Nadia Rahman",
        "every CLP and member in London (staff; not a member)",
        role=Role.Kind.REGIONAL_OFFICER, scope=("region", "London"),
    ),
    DemoLogin(
        "Affiliate officer", f"affiliate@{DEMO_DOMAIN}", "Dev Kapoor",
        "Unite: conference submission, delegation, trigger and nominations; no member records",
        role=Role.Kind.AFFILIATE_OFFICER, scope=("affiliate", "Unite"),
    ),
    DemoLogin(
        "National admin", f"admin@{DEMO_DOMAIN}", "Helen Price",
        "everything incl. CAC (conference business) and policy officer; /admin/",
        role=Role.Kind.NATIONAL_ADMIN, is_staff=True,
        member_number="L0000005", joined=dt.date(2004, 3, 1), branch="Thornton",
        gender=Gender.WOMAN, born=dt.date(1970, 7, 7),
    ),
    DemoLogin(
        "Scrutineer", f"scrutineer@{DEMO_DOMAIN}", "Tariq Hussain",
        "party-wide scrutiny of ballots (turnout, audit); no member records",
        role=Role.Kind.SCRUTINEER,
    ),
)  # fmt: skip
ROLE_START = dt.date(2020, 1, 1)


def _scope_kwargs(login: DemoLogin) -> dict[str, object]:
    if login.scope is None:
        return {}
    kind, name = login.scope
    streatham = CLP.objects.filter(constituency__name=STREATHAM).first()
    found: object | None
    if kind == "clp":
        found = CLP.objects.filter(constituency__name=name).first()
    elif kind == "branch":
        found = None
        if streatham is not None:
            found, _ = Branch.objects.get_or_create(clp=streatham, name=name)
    elif kind == "region":
        found = Region.objects.filter(name=name).first()
    else:
        found = Affiliate.objects.filter(short_name=name).first()
    if found is None:
        raise DemoError(f"the demo party has no {kind} {name!r}: run `rankandfile demo_seed` first")
    return {kind: found}


def _ensure_logins() -> int:
    """Create the demo logins, their member records and roles where missing.

    Existing accounts are kept as they are (their password is not reset); a missing member
    record or role of an existing account is added back. Returns the accounts created.
    """
    streatham = CLP.objects.filter(constituency__name=STREATHAM).first()
    if streatham is None:
        raise DemoError("the party structure is not loaded: run `rankandfile demo_seed` first")
    password: str | None = None
    created = 0
    for login in DEMO_LOGINS:
        user = User.objects.filter(email=login.email).first()
        if user is None:
            password = password or make_password(DEMO_PASSWORD)  # hash once: it is slow
            user = User.objects.create(
                email=login.email, full_name=login.full_name, is_staff=login.is_staff,
                password=password,
            )  # fmt: skip
            created += 1
        if login.member_number is not None:
            _ensure_member(login, user, streatham)
        if login.role is not None:
            scope = _scope_kwargs(login)
            if not Role.objects.filter(user=user, kind=login.role, **scope).exists():
                Role.objects.create(user=user, kind=login.role, start=ROLE_START, **scope)
    return created


def _ensure_member(login: DemoLogin, user: User, clp: CLP) -> None:
    assert login.member_number is not None and login.joined is not None
    member = Member.objects.filter(membership_number=login.member_number).first()
    if member is None:
        branch = None
        if login.branch:
            branch, _ = Branch.objects.get_or_create(clp=clp, name=login.branch)
        first, last = login.full_name.split(" ", 1)
        member = Member.objects.create(
            membership_number=login.member_number, first_name=first, last_name=last,
            email=login.email, address="1 Demo Road\nLondon", postcode="SW16 1AB",
            clp=clp, branch=branch, gender=login.gender, date_of_birth=login.born,
        )  # fmt: skip
        Period.objects.create(member=member, kind=MEMBERSHIP, start=login.joined)
    if member.user_id is None and not Member.objects.filter(user=user).exists():
        member.user = user
        member.save(update_fields=["user"])


@transaction.atomic
def demo_logins_ensure(*, actor: User | None = None) -> int:
    """Make sure every demo login exists (see :func:`_ensure_logins`).

    Side effects: one audit entry ``membership.demo.logins`` if any account was created.
    Raises :class:`DemoError` if the demo party (Streatham CLP, London, Unite) is missing.
    """
    created = _ensure_logins()
    if created:
        audit.record(
            actor=actor,
            action="membership.demo.logins",
            data={"created": created},
            label="demo logins",
        )
    return created


def demo_logins_restart_mfa_grace(*, actor: User | None = None) -> list[str]:
    """Restart the two-factor grace period (``MFA_GRACE_DAYS``) of every demo login whose
    role requires two factors and that has none, so the demo stays usable with the
    published password while showing the requirement's banner. Returns their emails."""
    from rankandfile.core import mfa

    emails = [d.email for d in DEMO_LOGINS]
    restarted = []
    for user in User.objects.filter(email__in=emails).order_by("email"):
        if mfa.user_must_have_mfa(user) and not mfa.user_has_mfa(user):
            mfa.grace_restart(actor=actor, user=user)
            restarted.append(user.email)
    return restarted
