"""factory_boy factories and helpers for ballots.

Times are fixed: ballots open at :data:`OPENS` and close at :data:`CLOSES`; tests move the
clock with time-machine (:data:`DURING` is inside the voting window, :data:`AFTER` past
its close). The membership factories build the members.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import factory
from factory.django import DjangoModelFactory

from rankandfile.ballots import secrecy, services
from rankandfile.ballots.models import Ballot, Elector, Method, Option, SealedPaper
from rankandfile.ballots.tally import PaperRow
from rankandfile.membership.models import CLP, Member
from tests.membership.factories import CLPFactory, MemberFactory

LONDON = ZoneInfo("Europe/London")
FREEZE = dt.date(2024, 4, 1)
OPENS = dt.datetime(2024, 5, 1, 9, 0, tzinfo=LONDON)
CLOSES = dt.datetime(2024, 5, 8, 17, 0, tzinfo=LONDON)
DURING = dt.datetime(2024, 5, 3, 12, 0, tzinfo=LONDON)
AFTER = dt.datetime(2024, 5, 8, 17, 0, 1, tzinfo=LONDON)
JOINED = dt.date(2015, 3, 1)

DEFAULT_OPTIONS = ("Ada Adams", "Bo Brown", "Cy Clarke")


class BallotFactory(DjangoModelFactory[Ballot]):
    """A draft ballot of a CLP, with options ``options=[...]`` (three by default; none for
    yes/no)."""

    class Meta:
        model = Ballot
        skip_postgeneration_save = True

    title = factory.Sequence(lambda n: f"Ballot {n}")
    method = Method.AV
    seats = 1
    scope_kind = "clp"
    clp = factory.SubFactory(CLPFactory)
    freeze_date = FREEZE
    months_required = 6
    opens_at = OPENS
    closes_at = CLOSES
    seed = 20240501

    @factory.post_generation
    def options(self, create: bool, extracted: Sequence[Any] | None, **kwargs: Any) -> None:
        if not create:
            return
        if extracted is None:
            extracted = () if self.method == Method.YESNO else DEFAULT_OPTIONS
        for position, spec in enumerate(extracted):
            name, gender = (spec, "") if isinstance(spec, str) else spec
            Option.objects.create(ballot=self, position=position, name=name, gender=gender)


class OptionFactory(DjangoModelFactory[Option]):
    class Meta:
        model = Option

    ballot = factory.SubFactory(BallotFactory, options=())
    position = factory.Sequence(int)
    name = factory.Sequence(lambda n: f"Candidate {n}")


def members(clp: CLP, n: int, **kwargs: Any) -> list[Member]:
    """``n`` members of ``clp``, each continuously a member since :data:`JOINED`."""
    return [MemberFactory(clp=clp, joined=JOINED, **kwargs) for _ in range(n)]


def open_ballot(clp: CLP | None = None, *, voters: int = 3, **kwargs: Any) -> Ballot:
    """A ballot of ``clp`` (a new CLP with ``voters`` eligible members by default), opened
    by the system: its electorate is frozen."""
    if clp is None:
        clp = CLPFactory()
        members(clp, voters)
    ballot = BallotFactory(clp=clp, **kwargs)
    return services.ballot_open(actor=None, ballot=ballot)


def electors(ballot: Ballot) -> list[Elector]:
    return list(Elector.objects.filter(ballot=ballot).select_related("member").order_by("pk"))


def sealed_papers(ballot: Ballot) -> list[PaperRow]:
    """The papers cast so far on an open ballot, opened with the secret (as the close
    will): tests check what was cast without closing the ballot."""
    return [
        PaperRow(*secrecy.unseal(ballot.pk, blob))
        for blob in SealedPaper.objects.filter(ballot=ballot).values_list("sealed", flat=True)
    ]


def sealed_paper(ballot: Ballot) -> PaperRow:
    """The one paper cast so far on an open ballot."""
    papers = sealed_papers(ballot)
    assert len(papers) == 1, papers
    return papers[0]
