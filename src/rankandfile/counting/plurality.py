"""First past the post (plurality), for one seat or several (block vote).

Rules implemented (domain.md, "Counting rules: FPTP / plurality"):

* **One seat**: each ballot is one vote for its first preference (from ranked ballots: the
  first preference among candidates not withdrawn; from X-mark ballots: the one candidate
  marked, and a ballot may mark at most one). The candidate with the most votes is elected.
* **Several seats (block vote)**: each voter marks up to ``seats`` candidates; each mark is
  one vote; the ``seats`` candidates with the most votes are elected. From ranked ballots
  the first ``seats`` continuing preferences each count as one mark.
* A tie that decides a seat is broken by lot with ``random.Random(seed)``; each draw is
  recorded as a :class:`~rankandfile.counting.result.Tie` and the seed in the result.

The result is a single-stage :class:`~rankandfile.counting.result.RankedResult`. Ballots
that give no vote to any continuing candidate are counted as non-transferable.
"""

from __future__ import annotations

import numpy as np

from rankandfile.counting.approval import (
    ApprovalBallots,
    Lot,
    check_seats,
    select_top,
    single_stage_result,
)
from rankandfile.counting.ballots import PAD, IntArray, RankedBallots
from rankandfile.counting.errors import InvalidBallotError
from rankandfile.counting.result import RankedResult


def count_plurality(
    ballots: RankedBallots | ApprovalBallots,
    seats: int = 1,
    *,
    seed: int | None = None,
) -> RankedResult:
    """Count a first-past-the-post election for ``seats`` seats.

    Raises :class:`TooManySeatsError` when ``seats`` is below 1 or above the number of
    candidates standing (withdrawn candidates excluded), and :class:`InvalidBallotError`
    when an X-mark ballot marks more than ``seats`` candidates.
    """
    if isinstance(ballots, ApprovalBallots):
        check_seats(seats, ballots.n_candidates)
        per_ballot = ballots.marks.sum(axis=1)
        if (per_ballot > seats).any():
            i = int(np.argmax(per_ballot > seats))
            raise InvalidBallotError(
                f"a ballot marks {int(per_ballot[i])} candidates but at most {seats} may be "
                f"marked for {seats} seat{'s' if seats != 1 else ''}"
            )
        votes: IntArray = ballots.counts()
        withdrawn: frozenset[int] = frozenset()
        blank = int(ballots.weights[per_ballot == 0].sum())
        total = ballots.total
        candidates = ballots.candidates
    else:
        withdrawn = ballots.withdrawn
        check_seats(seats, ballots.n_candidates - len(withdrawn))
        votes, blank = _ranked_marks(ballots, seats)
        total = ballots.total
        candidates = ballots.candidates

    lot = Lot(seed)
    eligible = [i for i in range(len(candidates)) if i not in withdrawn]
    vote_list = tuple(int(v) for v in votes)
    elected, ties = select_top(vote_list, seats, lot, eligible=eligible)
    method = "plurality" if seats == 1 else "block vote"
    return single_stage_result(
        method,
        seats,
        candidates,
        vote_list,
        elected,
        ties,
        lot.seed,
        total=total,
        action="first",
        withdrawn=withdrawn,
        non_transferable=blank,
        note="first preferences" if seats == 1 else f"votes (up to {seats} per ballot)",
    )


def _ranked_marks(ballots: RankedBallots, seats: int) -> tuple[IntArray, int]:
    """Votes per candidate from each ballot's first ``seats`` continuing preferences, and
    the number of ballots giving no vote at all."""
    ranks = ballots.rankings
    valid = ranks != PAD
    if ballots.withdrawn:
        valid &= ~np.isin(ranks, np.fromiter(ballots.withdrawn, dtype=np.int64))
    # Position of each valid preference among the ballot's continuing preferences.
    order = np.cumsum(valid, axis=1)
    take = valid & (order <= seats)
    rows = np.nonzero(take)
    votes = np.bincount(
        ranks[rows], weights=ballots.weights[rows[0]], minlength=ballots.n_candidates
    ).astype(np.int64)
    blank = int(ballots.weights[~take.any(axis=1)].sum())
    return votes, blank
