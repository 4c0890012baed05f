"""Live data from Parliament's APIs (rules F1-F5 in docs/rules/accountability.md).

- Divisions from the Commons Votes API: ``/data/divisions.json/search`` over a date range,
  paged with ``queryParameters.skip``/``take``, then ``/data/division/{id}.json`` for each
  division's members (the shape the file importer reads as ``commons-json``).
- MPs and their party history from the Members API: ``/api/Members/Search`` (current
  Commons members, paged with ``skip``/``take``) and ``/api/Members/History?ids=...``
  (``partyHistory``), for every MP in the divisions fetched.

The HTTP client is ``requests`` with urllib3's ``Retry`` (connection errors and 429/5xx
answers retried with exponential backoff, ``Retry-After`` respected) and conditional
requests: each address's last ``ETag``/``Last-Modified`` and body are kept
(:class:`models.FetchCache`); a ``304 Not Modified`` reuses the body. Decision 0023.

A run is two phases. First everything is fetched and checked, writing nothing: the
divisions with the importer's self-checks (I2), the listing against the details (each
division listed once, each detail the division asked for, dated in the range), the member
histories (each MP asked for answered once, dates that parse, periods in order). Any
problem, or any request that still fails after its retries, and the run stops: nothing
is written (F3). Then one transaction writes the MPs and party changes, the divisions
(:func:`importer.import_divisions`: I3-I8, and the policy officers are told of linked
divisions that changed), and the cache.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import requests
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from rankandfile.accountability import importer
from rankandfile.accountability.importer import ImportFailed, ImportReport, ParsedDivision, Problem
from rankandfile.accountability.models import FetchCache, PartyChange
from rankandfile.accountability.parties import canonical, is_ours
from rankandfile.core import audit, limits
from rankandfile.core.models import User
from rankandfile.membership.models import MP

COMMONS_VOTES_API = "https://commonsvotes-api.parliament.uk"
MEMBERS_API = "https://members-api.parliament.uk"
DIVISIONS_PAGE = 25  # the Commons Votes API's largest page
MEMBERS_PAGE = 20  # the Members API's largest page
HISTORY_BATCH = 20  # MNIS ids per /api/Members/History request
RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_PAGES = 400  # a listing longer than this is refused (10,000 divisions)
USER_AGENT = "rankandfile-accountability (+https://github.com/rankandfile)"


class FetchFailed(ImportFailed):
    """A request failed after its retries, or an answer was not what the API documents;
    nothing was written."""


@dataclass
class Answer:
    """One API answer: the decoded body, and whether it is new (200) or the cached one
    (304)."""

    url: str
    data: Any
    text: str
    etag: str
    last_modified: str
    not_modified: bool


class ParliamentClient:
    """GET JSON from Parliament's APIs with retries, timeouts and conditional requests.

    ``cache`` maps an address to its stored :class:`FetchCache` (read once per run);
    answers are collected in ``answers`` and written by the caller's transaction.
    """

    def __init__(
        self,
        *,
        commons_votes: str | None = None,
        members: str | None = None,
        retries: int = 4,
        backoff_factor: float = 0.5,
        timeout: float = 30.0,
        session: requests.Session | None = None,
    ) -> None:
        self.commons_votes = (
            commons_votes
            or getattr(settings, "ACCOUNTABILITY_COMMONS_VOTES_API", "")
            or COMMONS_VOTES_API
        ).rstrip("/")
        self.members = (
            members or getattr(settings, "ACCOUNTABILITY_MEMBERS_API", "") or MEMBERS_API
        ).rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        retry = Retry(
            total=retries,
            connect=retries,
            read=retries,
            status=retries,
            backoff_factor=backoff_factor,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            respect_retry_after_header=True,
            raise_on_status=False,  # the last answer is returned and reported
        )
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        self.cache: dict[str, FetchCache] = {}
        self.answers: list[Answer] = []
        self.requests = 0

    def load_cache(self) -> None:
        self.cache = {c.url: c for c in FetchCache.objects.all()}

    def get(self, url: str, params: Sequence[tuple[str, Any]] = ()) -> Answer:
        """GET ``url`` with ``params``; the body decoded as JSON (within the JSON limits).
        Raises :class:`FetchFailed` on a failed request or an answer that is not JSON."""
        prepared = requests.Request("GET", url, params=list(params)).prepare()
        key = prepared.url or url
        cached = self.cache.get(key)
        headers = {}
        if cached is not None:
            if cached.etag:
                headers["If-None-Match"] = cached.etag
            if cached.last_modified:
                headers["If-Modified-Since"] = cached.last_modified
        self.requests += 1
        try:
            response = self.session.get(key, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise FetchFailed([Problem(key, "", f"request failed after retries: {exc}")]) from exc
        if response.status_code == 304 and cached is not None:
            text = cached.body
            not_modified = True
            etag = response.headers.get("ETag", cached.etag)
            last_modified = response.headers.get("Last-Modified", cached.last_modified)
        elif response.status_code == 200:
            text = response.text
            not_modified = False
            etag = response.headers.get("ETag", "")
            last_modified = response.headers.get("Last-Modified", "")
        else:
            raise FetchFailed(
                [Problem(key, "", f"HTTP {response.status_code} {response.reason} after retries")]
            )
        try:
            data = limits.loads(text)
        except ValueError as exc:  # JSONDecodeError included; nesting beyond the limit
            raise FetchFailed([Problem(key, "", f"not usable JSON: {exc}")]) from exc
        answer = Answer(key, data, text, etag[:200], last_modified[:100], not_modified)
        self.answers.append(answer)
        return answer


# --- Divisions ---------------------------------------------------------------------------
def fetch_divisions(
    client: ParliamentClient, start: dt.date, end: dt.date, *, take: int = DIVISIONS_PAGE
) -> tuple[list[ParsedDivision], list[Problem]]:
    """Every Commons division dated ``start`` to ``end``: the listing page by page, then
    each division's members. Returns the divisions parsed and self-checked (I2) and every
    problem found (F2)."""
    url = f"{client.commons_votes}/data/divisions.json/search"
    listed: dict[int, str] = {}
    problems: list[Problem] = []
    skip = 0
    for page in range(MAX_PAGES + 1):
        if page == MAX_PAGES:
            problems.append(Problem(url, "", f"more than {MAX_PAGES} pages: narrow the dates"))
            break
        answer = client.get(
            url,
            [
                ("queryParameters.startDate", start.isoformat()),
                ("queryParameters.endDate", end.isoformat()),
                ("queryParameters.skip", skip),
                ("queryParameters.take", take),
            ],
        )
        items = answer.data
        if not isinstance(items, list):
            problems.append(Problem(answer.url, "top level", "expected a list of divisions"))
            break
        for i, item in enumerate(items):
            where = f"[{i}]"
            try:
                division_id = int(item["DivisionId"])
                day = dt.date.fromisoformat(str(item["Date"])[:10])
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(Problem(answer.url, where, f"bad division summary: {exc!r}"))
                continue
            if not start <= day <= end:
                problems.append(
                    Problem(
                        answer.url,
                        where,
                        f"division {division_id} is dated {day}, outside {start} to {end}",
                    )
                )
            if division_id in listed:
                problems.append(
                    Problem(
                        answer.url,
                        where,
                        f"division {division_id} listed twice (also {listed[division_id]}): "
                        "the listing changed while it was read",
                    )
                )
            listed[division_id] = f"{answer.url}{where}"
        if len(items) < take:
            break
        skip += take
    divisions: list[ParsedDivision] = []
    for division_id in sorted(listed):
        answer = client.get(f"{client.commons_votes}/data/division/{division_id}.json")
        if not isinstance(answer.data, dict):
            problems.append(Problem(answer.url, "top level", "expected a division object"))
            continue
        if answer.data.get("DivisionId") != division_id:
            problems.append(
                Problem(
                    answer.url,
                    "DivisionId",
                    f"asked for division {division_id}, got {answer.data.get('DivisionId')!r}",
                )
            )
            continue
        found, errs = importer.parse_commons_json(answer.url, answer.text)
        problems.extend(errs)
        divisions.extend(found)
    return divisions, problems


# --- Members -----------------------------------------------------------------------------
@dataclass
class MemberRecord:
    """One MP as the Members API gives them, with their party history (oldest first)."""

    mnis_id: int
    name: str = ""
    party: str = ""
    constituency: str = ""
    in_office: bool | None = None
    parties: list[tuple[dt.date, dt.date | None, str]] = field(default_factory=list)


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return dt.date.fromisoformat(str(value)[:10])


def fetch_current_members(
    client: ParliamentClient, *, take: int = MEMBERS_PAGE
) -> tuple[dict[int, MemberRecord], list[Problem]]:
    """The current members of the Commons (``/api/Members/Search``, paged): name, latest
    party, seat."""
    url = f"{client.members}/api/Members/Search"
    out: dict[int, MemberRecord] = {}
    problems: list[Problem] = []
    skip = 0
    for _ in range(MAX_PAGES):
        answer = client.get(
            url, [("House", 1), ("IsCurrentMember", "true"), ("skip", skip), ("take", take)]
        )
        data = answer.data
        if not isinstance(data, dict) or not isinstance(data.get("items"), list):
            problems.append(Problem(answer.url, "top level", "expected {items: [...]}"))
            break
        for i, item in enumerate(data["items"]):
            value = item.get("value") if isinstance(item, dict) else None
            try:
                assert isinstance(value, dict)
                record = MemberRecord(
                    mnis_id=int(value["id"]),
                    name=str(value.get("nameDisplayAs") or ""),
                    party=str((value.get("latestParty") or {}).get("name") or ""),
                    constituency=str(
                        (value.get("latestHouseMembership") or {}).get("membershipFrom") or ""
                    ),
                    in_office=True,
                )
            except (AssertionError, KeyError, TypeError, ValueError) as exc:
                problems.append(Problem(answer.url, f"items[{i}]", f"bad member: {exc!r}"))
                continue
            if record.mnis_id in out:
                problems.append(
                    Problem(answer.url, f"items[{i}]", f"member {record.mnis_id} listed twice")
                )
            out[record.mnis_id] = record
        total = data.get("totalResults")
        skip += take
        if len(data["items"]) < take or (isinstance(total, int) and skip >= total):
            if isinstance(total, int) and total != len(out) and not problems:
                problems.append(
                    Problem(url, "", f"{len(out)} members read but totalResults is {total}")
                )
            break
    return out, problems


def fetch_party_histories(
    client: ParliamentClient, records: dict[int, MemberRecord], mnis_ids: Iterable[int]
) -> list[Problem]:
    """Each MP's party history (``/api/Members/History?ids=...``) into ``records``."""
    url = f"{client.members}/api/Members/History"
    ids = sorted(set(mnis_ids))
    problems: list[Problem] = []
    for at in range(0, len(ids), HISTORY_BATCH):
        batch = ids[at : at + HISTORY_BATCH]
        answer = client.get(url, [("ids", i) for i in batch])
        if not isinstance(answer.data, list):
            problems.append(Problem(answer.url, "top level", "expected a list of histories"))
            continue
        seen: set[int] = set()
        for i, item in enumerate(answer.data):
            where = f"[{i}]"
            value = item.get("value") if isinstance(item, dict) else None
            try:
                assert isinstance(value, dict)
                mnis_id = int(value["id"])
                periods = []
                for entry in value.get("partyHistory") or []:
                    began = _date(entry["startDate"])
                    assert began is not None, "a party period without a start date"
                    periods.append(
                        (began, _date(entry.get("endDate")), str(entry["party"]["name"]))
                    )
                names = value.get("nameHistory") or []
            except (AssertionError, KeyError, TypeError, ValueError) as exc:
                problems.append(Problem(answer.url, where, f"bad member history: {exc!r}"))
                continue
            if mnis_id not in batch or mnis_id in seen:
                problems.append(
                    Problem(answer.url, where, f"member {mnis_id} not asked for, or twice")
                )
                continue
            seen.add(mnis_id)
            periods.sort()
            for (a_start, a_end, _), (b_start, _, _) in pairwise(periods):
                if (a_end is not None and a_end > b_start) or a_start == b_start:
                    problems.append(
                        Problem(answer.url, where, f"party periods overlap at {b_start}")
                    )
            record = records.setdefault(mnis_id, MemberRecord(mnis_id))
            record.parties = periods
            if not record.name and names:
                record.name = str(names[-1].get("nameDisplayAs") or "")
            if periods and not record.party:
                record.party = periods[-1][2]
        for missing in sorted(set(batch) - seen):
            problems.append(Problem(answer.url, "", f"no history for member {missing}"))
    return problems


def _history_changes(record: MemberRecord) -> list[tuple[dt.date, str, str, str]]:
    """(date, kind, from, to) for each change of party in a history (F4)."""
    out: list[tuple[dt.date, str, str, str]] = []
    for (_, _, before), (began, _, after) in zip(record.parties, record.parties[1:], strict=False):
        if canonical(before) == canonical(after):
            continue
        kind: str = PartyChange.Kind.CHANGED_PARTY
        if is_ours(before):
            kind = PartyChange.Kind.LEFT_PARTY
        elif is_ours(after):
            kind = PartyChange.Kind.REGAINED_WHIP
        out.append((began, kind, before, after))
    return out


def sync_members(records: dict[int, MemberRecord]) -> dict[str, int]:
    """Write the MPs and the party changes of their histories (F4): MPs unknown here are
    added, known ones get the API's name, party and seat; a change in a history is
    recorded (origin "Members API") unless one is recorded that day, and changes read
    from the printed party (I7) that it explains are replaced by it."""
    from rankandfile.accountability.importer import MPMatcher

    matcher = MPMatcher()
    counts = {"mps_created": 0, "mps_updated": 0, "changes_created": 0, "changes_replaced": 0}
    existing = {mp.mnis_id: mp for mp in MP.objects.filter(mnis_id__in=list(records))}
    current = {k for k, r in records.items() if r.in_office}
    for mnis_id, record in sorted(records.items()):
        mp = existing.get(mnis_id)
        seat = matcher.constituency(record.constituency) if record.constituency else None
        if mp is None:
            mp = MP.objects.create(
                mnis_id=mnis_id,
                name=(record.name or f"MP {mnis_id}")[:200],
                constituency=seat,
                party=record.party[:100],
                in_office=mnis_id in current,
            )
            counts["mps_created"] += 1
        else:
            update: dict[str, Any] = {}
            if record.name and record.name != mp.name:
                update["name"] = record.name[:200]
            if record.party and record.party != mp.party:
                update["party"] = record.party[:100]
            if seat is not None and seat.pk != mp.constituency_id:
                update["constituency"] = seat
            if record.in_office is not None and record.in_office != mp.in_office:
                update["in_office"] = record.in_office
            if update:
                for key, value in update.items():
                    setattr(mp, key, value)
                mp.save(update_fields=list(update))
                counts["mps_updated"] += 1
        changes = list(PartyChange.objects.filter(mp=mp).order_by("date"))
        for date, kind, before, after in _history_changes(record):
            if any(c.date == date for c in changes):
                continue
            # A change read from the printed party (I7) is dated at the first division in
            # the new party; the history's date is the real one: replace the derived one.
            later = [
                c
                for c in changes
                if c.origin == PartyChange.Origin.RECORD
                and c.date > date
                and canonical(c.from_party) == canonical(before)
                and canonical(c.to_party) == canonical(after)
            ]
            if later:
                replaced = min(later, key=lambda c: c.date)
                replaced.delete()
                changes.remove(replaced)
                counts["changes_replaced"] += 1
            changes.append(
                PartyChange.objects.create(
                    mp=mp,
                    date=date,
                    kind=kind,
                    from_party=before[:100],
                    to_party=after[:100],
                    note="from Parliament's Members API",
                    origin=PartyChange.Origin.MEMBERS_API,
                )
            )
            counts["changes_created"] += 1
    return counts


# --- The run -----------------------------------------------------------------------------
@dataclass
class FetchReport:
    start: dt.date
    end: dt.date
    requests: int = 0
    not_modified: int = 0
    divisions: int = 0
    members: dict[str, int] = field(default_factory=dict)
    imported: ImportReport | None = None
    dry_run: bool = False

    def summary(self) -> str:
        verb = "would fetch" if self.dry_run else "fetched"
        head = (
            f"{verb} {self.start} to {self.end}: {self.divisions} division(s) in "
            f"{self.requests} request(s) ({self.not_modified} not modified); MPs: "
            + ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in self.members.items())
        )
        return f"{head}; {self.imported.summary()}" if self.imported else head


def fetch(
    *,
    actor: User | None,
    start: dt.date,
    end: dt.date,
    client: ParliamentClient | None = None,
    members: bool = True,
    dry_run: bool = False,
    divisions_page: int = DIVISIONS_PAGE,
    members_page: int = MEMBERS_PAGE,
) -> FetchReport:
    """Fetch divisions dated ``start`` to ``end`` (and the MPs in them) and import them,
    atomically (F1-F5). Raises :class:`FetchFailed` (nothing written) on any problem."""
    if end < start:
        raise FetchFailed([Problem("dates", "", f"the end {end} is before the start {start}")])
    client = client or ParliamentClient()
    client.load_cache()
    divisions, problems = fetch_divisions(client, start, end, take=divisions_page)
    records: dict[int, MemberRecord] = {}
    if members and not problems:
        records, more = fetch_current_members(client, take=members_page)
        problems.extend(more)
        in_divisions = {v.mnis_id for d in divisions for v in d.votes if v.mnis_id is not None}
        problems.extend(fetch_party_histories(client, records, in_divisions))
    if problems:
        raise FetchFailed(problems)
    report = FetchReport(
        start=start,
        end=end,
        requests=client.requests,
        not_modified=sum(1 for a in client.answers if a.not_modified),
        divisions=len(divisions),
        dry_run=dry_run,
    )
    with transaction.atomic():
        report.members = sync_members(records) if members else {}
        report.imported = importer.import_divisions(
            actor=actor,
            divisions=divisions,
            files=[f"{client.commons_votes} {start} to {end}"],
            dry_run=dry_run,
        )
        now = timezone.now()
        for answer in client.answers:
            FetchCache.objects.update_or_create(
                url=answer.url[:500],
                defaults={
                    "etag": answer.etag,
                    "last_modified": answer.last_modified,
                    "body": answer.text,
                    "fetched_at": now,
                },
            )
        audit.record(
            actor=actor,
            action="accountability.fetch",
            data={
                "start": start.isoformat(),
                "end": end.isoformat(),
                "requests": report.requests,
                "not_modified": report.not_modified,
                "members": report.members,
            },
            label=report.summary(),
        )
        if dry_run:
            transaction.set_rollback(True)
    return report


FETCH_DAYS = 14


def fetch_recent() -> str:
    """The scheduled job: divisions of the last ``ACCOUNTABILITY_FETCH_DAYS`` days (default
    14; re-reading recent days picks up the House's corrections), and their MPs."""
    days = int(getattr(settings, "ACCOUNTABILITY_FETCH_DAYS", FETCH_DAYS))
    today = timezone.localdate()
    report = fetch(actor=None, start=today - dt.timedelta(days=days), end=today)
    return report.summary()
