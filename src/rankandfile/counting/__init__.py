"""Pure counting library: ballots in, immutable results with a full audit trail out.

NumPy and the standard library only; never imports Django or any other rankandfile
module (enforced by import-linter).

The main entry point is :func:`count` (a method by name, see :data:`METHODS`); each method
is also available on its own (``count_scottish_stv``, ``count_meek``...). Ballots are read
with :func:`read_blt` / :func:`parse_blt` or :func:`read_csv`.
"""

from rankandfile.counting.approval import ApprovalBallots, ApprovalResult, count_approval
from rankandfile.counting.av import count_av
from rankandfile.counting.ballots import PAD, Candidate, RankedBallots
from rankandfile.counting.blt import BltElection, parse_blt, read_blt, write_blt
from rankandfile.counting.cardvote import count_card_vote
from rankandfile.counting.csvio import read_csv, write_csv
from rankandfile.counting.errors import (
    CountingError,
    DuplicateRankingError,
    EmptyBallotSetError,
    InvalidBallotError,
    MalformedFileError,
    QuotaError,
    TooManySeatsError,
    UnknownCandidateError,
)
from rankandfile.counting.meek import count_meek
from rankandfile.counting.methods import (
    METHODS,
    AnyResult,
    MethodInfo,
    UnknownMethodError,
    as_ranked,
    count,
    method_info,
    parse_quota,
    resolve_group,
)
from rankandfile.counting.plurality import count_plurality
from rankandfile.counting.quotas import (
    GroupMinimums,
    SeatConstraint,
    count_av_multi,
    count_with_quota,
)
from rankandfile.counting.result import RankedResult, Stage, State, Tie
from rankandfile.counting.schulze import SchulzeResult, count_schulze
from rankandfile.counting.stv_scottish import count_scottish_stv
from rankandfile.counting.tiebreak import TIEBREAK_METHODS, TieBreaker
from rankandfile.counting.topn import count_priorities
from rankandfile.counting.yesno import Threshold, count_yes_no

__all__ = [
    "METHODS",
    "PAD",
    "TIEBREAK_METHODS",
    "AnyResult",
    "ApprovalBallots",
    "ApprovalResult",
    "BltElection",
    "Candidate",
    "CountingError",
    "DuplicateRankingError",
    "EmptyBallotSetError",
    "GroupMinimums",
    "InvalidBallotError",
    "MalformedFileError",
    "MethodInfo",
    "QuotaError",
    "RankedBallots",
    "RankedResult",
    "SchulzeResult",
    "SeatConstraint",
    "Stage",
    "State",
    "Threshold",
    "Tie",
    "TieBreaker",
    "TooManySeatsError",
    "UnknownCandidateError",
    "UnknownMethodError",
    "as_ranked",
    "count",
    "count_approval",
    "count_av",
    "count_av_multi",
    "count_card_vote",
    "count_meek",
    "count_plurality",
    "count_priorities",
    "count_schulze",
    "count_scottish_stv",
    "count_with_quota",
    "count_yes_no",
    "method_info",
    "parse_blt",
    "parse_quota",
    "read_blt",
    "read_csv",
    "resolve_group",
    "write_blt",
    "write_csv",
]
