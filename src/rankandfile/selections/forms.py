"""Forms for selection pages (parsing and field errors only; rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from rankandfile.membership.models import CLP
from rankandfile.selections.models import TriggerDecision

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RoundForm(forms.Form):
    name = forms.CharField(max_length=200, label=gettext_lazy("Name of the round"))
    constituencies = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label=gettext_lazy("Constituency parties"),
        help_text=gettext_lazy("One constituency per line, as named in the party structure."),
    )
    freeze_date = forms.DateField(widget=DATE, label=gettext_lazy("Freeze date"))
    applications_open = forms.DateField(widget=DATE, label=gettext_lazy("Applications open"))
    applications_close = forms.DateField(widget=DATE, label=gettext_lazy("Applications close by"))
    ballot_closes_by = forms.DateField(widget=DATE, label=gettext_lazy("Ballots close by"))
    trigger_closes = forms.DateField(
        widget=DATE,
        required=False,
        label=gettext_lazy("Trigger ballots close"),
        help_text=gettext_lazy("Needed only where the rule book has a trigger ballot."),
    )

    def clean_constituencies(self) -> list[CLP]:
        names = [n.strip() for n in self.cleaned_data["constituencies"].splitlines() if n.strip()]
        clps = CLP.objects.filter(constituency__name__in=names).select_related("constituency")
        found = {c.constituency.name.casefold(): c for c in clps}
        missing = [n for n in names if n.casefold() not in found]
        if missing:
            raise forms.ValidationError(
                gettext("no constituency party called: %(names)s") % {"names": ", ".join(missing)}
            )
        if not names:
            raise forms.ValidationError(gettext("name at least one constituency"))
        return [found[n.casefold()] for n in names]


class TimetableForm(forms.Form):
    trigger_closes = forms.DateField(
        widget=DATE, required=False, label=gettext_lazy("Trigger ballot closes")
    )
    applications_open = forms.DateField(widget=DATE, label=gettext_lazy("Applications open"))
    applications_close = forms.DateField(widget=DATE, label=gettext_lazy("Applications close"))
    longlist_by = forms.DateField(widget=DATE, label=gettext_lazy("Longlist by"))
    shortlist_by = forms.DateField(widget=DATE, label=gettext_lazy("Shortlist by"))
    nominations_close = forms.DateField(widget=DATE, label=gettext_lazy("Nominations close"))
    hustings_by = forms.DateField(widget=DATE, label=gettext_lazy("Last hustings"))
    ballot_opens = forms.DateField(widget=DATE, label=gettext_lazy("Ballot opens"))
    ballot_closes = forms.DateField(widget=DATE, label=gettext_lazy("Ballot closes"))


class BranchDecisionForm(forms.Form):
    branch = forms.IntegerField(widget=forms.HiddenInput)
    members_present = forms.IntegerField(min_value=0, label=gettext_lazy("Members present"))
    votes_for = forms.IntegerField(min_value=0, label=gettext_lazy("For an open selection"))
    votes_against = forms.IntegerField(min_value=0, label=gettext_lazy("Against"))
    meeting_date = forms.DateField(widget=DATE, required=False, label=gettext_lazy("Meeting date"))


class AffiliateDecisionForm(forms.Form):
    affiliate = forms.IntegerField(widget=forms.HiddenInput)
    vote = forms.ChoiceField(
        choices=TriggerDecision.AffiliateVote.choices, label=gettext_lazy("Decision")
    )


class ApplicationForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        required=False,
        label=gettext_lazy("Name on the ballot paper"),
        help_text=gettext_lazy("Leave blank to use your name as the party records it."),
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), label=gettext_lazy("Statement to members")
    )
    contact_email = forms.EmailField(label=gettext_lazy("Contact email (private)"))
    contact_phone = forms.CharField(
        max_length=30, required=False, label=gettext_lazy("Phone (private)")
    )
    trade_union = forms.CharField(
        max_length=120, required=False, label=gettext_lazy("Your trade union"),
        help_text=gettext_lazy("Candidates must hold a trade-union card."),
    )  # fmt: skip
    union_membership_number = forms.CharField(
        max_length=40, required=False, label=gettext_lazy("Union membership number (private)")
    )
    is_woman = forms.BooleanField(required=False, label=gettext_lazy("I am a woman (private)"))
    is_bame = forms.BooleanField(
        required=False, label=gettext_lazy("I am Black, Asian or minority ethnic (private)")
    )


class HustingsForm(forms.Form):
    starts_at = forms.DateTimeField(widget=DATETIME, label=gettext_lazy("Starts at"))
    venue = forms.CharField(max_length=200, label=gettext_lazy("Venue"))
    details = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), required=False, label=gettext_lazy("Details")
    )


class BallotForm(forms.Form):
    opens_at = forms.DateTimeField(widget=DATETIME, label=gettext_lazy("Ballot opens"))
    closes_at = forms.DateTimeField(widget=DATETIME, label=gettext_lazy("Ballot closes"))


class NominationForm(forms.Form):
    unit = forms.CharField(widget=forms.HiddenInput)  # "b<id>" or "a<id>"
    application = forms.IntegerField(label=gettext_lazy("Nominate"))

    def unit_kind_id(self) -> tuple[str, int]:
        raw: Any = self.cleaned_data["unit"]
        kind, number = str(raw)[:1], str(raw)[1:]
        if kind not in ("b", "a") or not number.isdigit():
            raise forms.ValidationError(gettext("unknown branch or affiliate"))
        return kind, int(number)
