"""Pure rules of conference procedure (no Django): word counts, delegate entitlement,
gender balance, word-level diffs and the provenance of a composite's wording.

Every function takes the rule-book numbers it needs as a :class:`RuleParameters`, never a
constant. Rule clauses are cited as in docs/rules/conference.md.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from rankandfile.conference.rules import RuleParameters

_WORD = re.compile(r"[\w'’-]+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+")


def words(text: str) -> list[str]:
    """The words of ``text``: runs of letters, digits, apostrophes and hyphens."""
    return _WORD.findall(text)


def word_count(text: str) -> int:
    """Number of words as clause 3.II.2 counts them ("NHS", "2019" and "co-operative"
    are one word each; punctuation is not a word)."""
    return len(words(text))


# --- Delegates (clauses 3.III.1 and 3.III.2) --------------------------------------------
@dataclass(frozen=True)
class Entitlement:
    """A CLP's delegate entitlement at the census date and the arithmetic behind it."""

    members: int
    women: int
    young: int
    general: int
    capped: bool
    woman_delegate: bool
    youth_delegate: bool
    min_women_general: int

    @property
    def total(self) -> int:
        return self.general + int(self.woman_delegate) + int(self.youth_delegate)

    def explain(self, p: RuleParameters) -> str:
        parts = []
        if self.members == 0:
            return "No members at the census date: no delegates."
        extra = self.general - 1
        base = f"{self.members:,} members: 1 delegate for the first {p.delegate_base_members:,}"
        if self.capped:
            base += f", capped at {p.delegate_max}"
        elif extra:
            base += f" and {extra} for the further {self.members - p.delegate_base_members:,}"
        parts.append(base)
        parts.append(
            f"{self.women:,} women members: "
            + ("a women's delegate" if self.woman_delegate else "no women's delegate")
            + f" (needs {p.women_delegate_min_women_members})"
        )
        parts.append(
            f"{self.young:,} members under {p.youth_age_under}: "
            + ("a youth delegate" if self.youth_delegate else "no youth delegate")
            + f" (needs {p.youth_delegate_min_young_members})"
        )
        parts.append(f"at least {self.min_women_general} of the general delegates must be women")
        return "; ".join(parts) + "."


def entitlement(*, members: int, women: int, young: int, p: RuleParameters) -> Entitlement:
    """Clause 3.III.1: one delegate for the first ``delegate_base_members`` members or part,
    one more for each further ``delegate_members_per_additional`` or part, capped at
    ``delegate_max`` (0: no cap); plus a woman delegate with at least
    ``women_delegate_min_women_members`` women and a youth delegate with at least
    ``youth_delegate_min_young_members`` members under ``youth_age_under``.
    Clause 3.III.2: at least every ``delegate_woman_every``-th general delegate is a woman
    (the 2nd, 4th, 6th...: ``general // delegate_woman_every`` women); a CLP with a single
    delegate sends a woman at least every other year (:func:`gender_balance_problem`)."""
    if members < 0 or women < 0 or young < 0:
        raise ValueError("member counts cannot be negative")
    if members == 0:
        general = 0
    else:
        over = max(0, members - p.delegate_base_members)
        per = max(1, p.delegate_members_per_additional)
        general = 1 + -(-over // per)
    capped = bool(p.delegate_max) and general > p.delegate_max
    if capped:
        general = p.delegate_max
    every = max(1, p.delegate_woman_every)
    return Entitlement(
        members=members,
        women=women,
        young=young,
        general=general,
        capped=capped,
        woman_delegate=members > 0 and women >= p.women_delegate_min_women_members,
        youth_delegate=members > 0 and young >= p.youth_delegate_min_young_members,
        min_women_general=general // every,
    )


def delegation_problems(
    ent: Entitlement,
    delegates: Sequence[tuple[str, bool, bool]],
) -> list[str]:
    """Check a CLP's delegation ``(kind, is_woman, is_young)`` against its entitlement.

    Returns every problem in words (an empty list: the delegation is valid)."""
    problems: list[str] = []
    general = [d for d in delegates if d[0] == "general"]
    women_d = [d for d in delegates if d[0] == "woman"]
    youth_d = [d for d in delegates if d[0] == "youth"]
    if len(general) > ent.general:
        problems.append(
            f"{len(general)} delegates, but the CLP is entitled to {ent.general} (clause 3.III.1)"
        )
    if women_d and not ent.woman_delegate:
        problems.append("the CLP is not entitled to a women's delegate (clause 3.III.1)")
    if len(women_d) > 1:
        problems.append("only one women's delegate is allowed (clause 3.III.1)")
    if any(not w for _, w, _ in women_d):
        problems.append("the women's delegate must be a woman (clause 3.III.1)")
    if youth_d and not ent.youth_delegate:
        problems.append("the CLP is not entitled to a youth delegate (clause 3.III.1)")
    if len(youth_d) > 1:
        problems.append("only one youth delegate is allowed (clause 3.III.1)")
    if any(not y for _, _, y in youth_d):
        problems.append("the youth delegate must be under the youth age (clause 3.III.1)")
    return problems


def gender_balance_problem(
    ent: Entitlement, women_general: int, general: int, *, single_after_man: bool = False
) -> str | None:
    """Clause 3.III.2: enough women among the general delegates, judged on the full
    entitlement (a partial delegation is not refused while places remain for women).
    ``single_after_man``: the CLP has one delegate and last year's was not a woman, so this
    year's must be."""
    places_left = ent.general - general
    if ent.general == 1 and single_after_man and women_general == 0 and places_left == 0:
        return (
            "a CLP with one delegate must send a woman at least every other year, and last "
            "year's delegate was not a woman (clause 3.III.2)"
        )
    if women_general + places_left < ent.min_women_general:
        return (
            f"at least {ent.min_women_general} of the {ent.general} delegates must be women "
            f"(clause 3.III.2); {women_general} of {general} elected are women and only "
            f"{places_left} place{'s' if places_left != 1 else ''} remain"
        )
    return None


# --- Diffs --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Segment:
    op: str  # "same" | "ins" | "del"
    text: str


def word_diff(old: str, new: str) -> list[Segment]:
    """A word-level diff of two texts for display (<del>/<ins>)."""
    a = re.findall(r"\S+\s*", old)
    b = re.findall(r"\S+\s*", new)
    out: list[Segment] = []
    sm = difflib.SequenceMatcher(a=[w.strip() for w in a], b=[w.strip() for w in b], autojunk=False)
    for tag, i1, i2, j1, j2 in sm.get_opcodes():
        if tag == "equal":
            out.append(Segment("same", "".join(b[j1:j2])))
            continue
        if tag in ("delete", "replace"):
            out.append(Segment("del", "".join(a[i1:i2])))
        if tag in ("insert", "replace"):
            out.append(Segment("ins", "".join(b[j1:j2])))
    return out


# --- Amendments ---------------------------------------------------------------------------
def _tokens(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text)


def words_changed(old: str, new: str) -> int:
    """The size of an amendment: words deleted plus words inserted (counted as
    :func:`word_count` counts them), from the word diff of the target's text."""
    return sum(word_count(seg.text) for seg in word_diff(old, new) if seg.op != "same")


def apply_amendment(base: str, amended: str, current: str) -> str | None:
    """The target's text after a carried amendment.

    ``base`` is the target's text the amendment was written against, ``amended`` the text
    the amendment proposes, ``current`` the target's text now (earlier carried amendments may
    have changed it). The amendment's word changes are applied to ``current`` when they touch
    none of the words the earlier amendments changed; otherwise ``None`` (the amendment falls:
    conference already changed those words).
    """
    if current == base:
        return amended
    a, b, c = _tokens(base), _tokens(amended), _tokens(current)
    strip = [w.strip() for w in a]

    def ops(other: list[str]) -> list[tuple[int, int, list[str]]]:
        sm = difflib.SequenceMatcher(a=strip, b=[w.strip() for w in other], autojunk=False)
        return [(i1, i2, other[j1:j2]) for t, i1, i2, j1, j2 in sm.get_opcodes() if t != "equal"]

    mine, theirs = ops(b), ops(c)
    for i1, i2, _ in mine:
        for k1, k2, _ in theirs:
            if i1 <= k2 and k1 <= i2:  # overlapping or touching ranges of the base
                return None
    edits = sorted(mine + theirs, key=lambda e: (e[0], e[1]))
    out: list[str] = []
    pos = 0
    for i1, i2, repl in edits:
        out.extend(a[pos:i1])
        out.extend(repl)
        pos = i2
    out.extend(a[pos:])
    return "".join(out)


# --- Compositing (appendix 6, clause A6.2) -----------------------------------------------
@dataclass(frozen=True)
class SentenceOrigin:
    """One sentence of a composite: the original it comes from, the share of its words
    found there in order, and the words that appear in no original (new wording)."""

    sentence: str
    source: str | None
    matched: int
    total: int
    new_words: tuple[str, ...]
    tokens: tuple[tuple[str, bool], ...]  # (word, is_new) for display


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s and s.strip()]


def _norm(w: str) -> str:
    return w.lower().replace("’", "'")


def provenance(composite: str, originals: Mapping[str, str]) -> list[SentenceOrigin]:
    """Trace each sentence of a composite to the original motion it was taken from.

    The source of a sentence is the original with which it shares the longest run of
    words in order (difflib over word lists). A word is *new* when it occurs in none of
    the originals: the compositing rule (clause A6.2) allows only the originals' wording,
    so new words are flagged for the movers to see before they sign off.
    """
    vocab: set[str] = set()
    src_words: dict[str, list[str]] = {}
    src_sets: dict[str, set[str]] = {}
    for label, text in originals.items():
        ws = [_norm(w) for w in words(text)]
        src_words[label] = ws
        src_sets[label] = set(ws)
        vocab.update(ws)
    out: list[SentenceOrigin] = []
    for sent in sentences(composite):
        ws = words(sent)
        normed = [_norm(w) for w in ws]
        best: str | None = None
        best_matched = 0
        # Only the originals sharing the most words can hold the longest run in order:
        # compare those three (difflib is the costly part with dozens of originals).
        wanted = set(normed)
        shortlist = sorted(src_words, key=lambda k: -len(wanted & src_sets[k]))[:3]
        for label in shortlist:
            sw = src_words[label]
            sm = difflib.SequenceMatcher(a=normed, b=sw, autojunk=False)
            matched = sum(block.size for block in sm.get_matching_blocks())
            if matched > best_matched:
                best, best_matched = label, matched
        tokens = tuple((w, _norm(w) not in vocab) for w in ws)
        out.append(
            SentenceOrigin(
                sentence=sent,
                source=best,
                matched=best_matched,
                total=len(ws),
                new_words=tuple(w for w, new in tokens if new),
                tokens=tokens,
            )
        )
    return out
