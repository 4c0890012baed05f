"""Pure procedure rules: word counts, delegate entitlement, diffs, composite provenance."""

from __future__ import annotations

import pytest

from rankandfile.conference import procedure
from rankandfile.conference.rules import RuleParameters

P = RuleParameters()  # 2022-on rules: cap 6


def test_word_count_counts_words_not_punctuation() -> None:
    assert procedure.word_count("Conference notes: the NHS, founded in 1948, is co-operative.") == 9
    assert procedure.word_count("") == 0
    assert procedure.word_count("  —  ") == 0
    assert procedure.word_count("workers' rights") == 2


@pytest.mark.parametrize(
    ("members", "general"),
    [
        (0, 0),
        (1, 1),
        (749, 1),
        (750, 2),
        (999, 2),
        (1000, 3),
        (1249, 3),
        (1250, 4),
        (1999, 6),
        (5000, 6),
    ],
)
def test_general_delegates_by_membership(members: int, general: int) -> None:
    """Clause 3.III.1: 1 for the first 749 or part, 1 per further 250 or part, capped at 6."""
    ent = procedure.entitlement(members=members, women=0, young=0, p=P)
    assert ent.general == general
    assert ent.capped == (members >= 2000)


def test_no_cap_before_2022() -> None:
    ent = procedure.entitlement(members=5000, women=0, young=0, p=P.replace(delegate_max=0))
    assert ent.general == 1 + 18  # 4,251 further members: 17 blocks of 250 and a part
    assert not ent.capped


def test_women_and_youth_delegates_thresholds() -> None:
    ent = procedure.entitlement(members=1200, women=100, young=30, p=P)
    assert (ent.woman_delegate, ent.youth_delegate, ent.total) == (True, True, 3 + 2)
    ent = procedure.entitlement(members=1200, women=99, young=29, p=P)
    assert (ent.woman_delegate, ent.youth_delegate, ent.total) == (False, False, 3)
    assert ent.min_women_general == 1
    assert "no women's delegate (needs 100)" in ent.explain(P)


def test_entitlement_rejects_negative_counts() -> None:
    with pytest.raises(ValueError, match="negative"):
        procedure.entitlement(members=-1, women=0, young=0, p=P)


def test_delegation_problems_and_gender_balance() -> None:
    ent = procedure.entitlement(members=1000, women=50, young=0, p=P)  # 3 general, no extras
    assert ent.min_women_general == 1  # every second delegate: the 2nd of 3
    problems = procedure.delegation_problems(
        ent, [("general", False, False)] * 4 + [("woman", True, False), ("youth", False, False)]
    )
    assert any("4 delegates, but the CLP is entitled to 3" in p for p in problems)
    assert any("not entitled to a women's delegate" in p for p in problems)
    assert any("not entitled to a youth delegate" in p for p in problems)
    assert procedure.gender_balance_problem(ent, women_general=0, general=2) is None
    msg = procedure.gender_balance_problem(ent, women_general=0, general=3)
    assert msg is not None and "at least 1 of the 3 delegates must be women" in msg
    six = procedure.entitlement(members=3000, women=0, young=0, p=P)
    assert six.min_women_general == 3


def test_single_delegate_alternates() -> None:
    one = procedure.entitlement(members=300, women=0, young=0, p=P)
    assert one.min_women_general == 0
    assert procedure.gender_balance_problem(one, 0, 1) is None
    msg = procedure.gender_balance_problem(one, 0, 1, single_after_man=True)
    assert msg is not None and "every other year" in msg
    assert procedure.gender_balance_problem(one, 1, 1, single_after_man=True) is None


def test_word_diff_marks_changes() -> None:
    segs = procedure.word_diff("shall not exceed 250 words", "shall not exceed 300 words")
    assert [s.op for s in segs] == ["same", "del", "ins", "same"]
    assert segs[1].text.strip() == "250" and segs[2].text.strip() == "300"


def test_provenance_traces_sentences_and_flags_new_words() -> None:
    originals = {
        "2026/M001": "Conference calls for rail in public ownership. Fares must be cut.",
        "2026/M002": "Conference demands a national bus network. Buses must be free for under-22s.",
    }
    composite = "Conference calls for rail in public ownership. Buses must be free for everyone."
    out = procedure.provenance(composite, originals)
    assert [o.source for o in out] == ["2026/M001", "2026/M002"]
    assert out[0].matched == out[0].total > 0 and out[0].new_words == ()
    assert out[1].new_words == ("everyone",)
    assert out[1].matched < out[1].total
