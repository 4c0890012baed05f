"""Recall petition arithmetic (Recall of MPs Act 2015), pure Python: no Django.

- ``signing_period`` — s.9: the petition is open for signing for six weeks from the
  first day the petition officer sets; :func:`default_closing_day` is that day plus six
  weeks (North Antrim 2018: 8 August to 19 September). The petition officer's published
  closing day prevails where it differs, so the tracker stores the day as entered.
- ``MAX_SIGNING_PLACES`` — s.7: the petition officer designates up to ten signing places.
- :func:`assess` — s.14: the petition succeeds when the signatures number at least 10% of
  the recall electorate (the register) on the closing day. Exact integer arithmetic: the
  threshold is the smallest whole number of signatures that is at least a tenth of the
  electorate, ``ceil(electorate / 10)``; 10% exactly succeeds, one fewer fails.

See ``docs/rules/campaigns.md`` §5.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction

SIGNING_PERIOD = dt.timedelta(weeks=6)
MAX_SIGNING_PLACES = 10
THRESHOLD = Fraction(1, 10)


def default_closing_day(opens_on: dt.date) -> dt.date:
    """The last signing day: six weeks after the first (s.9)."""
    return opens_on + SIGNING_PERIOD


def threshold(electorate: int) -> int:
    """The fewest signatures that make at least 10% of ``electorate`` (s.14)."""
    if electorate < 0:
        raise ValueError("the electorate cannot be negative")
    return -(-electorate * THRESHOLD.numerator // THRESHOLD.denominator)


@dataclass(frozen=True)
class Assessment:
    signatures: int
    electorate: int
    threshold: int
    share: Fraction
    met: bool
    final: bool

    @property
    def shortfall(self) -> int:
        return max(0, self.threshold - self.signatures)

    @property
    def margin(self) -> int:
        return max(0, self.signatures - self.threshold)

    @property
    def percent(self) -> str:
        """The share to two decimal places, rounded half up (27.58 for Peterborough): one
        decimal place could show 10.0% for a petition just short of the threshold."""
        hundredths = self.share * 10000
        whole = int(hundredths + Fraction(1, 2)) if self.electorate else 0
        return f"{whole // 100}.{whole % 100:02d}"

    def explain(self) -> str:
        """The outcome in words, against the register on the closing day."""
        e, s, t = self.electorate, self.signatures, self.threshold
        base = (
            f"{s:,} signatures of {e:,} registered electors is {self.percent}%. "
            f"10% of {e:,} is {e // 10:,}.{e % 10}, so at least {t:,} signatures are needed"
        )
        if self.final:
            if self.met:
                return (
                    f"{base}; the petition succeeded with {self.margin:,} to spare and the seat "
                    "becomes vacant (s.14, s.15)."
                )
            return f"{base}; the petition failed, {self.shortfall:,} short (s.14)."
        if self.met:
            return f"{base}; the threshold is already met, {self.margin:,} over."
        return f"{base}; {self.shortfall:,} more needed before the petition closes."


def assess(*, signatures: int, electorate: int, final: bool = False) -> Assessment:
    """Whether ``signatures`` meet the 10% threshold of ``electorate`` (s.14)."""
    if signatures < 0:
        raise ValueError("signatures cannot be negative")
    if electorate <= 0:
        raise ValueError("the electorate must be a positive number of electors")
    t = threshold(electorate)
    return Assessment(
        signatures=signatures,
        electorate=electorate,
        threshold=t,
        share=Fraction(signatures, electorate),
        met=signatures >= t,
        final=final,
    )


def check_signing_places(places: list[str]) -> list[str]:
    """Every problem with a list of signing places (s.7: at most ten, each named)."""
    problems: list[str] = []
    cleaned = [p.strip() for p in places]
    if any(not p for p in cleaned):
        problems.append("a signing place has no name")
    if len(cleaned) > MAX_SIGNING_PLACES:
        problems.append(
            f"{len(cleaned)} signing places: the Act allows at most {MAX_SIGNING_PLACES}"
        )
    seen: set[str] = set()
    for p in cleaned:
        if p and p.casefold() in seen:
            problems.append(f"{p!r} is listed twice")
        seen.add(p.casefold())
    return problems
