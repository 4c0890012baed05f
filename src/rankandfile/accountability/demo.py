"""Demo data for accountability (registered in RANKANDFILE_DEMO_SEEDERS).

Imports the real 2019 divisions from ``REFERENCE_DATA_DIR/commons`` through the importer (the
13 Commons Votes CSV exports and the MNIS-keyed history), creates policies — linked to the
conference demo's programme entries where their titles match, free-standing otherwise —
with divisions, directions, strengths and written justifications, and computes the
scores. Grants the policy-officer role to the demo national admin and opts the demo
member (Streatham, whose MP left the party on 18 February 2019) in to alert digests.
Deterministic; idempotent (a second run changes nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from rankandfile.accountability import batch, importer, services
from rankandfile.accountability.models import AlertPreference, Division, Policy, PolicyDivision
from rankandfile.conference.models import ProgrammeEntry
from rankandfile.core.models import User
from rankandfile.membership.models import Member, Role

DEMO_DOMAIN = "demo.rankandfile.org"


@dataclass(frozen=True)
class DemoLink:
    division_id: int
    aye_supports: bool
    strength: str
    justification: str


@dataclass(frozen=True)
class DemoPolicy:
    phrase: str  # looked up in the programme's titles
    title: str  # for a free-standing policy when no entry matches
    description: str
    links: tuple[DemoLink, ...]


POLICIES = (
    DemoPolicy(
        "public vote",
        "A confirmatory public vote on any Brexit deal",
        "Any withdrawal deal should be put to the people in a confirmatory public vote.",
        (
            DemoLink(
                661,
                True,
                "strong",
                "Motion M (Beckett) asked the House to require a "
                "confirmatory public vote on any deal: Aye supports the policy.",
            ),
            DemoLink(
                668,
                True,
                "strong",
                "Motion E (Kyle) of 1 April made any deal subject "
                "to a confirmatory public vote: Aye supports the policy.",
            ),
        ),
    ),
    DemoPolicy(
        "customs union",
        "A permanent customs union with the EU",
        "The United Kingdom should negotiate a permanent and comprehensive UK-wide customs "
        "union with the EU.",
        (
            DemoLink(
                658,
                True,
                "strong",
                "Motion J (Clarke) committed the Government to a "
                "permanent UK-wide customs union: Aye supports the policy.",
            ),
            DemoLink(
                666,
                True,
                "strong",
                "Motion C (Clarke) of 1 April required a permanent "
                "customs union in any deal: Aye supports the policy.",
            ),
            DemoLink(
                659,
                True,
                "weak",
                "Motion K (Labour's alternative plan) included a "
                "customs union among other points, so it is informative only.",
            ),
        ),
    ),
    DemoPolicy(
        "no-deal",
        "No to a no-deal Brexit",
        "The party opposes leaving the EU without a withdrawal agreement.",
        (
            DemoLink(
                655,
                False,
                "strong",
                "Motion B (Baron) proposed leaving without a deal "
                "on 12 April: voting No supports the policy.",
            ),
            DemoLink(
                660,
                True,
                "weak",
                "Motion L (Cherry) would revoke Article 50 to avoid "
                "no deal; it goes further than the policy, so it is weak.",
            ),
        ),
    ),
    DemoPolicy(
        "single market",
        "Close alignment with the single market",
        "Any future relationship should keep close alignment with the single market.",
        (
            DemoLink(
                656,
                True,
                "strong",
                "Motion D (Boles, Common Market 2.0) of 27 March "
                "proposed single-market membership through the EEA: Aye supports.",
            ),
            DemoLink(
                667,
                True,
                "strong",
                "Motion D (Boles, Common Market 2.0) of 1 April, "
                "the same proposal again: Aye supports the policy.",
            ),
            DemoLink(
                657,
                True,
                "weak",
                "Motion H (Eustice, EFTA and EEA) kept the single "
                "market but without a customs union: informative only.",
            ),
        ),
    ),
    DemoPolicy(
        "withdrawal agreement",
        "Reject the Government's withdrawal agreement",
        "The party voted against the Government's withdrawal agreement in every meaningful vote.",
        (
            DemoLink(
                562,
                False,
                "strong",
                "The first meaningful vote, 15 January 2019, on "
                "the Government's deal: voting No supports the policy.",
            ),
            DemoLink(
                623,
                False,
                "strong",
                "The second meaningful vote, 12 March 2019: voting No supports the policy.",
            ),
            DemoLink(
                664,
                False,
                "strong",
                "The third vote (Division 395, 29 March 2019) on "
                "the withdrawal agreement alone: voting No supports the policy.",
            ),
        ),
    ),
)


def _entry(phrase: str) -> ProgrammeEntry | None:
    return (
        ProgrammeEntry.objects.current()
        .filter(Q(title__icontains=phrase) | Q(topic__icontains=phrase))
        .filter(accountability_policy__isnull=True)
        .order_by("reference")
        .first()
    )


def seed(seed: int) -> str:
    """Add the demo accountability data; return a one-line summary. ``seed`` is unused:
    the data are the real 2019 divisions."""
    commons = Path(settings.REFERENCE_DATA_DIR) / "commons"
    sources = [commons / "commons-votes-csv-2019", commons / "brexit-parliament-2019"]
    if not all(p.exists() for p in sources):
        return f"accountability: skipped (no Commons data at {commons})"
    with transaction.atomic():
        report = importer.import_paths(actor=None, paths=sources)
        admin = User.objects.filter(email=f"admin@{DEMO_DOMAIN}").first()
        if (
            admin is not None
            and not Role.objects.filter(user=admin, kind=Role.Kind.POLICY_OFFICER).exists()
        ):
            Role.objects.create(
                user=admin, kind=Role.Kind.POLICY_OFFICER, title="Policy officer (demo)"
            )
        programme = 0
        for planned in POLICIES:
            policy = Policy.objects.filter(
                Q(title=planned.title) | Q(programme_entry__title__icontains=planned.phrase)
            ).first()
            if policy is None:
                entry = _entry(planned.phrase)
                policy = services.policy_create(
                    actor=None,
                    title="" if entry else planned.title,
                    description="" if entry else planned.description,
                    programme_entry=entry,
                )
            programme += policy.is_programme
            for link in planned.links:
                division = Division.objects.filter(division_id=link.division_id).first()
                if (
                    division is None
                    or PolicyDivision.objects.filter(policy=policy, division=division).exists()
                ):
                    continue
                services.link_save(
                    actor=None,
                    policy=policy,
                    division=division,
                    aye_supports=link.aye_supports,
                    strength=link.strength,
                    justification=link.justification,
                )
        # The 2019 divisions are history, not news: no alert digests for the demo links.
        PolicyDivision.objects.filter(alerted_at__isnull=True).update(alerted_at=timezone.now())
        member = Member.objects.filter(email=f"member@{DEMO_DOMAIN}").first()
        if member is not None:
            AlertPreference.objects.update_or_create(member=member, defaults={"enabled": True})
    result = batch.recompute_scores(reason="demo")
    return (
        f"accountability: {Division.objects.count()} divisions "
        f"({len(report.created)} new), {len(POLICIES)} policies ({programme} from the "
        f"programme), {result.scores} scores"
    )
