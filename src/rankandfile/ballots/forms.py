"""Forms for ballot pages: setting up a ballot, and filling in a ballot paper.

The paper forms all answer the same three questions, so one voting view serves every
method: :meth:`PaperForm.choice` (the paper in the form ``services.ballot_cast`` takes),
:meth:`PaperForm.summary` (the choices in words, for the confirmation step) and
:meth:`PaperForm.carry` (the submitted fields, re-sent as hidden inputs so the
confirmation step works without JavaScript and is validated again when cast).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop, ngettext

from rankandfile.ballots import queries
from rankandfile.ballots.models import (
    MARK_METHODS,
    QUOTA_METHODS,
    Ballot,
    Method,
    Option,
    Threshold,
    Visibility,
)
from rankandfile.ballots.services import OptionSpec

_NUMBER_WORDS = {
    2: gettext_noop("two"),
    3: gettext_noop("three"),
    4: gettext_noop("four"),
    5: gettext_noop("five"),
    6: gettext_noop("six"),
}


def _count_words(n: int) -> str:
    return gettext(_NUMBER_WORDS[n]) if n in _NUMBER_WORDS else str(n)


def _names(names: Sequence[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return gettext("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


# --- Ballot papers ----------------------------------------------------------------------
class PaperForm(forms.Form):
    """Base of the paper forms; subclasses build their fields from the options."""

    method: str = ""

    def __init__(self, ballot: Ballot, options: Sequence[Option], *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.ballot = ballot
        self.options = list(options)
        self.build()

    def build(self) -> None:  # pragma: no cover - every subclass overrides it
        raise NotImplementedError

    def choice(self) -> Any:
        raise NotImplementedError  # pragma: no cover

    def summary(self) -> list[str]:
        raise NotImplementedError  # pragma: no cover

    def carry(self) -> list[tuple[str, str]]:
        """The submitted fields as (name, value) pairs, for hidden inputs."""
        pairs: list[tuple[str, str]] = []
        for name in self.fields:
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            for item in value if isinstance(value, list) else [value]:
                pairs.append((name, str(item)))
        return pairs

    def first_field_id(self) -> str:
        first = next(iter(self.fields), "")
        return self[first].id_for_label if first else ""

    def error_summary(self) -> list[tuple[str, str]]:
        """(message, id of the field to jump to) for the error summary at the top."""
        items = [(str(e), self.first_field_id()) for e in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name == NON_FIELD_ERRORS:
                continue
            for error in errors:
                items.append((str(error), self[name].id_for_label))
        return items


class RankedPaperForm(PaperForm):
    """Numbered preferences: 1 against the candidate you most want, 2 the next, ...

    Every problem is reported at once and in words: a number used twice, a gap, a number
    out of range, or no first preference.
    """

    summary_items: list[tuple[str, str]]

    def build(self) -> None:
        self.summary_items = []
        n = len(self.options)
        for option in self.options:
            self.fields[f"pref_{option.position}"] = forms.IntegerField(
                label=option.name,
                required=False,
                min_value=1,
                max_value=n,
                error_messages={
                    "invalid": gettext(
                        "Write a whole number from 1 to %(n)s for %(name)s, or leave it blank."
                    )
                    % {"n": n, "name": option.name},
                    "min_value": gettext("Preferences start at 1: correct the number for %(name)s.")
                    % {"name": option.name},
                    "max_value": gettext(
                        "There are only %(n)s candidates: give %(name)s a number "
                        "from 1 to %(n)s, or leave it blank."
                    )
                    % {"n": n, "name": option.name},
                },
                widget=forms.NumberInput(attrs={"min": 1, "max": n, "inputmode": "numeric"}),
            )

    def error_summary(self) -> list[tuple[str, str]]:
        """One line per problem: a repeated number is one problem however many boxes
        carry it (each box still says, beside it, who else has its number)."""
        if not self.summary_items:
            return super().error_summary()
        items = [(str(e), self.first_field_id()) for e in self.non_field_errors()]
        return items + [(message, self[name].id_for_label) for message, name in self.summary_items]

    def clean(self) -> dict[str, Any]:
        self.summary_items: list[tuple[str, str]] = []
        cleaned = super().clean() or {}
        if any(name.startswith("pref_") for name in self.errors):
            return cleaned  # a number is unreadable: report that first
        given: list[tuple[Option, int]] = []
        for option in self.options:
            number = cleaned.get(f"pref_{option.position}")
            if number is not None:
                given.append((option, number))
        if not given:
            raise forms.ValidationError(
                gettext(
                    "Give at least a first preference: write 1 next to the candidate you most want."
                )
            )
        holders: dict[int, list[Option]] = defaultdict(list)
        for option, number in given:
            holders[number].append(option)
        for number, options in sorted(holders.items()):
            if len(options) > 1:
                # One problem, one line in the summary; beside each box it concerns, a
                # short note naming the other candidates given the same number.
                self.summary_items.append(
                    (
                        gettext(
                            "You gave preference %(number)s to %(count)s candidates "
                            "(%(names)s): give each number to one candidate only."
                        )
                        % {
                            "number": number,
                            "count": _count_words(len(options)),
                            "names": _names([o.name for o in options]),
                        },
                        f"pref_{options[0].position}",
                    )
                )
                for option in options:
                    others = _names([o.name for o in options if o is not option])
                    self.add_error(
                        f"pref_{option.position}",
                        gettext("Preference %(number)s is also given to %(others)s.")
                        % {"number": number, "others": others},
                    )
        numbers = sorted(holders)
        expected = 1
        for number in numbers:
            if number != expected:
                missing = (
                    gettext("first preference (1)")
                    if expected == 1
                    else gettext("preference %(n)s") % {"n": expected}
                )
                message = gettext(
                    "There is a gap: no %(missing)s but there is a %(number)s. Number your "
                    "choices 1, 2, 3… without missing any out."
                ) % {"missing": missing, "number": number}
                field = f"pref_{holders[number][0].position}"
                self.summary_items.append((message, field))
                self.add_error(field, message)
                break
            expected += 1
        return cleaned

    def choice(self) -> list[int]:
        given = [
            (self.cleaned_data[f"pref_{o.position}"], o.position)
            for o in self.options
            if self.cleaned_data.get(f"pref_{o.position}") is not None
        ]
        return [position for _, position in sorted(given)]

    def summary(self) -> list[str]:
        by_position = {o.position: o.name for o in self.options}
        return [by_position[p] for p in self.choice()]


class SinglePaperForm(PaperForm):
    """One candidate (first past the post)."""

    def build(self) -> None:
        self.fields["candidate"] = forms.TypedChoiceField(
            label=gettext("Your choice"),
            choices=[(o.position, o.name) for o in self.options],
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={"required": gettext("Choose one candidate.")},
        )

    def choice(self) -> list[int]:
        return [self.cleaned_data["candidate"]]

    def summary(self) -> list[str]:
        by_position = {o.position: o.name for o in self.options}
        return [by_position[self.cleaned_data["candidate"]]]


class MarkPaperForm(PaperForm):
    """Tick boxes: approval (any number) or block vote (at most one per seat)."""

    def build(self) -> None:
        block = self.ballot.method == Method.BLOCK
        self.fields["marked"] = forms.TypedMultipleChoiceField(
            label=(
                gettext("Choose up to %(seats)s") % {"seats": self.ballot.seats}
                if block
                else gettext("Choose every one you support")
            ),
            choices=[(o.position, o.name) for o in self.options],
            coerce=int,
            widget=forms.CheckboxSelectMultiple,
            error_messages={"required": gettext("Mark at least one candidate.")},
        )

    def clean_marked(self) -> list[int]:
        marked: list[int] = self.cleaned_data["marked"]
        seats = self.ballot.seats
        if self.ballot.method == Method.BLOCK and len(marked) > seats:
            raise forms.ValidationError(
                ngettext(
                    "You marked %(marked)s candidates but there is %(seats)s seat: "
                    "mark at most %(seats)s.",
                    "You marked %(marked)s candidates but there are %(seats)s seats: "
                    "mark at most %(seats)s.",
                    seats,
                )
                % {"marked": len(marked), "seats": seats}
            )
        return marked

    def choice(self) -> list[int]:
        return sorted(self.cleaned_data["marked"])

    def summary(self) -> list[str]:
        chosen = set(self.cleaned_data["marked"])
        return [o.name for o in self.options if o.position in chosen]


YESNO_CHOICES = [
    ("yes", gettext_lazy("Yes")),
    ("no", gettext_lazy("No")),
    ("abstain", gettext_lazy("Abstain")),
]


class YesNoPaperForm(PaperForm):
    def build(self) -> None:
        self.fields["answer"] = forms.ChoiceField(
            label=gettext("Your answer"),
            choices=YESNO_CHOICES,
            widget=forms.RadioSelect,
            error_messages={"required": gettext("Choose yes, no or abstain.")},
        )

    def choice(self) -> str:
        return str(self.cleaned_data["answer"])

    def summary(self) -> list[str]:
        return [str(dict(YESNO_CHOICES)[self.cleaned_data["answer"]])]


def paper_form(
    ballot: Ballot, options: Sequence[Option], data: Any = None
) -> RankedPaperForm | SinglePaperForm | MarkPaperForm | YesNoPaperForm:
    """The paper form for the ballot's method."""
    form_class: type[RankedPaperForm | SinglePaperForm | MarkPaperForm | YesNoPaperForm]
    if ballot.method == Method.YESNO:
        form_class = YesNoPaperForm
    elif ballot.method in MARK_METHODS:
        form_class = MarkPaperForm
    elif ballot.method == Method.PLURALITY:
        form_class = SinglePaperForm
    else:
        form_class = RankedPaperForm
    return form_class(ballot, options, data=data)


# --- Setting up a ballot ----------------------------------------------------------------
class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kw: Any) -> None:
        super().__init__(format="%Y-%m-%dT%H:%M", **kw)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kw: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kw)


DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


class BallotForm(forms.Form):
    """A new ballot. Candidates are one per line, so the form needs no JavaScript:
    ``Name | gender | description`` (gender and description optional)."""

    title = forms.CharField(
        max_length=200,
        label=gettext_lazy("Title"),
        help_text=gettext_lazy("For a yes/no ballot, the question."),
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        label=gettext_lazy("Description"),
        help_text=gettext_lazy("Shown on the paper."),
    )
    method = forms.ChoiceField(
        choices=Method.choices, initial=Method.AV, label=gettext_lazy("Method")
    )
    seats = forms.IntegerField(min_value=1, max_value=100, initial=1, label=gettext_lazy("Seats"))
    candidates = forms.CharField(
        label=gettext_lazy("Candidates or options"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=gettext_lazy(
            "One per line, as “Name | gender | description” — gender and description "
            "are optional. Leave empty for a yes/no question."
        ),
    )
    quotas = forms.CharField(
        label=gettext_lazy("Quotas"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy(
            "One per line, as “gender: seats”, e.g. “woman: 2” for at least two women."
        ),
    )
    threshold = forms.ChoiceField(
        choices=Threshold.choices,
        initial=Threshold.SIMPLE,
        label=gettext_lazy("Threshold"),
        help_text=gettext_lazy("Yes/no ballots only: what it takes to carry."),
    )
    scope = forms.ChoiceField(
        label=gettext_lazy("Who votes and who runs it"),
        help_text=gettext_lazy("Only the parts of the party you are an officer for are listed."),
    )
    freeze_date = forms.DateField(
        widget=DateInput(),
        label=gettext_lazy("Freeze date"),
        help_text=gettext_lazy("Eligibility is judged on this day."),
    )
    months_required = forms.IntegerField(
        label=gettext_lazy("Months of continuous membership"), min_value=0, max_value=240, initial=6
    )
    exclude_suspended = forms.BooleanField(
        label=gettext_lazy("Exclude suspended members"), required=False, initial=True
    )
    exclude_arrears = forms.BooleanField(
        label=gettext_lazy("Exclude members in arrears"), required=False, initial=True
    )
    min_age = forms.IntegerField(
        label=gettext_lazy("Minimum age"), min_value=0, max_value=150, required=False
    )
    max_age = forms.IntegerField(
        label=gettext_lazy("Maximum age"),
        min_value=0,
        max_value=150,
        required=False,
        help_text=gettext_lazy("For youth ballots, e.g. 26 for “under 27”."),
    )
    opens_at = forms.DateTimeField(
        label=gettext_lazy("Opens"), widget=DateTimeLocalInput(), input_formats=DATETIME_FORMATS
    )
    closes_at = forms.DateTimeField(
        label=gettext_lazy("Closes"), widget=DateTimeLocalInput(), input_formats=DATETIME_FORMATS
    )
    results_visibility = forms.ChoiceField(
        label=gettext_lazy("Who sees the result once declared"),
        choices=Visibility.choices,
        initial=Visibility.ELECTORATE,
    )

    def __init__(self, user: Any, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.scopes = queries.manageable_scopes(user)
        scope = self.fields["scope"]
        assert isinstance(scope, forms.ChoiceField)
        scope.choices = [(s.value, s.label) for s in self.scopes]
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("freeze_date", today)
            start = timezone.localtime().replace(second=0, microsecond=0) + dt.timedelta(days=1)
            self.initial.setdefault("opens_at", start.replace(hour=9, minute=0))
            self.initial.setdefault("closes_at", start.replace(hour=9, minute=0) + dt.timedelta(14))

    def clean_candidates(self) -> list[OptionSpec]:
        specs: list[OptionSpec] = []
        seen: dict[str, int] = {}
        for number, line in enumerate(self.cleaned_data["candidates"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) > 3:
                raise forms.ValidationError(
                    gettext(
                        "Line %(number)s has more than two “|”: "
                        "write “Name | gender | description”."
                    )
                    % {"number": number}
                )
            name, gender, description = [*parts, "", ""][:3]
            if not name:
                raise forms.ValidationError(
                    gettext("Line %(number)s has no name before the “|”.") % {"number": number}
                )
            if len(name) > 200:
                raise forms.ValidationError(
                    gettext("Line %(number)s: names are at most 200 characters.")
                    % {"number": number}
                )
            key = name.casefold()
            if key in seen:
                raise forms.ValidationError(
                    gettext("%(name)s is listed twice (lines %(first)s and %(number)s).")
                    % {"name": name, "first": seen[key], "number": number}
                )
            seen[key] = number
            specs.append(OptionSpec(name=name, gender=gender.casefold(), description=description))
        return specs

    def clean_quotas(self) -> dict[str, int]:
        quotas: dict[str, int] = {}
        for number, line in enumerate(self.cleaned_data["quotas"].splitlines(), start=1):
            if not line.strip():
                continue
            group, sep, seats = line.partition(":")
            group = group.strip().casefold()
            if not sep or not group or not seats.strip().isdigit():
                raise forms.ValidationError(
                    gettext("Line %(number)s: write a quota as “gender: seats”, e.g. “woman: 2”.")
                    % {"number": number}
                )
            quotas[group] = int(seats)
        return quotas

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", gettext("The ballot must close after it opens."))
        freeze = cleaned.get("freeze_date")
        if opens and freeze and freeze > timezone.localdate(opens):
            self.add_error(
                "freeze_date", gettext("The freeze date must not be after the opening date.")
            )
        low, high = cleaned.get("min_age"), cleaned.get("max_age")
        if low is not None and high is not None and low > high:
            self.add_error("max_age", gettext("The maximum age is below the minimum age."))
        self._check_quotas(cleaned)
        return cleaned

    def error_summary(self) -> list[tuple[str, str]]:
        """(message, field id) for the summary at the top: one line per error."""
        items = [(str(e), self["title"].id_for_label) for e in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name != NON_FIELD_ERRORS:
                items += [(str(e), self[name].id_for_label) for e in errors]
        return items

    def _check_quotas(self, cleaned: dict[str, Any]) -> None:
        """A quota that cannot be met is refused here, in plain words, not after the
        ballot is created (issue 17.4)."""
        quotas: dict[str, int] = cleaned.get("quotas") or {}
        method, seats = cleaned.get("method"), cleaned.get("seats")
        if not quotas or not method or not seats:
            return
        if method not in QUOTA_METHODS:
            self.add_error(
                "quotas",
                gettext(
                    "Quotas work only with an STV count, not with %(method)s: "
                    "choose STV or remove the quotas."
                )
                % {"method": Method(method).label},
            )
            return
        total = sum(quotas.values())
        if total > seats:
            self.add_error(
                "quotas",
                ngettext(
                    "The quotas reserve %(total)s seats but only %(seats)s seat is being "
                    "filled: lower the quotas or add seats.",
                    "The quotas reserve %(total)s seats but only %(seats)s seats are being "
                    "filled: lower the quotas or add seats.",
                    seats,
                )
                % {"total": total, "seats": seats},
            )
        candidates: list[OptionSpec] = cleaned.get("candidates") or []
        for group, minimum in quotas.items():
            standing = sum(1 for c in candidates if c.gender == group)
            if standing < minimum:
                self.add_error(
                    "quotas",
                    ngettext(
                        "At least %(seats)s must go to %(group)s candidates, but only "
                        "%(standing)s is standing: add candidates or lower the quota.",
                        "At least %(seats)s must go to %(group)s candidates, but only "
                        "%(standing)s are standing: add candidates or lower the quota.",
                        standing,
                    )
                    % {
                        "seats": ngettext("%(n)s seat", "%(n)s seats", minimum) % {"n": minimum},
                        "group": group,
                        "standing": standing,
                    },
                )

    def scope_kwargs(self) -> dict[str, Any]:
        """``scope_kind`` and the unit, for ``services.ballot_create``."""
        chosen = next(s for s in self.scopes if s.value == self.cleaned_data["scope"])
        kwargs: dict[str, Any] = {"scope_kind": chosen.kind}
        if chosen.kind != "party":
            kwargs[chosen.kind] = chosen.unit
        return kwargs

    def create_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        method = data["method"]
        return {
            "title": data["title"],
            "description": data["description"],
            "method": method,
            "seats": data["seats"],
            "options": [] if method == Method.YESNO else data["candidates"],
            "quota_minimums": data["quotas"],
            "threshold": data["threshold"],
            "freeze_date": data["freeze_date"],
            "months_required": data["months_required"],
            "exclude_suspended": data["exclude_suspended"],
            "exclude_arrears": data["exclude_arrears"],
            "min_age": data["min_age"],
            "max_age": data["max_age"],
            "opens_at": data["opens_at"],
            "closes_at": data["closes_at"],
            "results_visibility": data["results_visibility"],
            **self.scope_kwargs(),
        }


class EligibilityLookupForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Membership number"), max_length=40)


class TrackingCodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Your tracking code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
