"""Top-N by section: the conference priorities ballot.

Rule implemented (domain.md, "Sovereign conference: priorities ballot"): motions are grouped
into topics; in each section (CLPs, affiliates) every voter (a CLP delegation casts one
vote) picks up to ``n`` topics, at most one vote per topic. Each section's votes are counted
separately and the ``n`` topics with the most votes in a section are *prioritised* by it.
The topics prioritised by either section (the union) are debated.

* A topic that received no votes in a section is never prioritised by that section, so a
  section with fewer than ``n`` topics voted for prioritises only those.
* A tie at the ``n``-th place is resolved by ``ties``:

  - :attr:`TieRule.LOT` (default): the places left are filled from the tied topics by lot
    with ``random.Random(seed)``, one draw at a time; the section prioritises exactly ``n``.
  - :attr:`TieRule.INCLUDE_ALL`: every topic tied at the ``n``-th place is prioritised, so
    the section may prioritise more than ``n`` (the generous reading some arrangements
    committees use: nobody's topic loses on a coin toss).

  Either way the tie, the places available and the topics chosen are recorded.
* Sections are counted in the order given and share one lot, so the same seed always gives
  the same draws.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from typing import Any

from rankandfile.counting.approval import Lot
from rankandfile.counting.errors import (
    DuplicateRankingError,
    EmptyBallotSetError,
    InvalidBallotError,
    TooManySeatsError,
    UnknownCandidateError,
)
from rankandfile.counting.yesno import exact, percent_str


class TieRule(StrEnum):
    LOT = "lot"
    INCLUDE_ALL = "include_all"


def _check_topics(topics: Sequence[str]) -> tuple[str, ...]:
    out = tuple(topics)
    if not out:
        raise InvalidBallotError("there are no topics")
    for t in out:
        if not isinstance(t, str) or not t.strip():
            raise InvalidBallotError(f"every topic needs a non-empty name (got {t!r})")
    if len(set(out)) != len(out):
        dup = next(t for t in out if out.count(t) > 1)
        raise InvalidBallotError(f"topic {dup!r} is listed twice")
    return out


def _check_n(n: int) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise TooManySeatsError(f"each section must prioritise at least one topic (n={n!r})")


@dataclass(frozen=True)
class SectionTally:
    """A section's votes per topic (aligned with the topic list) and its number of voters."""

    name: str
    votes: tuple[int, ...]
    voters: int

    @classmethod
    def from_picks(
        cls,
        name: str,
        topics: Sequence[str],
        picks: Iterable[Collection[str]],
        *,
        n: int,
        weights: Iterable[int] | None = None,
    ) -> SectionTally:
        """Count each voter's picks (topic names). ``weights`` defaults to one per voter.

        Raises :class:`UnknownCandidateError` for a topic not on the list,
        :class:`DuplicateRankingError` for a topic picked twice by one voter, and
        :class:`InvalidBallotError` for more than ``n`` picks or a negative weight.
        """
        tops = _check_topics(topics)
        _check_n(n)
        index = {t: i for i, t in enumerate(tops)}
        votes = [0] * len(tops)
        pick_list = list(picks)
        wts = [1] * len(pick_list) if weights is None else list(weights)
        if len(wts) != len(pick_list):
            raise InvalidBallotError(
                f"section {name!r}: {len(pick_list)} voters but {len(wts)} weights"
            )
        voters = 0
        for v, (chosen, w) in enumerate(zip(pick_list, wts, strict=True), start=1):
            if isinstance(w, bool) or not isinstance(w, int) or w < 0:
                raise InvalidBallotError(f"section {name!r} voter {v} has a bad weight {w!r}")
            if isinstance(chosen, str):
                raise InvalidBallotError(
                    f"section {name!r} voter {v}: give a collection of topics, not the "
                    f"string {chosen!r}"
                )
            seen: set[str] = set()
            for t in chosen:
                if t not in index:
                    raise UnknownCandidateError(
                        f"section {name!r} voter {v} picks {t!r}, which is not a topic"
                    )
                if t in seen:
                    raise DuplicateRankingError(
                        f"section {name!r} voter {v} picks {t!r} more than once"
                    )
                seen.add(t)
            if len(seen) > n:
                raise InvalidBallotError(
                    f"section {name!r} voter {v} picks {len(seen)} topics but at most {n} "
                    "may be picked"
                )
            for t in seen:
                votes[index[t]] += w
            voters += w
        return cls(name=name, votes=tuple(votes), voters=voters)

    @classmethod
    def from_counts(
        cls,
        name: str,
        topics: Sequence[str],
        counts: Mapping[str, int],
        *,
        voters: int | None = None,
    ) -> SectionTally:
        """Use aggregated votes per topic (topics missing from ``counts`` got none)."""
        tops = _check_topics(topics)
        for t, c in counts.items():
            if t not in tops:
                raise UnknownCandidateError(f"section {name!r} counts {t!r}, which is not a topic")
            if isinstance(c, bool) or not isinstance(c, int) or c < 0:
                raise InvalidBallotError(f"section {name!r}: bad vote count {c!r} for {t!r}")
        votes = tuple(int(counts.get(t, 0)) for t in tops)
        if voters is None:
            voters = max(votes)
        elif voters < max(votes):
            raise InvalidBallotError(
                f"section {name!r}: {voters} voters cannot give a topic {max(votes)} votes"
            )
        return cls(name=name, votes=votes, voters=voters)


@dataclass(frozen=True)
class SectionTie:
    """A tie at a section's last prioritised place: ``places`` left for the ``tied`` topics."""

    section: str
    votes: int
    tied: tuple[str, ...]
    places: int
    chosen: tuple[str, ...]
    how: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "votes": self.votes,
            "tied": list(self.tied),
            "places": self.places,
            "chosen": list(self.chosen),
            "how": self.how,
        }


@dataclass(frozen=True)
class SectionPriorities:
    """One section's count: votes per topic and the topics it prioritised (most votes
    first; order within a tie as drawn, else topic order)."""

    name: str
    votes: tuple[int, ...]
    voters: int
    prioritised: tuple[int, ...]


@dataclass(frozen=True)
class PrioritiesResult:
    """Outcome of a priorities ballot: each section's priorities and the debated union."""

    topics: tuple[str, ...]
    n: int
    sections: tuple[SectionPriorities, ...]
    debated: tuple[int, ...]  # in topic-list order
    tie_rule: TieRule
    ties: tuple[SectionTie, ...] = ()
    seed: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def debated_names(self) -> tuple[str, ...]:
        return tuple(self.topics[i] for i in self.debated)

    def prioritised_by(self, topic: str) -> tuple[str, ...]:
        i = self.topics.index(topic)
        return tuple(s.name for s in self.sections if i in s.prioritised)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "priorities ballot",
            "n": self.n,
            "tie_rule": self.tie_rule.value,
            "seed": self.seed,
            "topics": list(self.topics),
            "debated": [
                {"topic": t, "prioritised_by": list(self.prioritised_by(t))}
                for t in self.debated_names
            ],
            "sections": [
                {
                    "name": s.name,
                    "voters": s.voters,
                    "prioritised": [self.topics[i] for i in s.prioritised],
                    "votes": [
                        {
                            "topic": t,
                            "votes": s.votes[i],
                            "share": None
                            if s.voters == 0
                            else exact(Fraction(s.votes[i], s.voters)),
                            "percent": None
                            if s.voters == 0
                            else percent_str(Fraction(s.votes[i], s.voters)),
                            "prioritised": i in s.prioritised,
                        }
                        for i, t in enumerate(self.topics)
                    ],
                }
                for s in self.sections
            ],
            "ties": [t.to_dict() for t in self.ties],
            "notes": list(self.notes),
        }


def count_priorities(
    topics: Sequence[str],
    sections: Sequence[SectionTally],
    *,
    n: int,
    seed: int | None = None,
    ties: TieRule = TieRule.LOT,
) -> PrioritiesResult:
    """Find each section's top ``n`` topics and the union to be debated.

    Raises :class:`TooManySeatsError` if ``n`` is below 1, :class:`InvalidBallotError` for a
    repeated section or a tally not matching the topics, and :class:`EmptyBallotSetError`
    if there are no sections.
    """
    tops = _check_topics(topics)
    _check_n(n)
    tie_rule = TieRule(ties)
    if not sections:
        raise EmptyBallotSetError("a priorities ballot needs at least one section")
    names = [s.name for s in sections]
    if len(set(names)) != len(names):
        dup = next(nm for nm in names if names.count(nm) > 1)
        raise InvalidBallotError(f"section {dup!r} is listed twice")
    lot = Lot(seed)
    out: list[SectionPriorities] = []
    tie_log: list[SectionTie] = []
    notes: list[str] = []
    for s in sections:
        if len(s.votes) != len(tops):
            raise InvalidBallotError(
                f"section {s.name!r} has votes for {len(s.votes)} topics but there are {len(tops)}"
            )
        chosen, tie = _top_n(s, tops, n, lot, tie_rule)
        if tie is not None:
            tie_log.append(tie)
        if not any(s.votes):
            notes.append(f"no votes were cast in section {s.name!r}; it prioritised nothing")
        elif len(chosen) < n and tie is None:
            k = len(chosen)
            notes.append(
                f"only {k} topic{'s' if k != 1 else ''} received votes in section "
                f"{s.name!r}; {'all of them are' if k != 1 else 'it is'} prioritised"
            )
        out.append(
            SectionPriorities(name=s.name, votes=s.votes, voters=s.voters, prioritised=chosen)
        )
    debated = tuple(i for i in range(len(tops)) if any(i in s.prioritised for s in out))
    return PrioritiesResult(
        topics=tops,
        n=n,
        sections=tuple(out),
        debated=debated,
        tie_rule=tie_rule,
        ties=tuple(tie_log),
        seed=lot.seed,
        notes=tuple(notes),
    )


def count_priorities_from_picks(
    topics: Sequence[str],
    picks: Mapping[str, Iterable[Collection[str]]],
    *,
    n: int,
    seed: int | None = None,
    ties: TieRule = TieRule.LOT,
) -> PrioritiesResult:
    """Convenience: ``picks`` maps each section's name to its voters' picks."""
    sections = [SectionTally.from_picks(name, topics, p, n=n) for name, p in picks.items()]
    return count_priorities(topics, sections, n=n, seed=seed, ties=ties)


def _top_n(
    s: SectionTally, topics: tuple[str, ...], n: int, lot: Lot, rule: TieRule
) -> tuple[tuple[int, ...], SectionTie | None]:
    voted = [i for i, v in enumerate(s.votes) if v > 0]
    order = sorted(voted, key=lambda i: (-s.votes[i], i))
    if len(order) <= n:
        return tuple(order), None
    cut = s.votes[order[n - 1]]
    above = [i for i in order if s.votes[i] > cut]
    tied = [i for i in order if s.votes[i] == cut]
    places = n - len(above)
    if len(tied) == places:
        return tuple(above + tied), None
    if rule is TieRule.INCLUDE_ALL:
        how = f"all {len(tied)} tied topics prioritised ({len(above) + len(tied)} in all)"
        picked = list(tied)
    else:
        remaining = list(tied)
        picked = []
        for _ in range(places):
            pick = lot.choose(remaining)
            picked.append(pick)
            remaining.remove(pick)
        how = lot.how()
    tie = SectionTie(
        section=s.name,
        votes=cut,
        tied=tuple(topics[i] for i in tied),
        places=places,
        chosen=tuple(topics[i] for i in picked),
        how=how,
    )
    return tuple(above + picked), tie
