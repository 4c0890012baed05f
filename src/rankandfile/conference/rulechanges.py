"""Rule changes that change the software (pure Python, no Django).

A rule change amends a clause's text (the submitter writes it). Where that clause states a
number or a choice the software obeys — a ``RuleParameters`` field — the conference
arrangements committee attaches the typed parameter changes that go with the new text
(``changes_validate``). Only the parameters the amended clause states may be changed, so
every parameter the software obeys is written down in exactly one clause, and the two can
be compared: ``disagreements`` lists every place where a clause's text does not say what
the parameters make the software do. The rule book is published only when that list is
empty (``services.rulebook.rule_book_publish``), so a carried change to "300 words" cannot
leave the book saying 250 while the software enforces 300, nor the other way round.

Values are parsed from what a person types (``parse_value``): whole numbers, yes/no,
fractions ("2/3"), section shares ("clp=1/2, affiliate=1/2") and choices (the selection
mode, the counting methods). Stored values are the JSON form of ``RuleParameters.to_json``.

Chapter 4's parameters live in the nested ``RuleParameters.elections`` (``ElectionRules``);
they are named with a dot (``elections.vacancy_mp_share``) and ``apply`` merges such a
change onto the nested rules *in force*, so changing one election parameter leaves every
other one as it was (never reset to the defaults).
"""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Mapping
from fractions import Fraction
from typing import Any

from rankandfile.conference import rulebook_data
from rankandfile.conference.rules import ElectionRules, RuleParameters, SelectionMode

#: Clause-template words derived from a parameter (``rulebook_data.clause_values``).
DERIVED: Mapping[str, str] = {
    "threshold_words": "programme_threshold",
    "submissions_words": "submissions_per_organisation",
    "delay_words": "clp_rule_change_delay_years",
    "cap_words": "delegate_max",
    "clp_share": "card_vote_section_shares",
    "affiliate_share": "card_vote_section_shares",
    "selection_text": "selection_mode",
    "union_words": "candidate_requires_trade_union",
    "women_share_words": "shortlist_min_women_share",
}

#: Chapter 4's clause-template words (``rulebook_data.election_clause_values``) and the
#: election parameters each is derived from (a word may state several).
ELECTION_DERIVED: Mapping[str, tuple[str, ...]] = {
    "vacancy_mp_words": ("vacancy_mp_share",),
    "challenge_mp_words": ("challenge_mp_share",),
    "mp_base_words": ("mp_base_includes_meps",),
    "second_limb_words": (
        "vacancy_clp_share",
        "vacancy_affiliates_min",
        "vacancy_affiliates_min_unions",
        "vacancy_affiliates_membership_share",
    ),
    "incumbent_words": ("incumbent_on_ballot",),
    "member_months_words": ("member_months_required",),
    "supporters_words": (
        "affiliated_supporters",
        "registered_supporters",
        "registered_supporter_fee_pence",
        "registered_supporter_window_days",
    ),
    "leader_method_words": ("leader_method",),
    "section_words": ("publish_by_section",),
    "nec_method_words": ("nec_clp_method",),
    "nec_women_words": ("nec_clp_women_min_share",),
}

#: What each parameter means, for people (forms, the agenda, the ballot, the board).
LABELS: Mapping[str, str] = {
    "motion_max_words": "the word limit of a motion",
    "motion_title_max_words": "the word limit of a motion's title",
    "amendment_max_words": "the word limit of an amendment",
    "submissions_per_organisation": "the items each organisation may submit",
    "contemporary_test": "the contemporary test",
    "clp_rule_change_delay_years": "the years a CLP rule change waits",
    "three_year_rule_years": "the years of the three-year rule",
    "priorities_topics_per_section": "the topics each section prioritises",
    "card_vote_section_shares": "each section's share of the card vote",
    "programme_threshold": "the share of the card vote that puts policy in the programme",
    "delegate_base_members": "the members for a CLP's first delegate",
    "delegate_members_per_additional": "the members for each further delegate",
    "delegate_max": "the most general delegates a CLP sends (0: no limit)",
    "women_delegate_min_women_members": "the women members for a women's delegate",
    "youth_delegate_min_young_members": "the young members for a youth delegate",
    "youth_age_under": "the age under which a member is young",
    "delegate_woman_every": "one delegate in every n is a woman",
    "selection_mode": "how sitting MPs are reselected",
    "candidate_min_membership_months": "the months of membership a candidate needs",
    "candidate_requires_trade_union": "whether a candidate must be in an affiliated union",
    "shortlist_min_women_share": "the share of women on a shortlist",
    "shortlist_min_bame": "the BAME applicants on a shortlist",
    "selection_electorate_months": "the months of membership a selection voter needs",
    "selection_appeal_days": "the days to appeal a selection",
    "elections.vacancy_mp_share": "the share of MPs nominating when there is a vacancy",
    "elections.challenge_mp_share": "the share of MPs nominating a challenger",
    "elections.mp_base_includes_meps": "whether the MPs' base counts the MEPs",
    "elections.vacancy_clp_share": "the share of CLPs nominating (0: no CLP limb)",
    "elections.vacancy_affiliates_min": "the affiliates nominating (0: no affiliate limb)",
    "elections.vacancy_affiliates_min_unions": "how many of those affiliates are unions",
    "elections.vacancy_affiliates_membership_share": (
        "the share of the affiliated membership those affiliates hold"
    ),
    "elections.incumbent_on_ballot": "whether a challenged incumbent is on the ballot",
    "elections.member_months_required": "the months of membership a voter needs",
    "elections.affiliated_supporters": "whether affiliated supporters vote",
    "elections.registered_supporters": "whether registered supporters vote",
    "elections.registered_supporter_fee_pence": "a registered supporter's fee (pence)",
    "elections.registered_supporter_window_days": "the days of the registration window",
    "elections.publish_by_section": "whether results are published by electorate section",
    "elections.mp_nomination_days": "the days MPs' nominations are open",
    "elections.unit_nomination_days": "the days CLPs' and affiliates' nominations are open",
    "elections.ballot_days": "the days the ballot is open",
    "elections.appeal_days": "the days to appeal an election",
    "elections.leader_method": "how the leader and deputy are counted",
    "elections.nec_clp_seats": "the seats of the NEC's CLP section",
    "elections.nec_clp_method": "how the NEC's CLP section is counted",
    "elections.nec_clp_women_min_share": "the share of the NEC's CLP section that are women",
    "elections.nec_clp_min_clp_nominations": "the CLP nominations an NEC candidate needs",
}

#: Parameters nested in ``RuleParameters`` as a dataclass of their own, named "group.name".
NESTED: Mapping[str, type] = {"elections": ElectionRules}

_DEFAULTS = RuleParameters()
_FIELDS: dict[str, Any] = {
    f.name: f for f in dataclasses.fields(RuleParameters) if f.name not in NESTED
}
for _group, _cls in NESTED.items():
    for _f in dataclasses.fields(_cls):
        _FIELDS[f"{_group}.{_f.name}"] = _f
_ELECTION_FIELDS = {f.name for f in dataclasses.fields(ElectionRules)}

_CHOICES: Mapping[str, list[tuple[str, str]]] = {
    "selection_mode": [(m, SelectionMode.LABELS[m]) for m in SelectionMode.ALL],
    "elections.leader_method": [
        ("av", "Alternative vote (eliminating ballot)"),
        ("plurality", "Plurality"),
    ],
    "elections.nec_clp_method": [
        ("scottish-stv", "Single transferable vote (Scottish STV)"),
        ("meek", "Single transferable vote (Meek)"),
        ("block", "Block vote"),
    ],
}


def _default(name: str) -> Any:
    group, dot, rest = name.partition(".")
    if dot:
        return getattr(getattr(_DEFAULTS, group), rest)
    return getattr(_DEFAULTS, name)


def apply(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON parameters ``base`` (``RuleParameters.to_json``) with ``changes`` made.

    A dotted name ("elections.vacancy_mp_share") changes that one nested parameter, and a
    nested object ({"elections": {...}}) is merged key by key onto the nested parameters
    of ``base``: every nested parameter not changed keeps the value in ``base`` (the rules
    in force), never the default. Other values replace the old ones whole (section
    shares are one value)."""
    out: dict[str, Any] = {
        k: (dict(v) if k in NESTED and isinstance(v, Mapping) else v) for k, v in base.items()
    }
    for name, value in changes.items():
        group, dot, rest = name.partition(".")
        if dot and group in NESTED:
            out[group] = {**dict(out.get(group) or {}), rest: value}
        elif name in NESTED and isinstance(value, Mapping):
            out[name] = {**dict(out.get(name) or {}), **value}
        else:
            out[name] = value
    return out


def flat(params: Mapping[str, Any]) -> dict[str, Any]:
    """JSON parameters with the nested groups spelled out as dotted names."""
    out: dict[str, Any] = {}
    for k, v in params.items():
        if k in NESTED and isinstance(v, Mapping):
            out.update({f"{k}.{n}": x for n, x in v.items()})
        else:
            out[k] = v
    return out


def _params_of(placeholder: str) -> tuple[str, ...]:
    """The parameters a clause-template word states."""
    if placeholder in ELECTION_DERIVED:
        return tuple(f"elections.{n}" for n in ELECTION_DERIVED[placeholder])
    if placeholder in _ELECTION_FIELDS and placeholder not in _FIELDS:
        return (f"elections.{placeholder}",)
    param = DERIVED.get(placeholder, placeholder)
    return (param,) if param in _FIELDS else ()


def _placeholders(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def _spec(clause_number: str) -> rulebook_data.ClauseSpec | None:
    return next((c for c in rulebook_data.CLAUSES if c.number == clause_number), None)


def clause_parameters(clause_number: str) -> list[str]:
    """The parameters clause ``clause_number`` states, in the order it states them."""
    spec = _spec(clause_number)
    if spec is None:
        return []
    out: list[str] = []
    for name in _placeholders(spec.text):
        for param in _params_of(name):
            if param not in out:
                out.append(param)
    return out


def kind_of(name: str) -> str:
    """The parameter's type: ``int``, ``bool``, ``fraction``, ``shares`` or ``choice``."""
    current = _default(name)
    if isinstance(current, bool):
        return "bool"
    if isinstance(current, int):
        return "int"
    if isinstance(current, Fraction):
        return "fraction"
    if isinstance(current, Mapping):
        return "shares"
    return "choice"


def choices_of(name: str) -> list[tuple[str, str]]:
    """The values a choice parameter takes, with their meaning."""
    return list(_CHOICES.get(name, []))


def parse_value(name: str, raw: str) -> Any:
    """The JSON value of parameter ``name`` from what a person typed; ValueError says why."""
    if name not in _FIELDS:
        raise ValueError(f"there is no rule-book parameter {name!r}")
    text = raw.strip()
    kind = kind_of(name)
    if kind == "bool":
        if text.lower() in ("yes", "true", "1", "on"):
            return True
        if text.lower() in ("no", "false", "0", "off"):
            return False
        raise ValueError(f"{name}: answer yes or no")
    if kind == "int":
        if not re.fullmatch(r"\d+", text):
            raise ValueError(f"{name}: give a whole number (0 or more), not {text!r}")
        return int(text)
    if kind == "fraction":
        return _fraction_text(name, text)
    if kind == "shares":
        out: dict[str, str] = {}
        for part in filter(None, (p.strip() for p in text.split(","))):
            section, sep, value = part.partition("=")
            if not sep or not section.strip():
                raise ValueError(f"{name}: write each section as section=share, e.g. clp=1/2")
            out[section.strip()] = _fraction_text(name, value.strip())
        if not out:
            raise ValueError(f"{name}: write each section as section=share, e.g. clp=1/2")
        return out
    allowed = [v for v, _ in choices_of(name)]
    if text not in allowed:
        raise ValueError(f"{name}: choose one of {', '.join(allowed)}")
    return text


def _fraction_text(name: str, text: str) -> str:
    try:
        f = Fraction(text)
    except (ValueError, ZeroDivisionError) as exc:
        raise ValueError(f"{name}: give a fraction such as 2/3, not {text!r}") from exc
    return f"{f.numerator}/{f.denominator}"


def changes_validate(
    clause_number: str, changes: Mapping[str, Any], base: RuleParameters
) -> dict[str, Any]:
    """The typed changes (JSON values) for a rule change on ``clause_number``: each a
    parameter that clause states, each of its type, together valid (shares adding up to
    one, ...) on top of ``base``; changes equal to ``base`` are dropped. ValueError says
    what is wrong."""
    stated = clause_parameters(clause_number)
    out: dict[str, Any] = {}
    for name, value in changes.items():
        if name not in _FIELDS:
            raise ValueError(f"there is no rule-book parameter {name!r}")
        if name not in stated:
            where = ", ".join(stated) if stated else "none"
            raise ValueError(
                f"clause {clause_number} does not state {name} ({LABELS.get(name, name)}); "
                f"the parameters it states: {where}"
            )
        out[name] = parse_value(name, value) if isinstance(value, str) else value
    try:
        merged = RuleParameters.from_json(apply(base.to_json(), out))
    except (ValueError, TypeError) as exc:
        raise ValueError(str(exc)) from exc
    after = flat(merged.to_json())
    before = flat(base.to_json())
    return {k: after[k] for k in out if after[k] != before[k]}


def describe(name: str, value: Any) -> str:
    """A stored (JSON) parameter value as people read it."""
    kind = kind_of(name) if name in _FIELDS else "choice"
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "shares" and isinstance(value, Mapping):
        return ", ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


def as_input(name: str, value: Any) -> str:
    """A stored (JSON) value as typed in the form (``parse_value`` reads it back)."""
    kind = kind_of(name)
    if kind == "bool":
        return "yes" if value else "no"
    if kind == "shares" and isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def shown(changes: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """(parameter, meaning, new value) of each change, as pages show them."""
    return [
        (name, LABELS.get(name, name), describe(name, value)) for name, value in changes.items()
    ]


def change_rows(
    changes: Mapping[str, Any], base: RuleParameters
) -> list[tuple[str, str, str, str]]:
    """(name, label, value before, value after) for each change, for pages."""
    before = flat(base.to_json())
    return [
        (name, LABELS.get(name, name), describe(name, before.get(name)), describe(name, value))
        for name, value in changes.items()
    ]


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def _states(text: str, value: str) -> bool:
    """Whether ``text`` says ``value`` (whole words: "25" is not in "250")."""
    v = _normal(value)
    before = r"(?<![\w/])" if re.match(r"[\w/]", v) else ""
    after = r"(?![\w/])" if re.search(r"[\w/]$", v) else ""
    return re.search(before + re.escape(v) + after, _normal(text)) is not None


def disagreements(
    clause_number: str,
    text: str,
    params: RuleParameters,
    previous: RuleParameters | None = None,
) -> list[str]:
    """Where clause ``clause_number``'s ``text`` does not say what ``params`` make the
    software do: each value the clause states (as the shipped wording renders it) must
    appear in the text, and a value ``previous`` rendered that has changed must no longer
    appear. Empty: they agree (a clause stating no parameter always agrees)."""
    spec = _spec(clause_number)
    if spec is None:
        return []
    now = rulebook_data.clause_values(params)
    before = rulebook_data.clause_values(previous) if previous is not None else now
    names = _placeholders(spec.text)
    rendered_now = [str(now[n]).strip() for n in names]
    problems: list[str] = []
    for name in names:
        stated = _params_of(name) or (name,)
        param = ", ".join(stated)
        label = "; ".join(LABELS.get(p, p) for p in stated)
        new = str(now[name]).strip()
        old = str(before[name]).strip()
        if new and not _states(text, new):
            problems.append(
                f"clause {clause_number} does not say {new!r}, which the parameters set "
                f"({param}: {label})"
            )
        elif (
            old
            and old != new
            and _states(text, old)
            and not any(_states(r, old) for r in rendered_now if r)
        ):
            problems.append(
                f"clause {clause_number} still says {old!r}, which the parameters no longer "
                f"set ({param}: {label})"
            )
    return problems
