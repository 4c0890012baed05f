"""Breaking ties between candidates during an AV or STV count.

A tie arises when two or more candidates have the same number of votes and the count must
pick one of them: the candidate to exclude (lowest votes), or whose surplus to transfer
first (highest votes). Three documented methods are selectable by name:

``"backwards"`` (the usual rule, and the statutory one for Scottish STV)
    The Scottish Local Government Elections Order 2007, Schedule 1, rule 49(2) (surpluses)
    and rule 51(2)(a) (exclusions): look at the totals "at the end of the most recent
    preceding stage of the count at which they had an unequal number of votes". Stages are
    examined from the latest back to the first; at each stage only the candidates still tied
    are kept (those with the lowest total for an exclusion, the highest for a surplus), so
    with three tied candidates a stage that separates one from the other two narrows the
    field and the search goes on among the two. If the candidates were equal at every stage
    the tie is decided by lot (rules 49(3), 51(2)(b)).
``"forwards"``
    The same, but stages are examined from the first stage onwards (the "earliest
    difference" rule used by some party rule books), then by lot.
``"lot"``
    Decided by lot at once, ignoring earlier stages.

Drawing lots is deterministic and auditable. Either a *lot order* is given (a list of
candidate indices fixed before the count, for instance drawn publicly, or the order used by
another counting program such as the ``[tie ...]`` option of a BLT file): the tied
candidate that comes first in it is chosen. Or an integer *seed* drives
``random.Random(seed)``, one generator per count, drawing with ``choice`` over the tied
candidates in index order; the same seed always gives the same draws. When neither is given
and a lot is needed, a seed is drawn from the operating system's randomness and recorded,
so the count can be replayed.

Every tie met, however it was broken, is recorded as a :class:`~rankandfile.counting.result.Tie`.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from typing import Any, Final, Literal

from rankandfile.counting.errors import CountingError
from rankandfile.counting.result import Tie

TieBreakMethod = Literal["backwards", "forwards", "lot"]
TIEBREAK_METHODS: Final[tuple[str, ...]] = ("backwards", "forwards", "lot")


class TieBreaker:
    """Breaks and records the ties of one count.

    ``history`` passed to :meth:`choose` is the list of every candidate's total at the end
    of each stage so far, oldest first; the last entry is the current stage. Totals may be
    ``int`` (whole votes), scaled integers (fixed point) or any mutually comparable numbers.
    """

    def __init__(
        self,
        method: str = "backwards",
        *,
        seed: int | None = None,
        lot_order: Sequence[int] | None = None,
        n_candidates: int | None = None,
    ) -> None:
        if method not in TIEBREAK_METHODS:
            raise CountingError(
                f"unknown tie-break method {method!r}; choose one of {', '.join(TIEBREAK_METHODS)}"
            )
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise CountingError(f"the tie-break seed must be an integer, not {seed!r}")
        self.method: str = method
        self.seed: int | None = seed
        # Lots must be reproducible from the recorded seed, not secret: a seeded PRNG is right.
        self._rng: random.Random | None = (
            None if seed is None else random.Random(seed)  # noqa: S311
        )
        self._lot_rank: dict[int, int] | None = None
        if lot_order is not None:
            order = [int(c) for c in lot_order]
            if len(set(order)) != len(order):
                raise CountingError("the lot order lists a candidate more than once")
            if n_candidates is not None and any(not 0 <= c < n_candidates for c in order):
                raise CountingError("the lot order names a candidate who is not standing")
            self._lot_rank = {c: i for i, c in enumerate(order)}
        self.ties: list[Tie] = []

    # ------------------------------------------------------------------ choosing
    def choose(
        self,
        tied: Sequence[int],
        history: Sequence[Any],
        *,
        stage: int,
        purpose: str,
        lowest: bool,
    ) -> int:
        """Pick one of ``tied`` and record the tie (nothing is recorded for a single one).

        ``lowest`` is true when the tie is between the lowest candidates (exclusion: the
        candidate with fewer votes at the deciding stage is chosen) and false when it is
        between the highest (surplus order: the candidate with more votes is chosen).
        ``stage`` is the number of the stage during which the tie is met.
        """
        cands = sorted(int(c) for c in tied)
        if not cands:
            raise CountingError("no candidates to choose between")
        if len(cands) == 1:
            return cands[0]
        remaining = cands
        how = ""
        if self.method != "lot" and history:
            n_hist = len(history)
            order = range(n_hist - 1, -1, -1) if self.method == "backwards" else range(n_hist)
            for h in order:
                totals = history[h]
                values = [totals[c] for c in remaining]
                pick = min(values) if lowest else max(values)
                narrowed = [c for c, v in zip(remaining, values, strict=True) if v == pick]
                remaining = narrowed
                if len(remaining) == 1:
                    word = "fewer" if lowest else "more"
                    how = f"{word} votes at the end of stage {h + 1} ({self.method})"
                    break
        if len(remaining) > 1:
            chosen, how = self._lot(remaining)
        else:
            chosen = remaining[0]
        self.ties.append(
            Tie(stage=stage, purpose=purpose, tied=tuple(cands), chosen=chosen, how=how)
        )
        return chosen

    def _lot(self, remaining: list[int]) -> tuple[int, str]:
        if self._lot_rank is not None:
            rank = self._lot_rank
            far = len(rank)
            chosen = min(remaining, key=lambda c: rank.get(c, far + c))
            return chosen, "by lot (predetermined lot order)"
        if self._rng is None:
            self.seed = secrets.randbits(31)
            self._rng = random.Random(self.seed)  # noqa: S311
        chosen = self._rng.choice(sorted(remaining))
        return chosen, f"by lot (seed {self.seed})"
