"""Forms for selection pages (parsing and field errors only; rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms

from rankandfile.membership.models import CLP
from rankandfile.selections.models import TriggerDecision

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class RoundForm(forms.Form):
    name = forms.CharField(max_length=200, label="Name of the round")
    constituencies = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Constituency parties",
        help_text="One constituency per line, as named in the party structure.",
    )
    freeze_date = forms.DateField(widget=DATE, label="Freeze date")
    applications_open = forms.DateField(widget=DATE, label="Applications open")
    applications_close = forms.DateField(widget=DATE, label="Applications close by")
    ballot_closes_by = forms.DateField(widget=DATE, label="Ballots close by")
    trigger_closes = forms.DateField(
        widget=DATE,
        required=False,
        label="Trigger ballots close",
        help_text="Needed only where the rule book has a trigger ballot.",
    )

    def clean_constituencies(self) -> list[CLP]:
        names = [n.strip() for n in self.cleaned_data["constituencies"].splitlines() if n.strip()]
        clps = CLP.objects.filter(constituency__name__in=names).select_related("constituency")
        found = {c.constituency.name.casefold(): c for c in clps}
        missing = [n for n in names if n.casefold() not in found]
        if missing:
            raise forms.ValidationError(f"no constituency party called: {', '.join(missing)}")
        if not names:
            raise forms.ValidationError("name at least one constituency")
        return [found[n.casefold()] for n in names]


class TimetableForm(forms.Form):
    trigger_closes = forms.DateField(widget=DATE, required=False, label="Trigger ballot closes")
    applications_open = forms.DateField(widget=DATE, label="Applications open")
    applications_close = forms.DateField(widget=DATE, label="Applications close")
    longlist_by = forms.DateField(widget=DATE, label="Longlist by")
    shortlist_by = forms.DateField(widget=DATE, label="Shortlist by")
    nominations_close = forms.DateField(widget=DATE, label="Nominations close")
    hustings_by = forms.DateField(widget=DATE, label="Last hustings")
    ballot_opens = forms.DateField(widget=DATE, label="Ballot opens")
    ballot_closes = forms.DateField(widget=DATE, label="Ballot closes")


class BranchDecisionForm(forms.Form):
    branch = forms.IntegerField(widget=forms.HiddenInput)
    members_present = forms.IntegerField(min_value=0, label="Members present")
    votes_for = forms.IntegerField(min_value=0, label="For an open selection")
    votes_against = forms.IntegerField(min_value=0, label="Against")
    meeting_date = forms.DateField(widget=DATE, required=False, label="Meeting date")


class AffiliateDecisionForm(forms.Form):
    affiliate = forms.IntegerField(widget=forms.HiddenInput)
    vote = forms.ChoiceField(choices=TriggerDecision.AffiliateVote.choices, label="Decision")


class ApplicationForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        required=False,
        label="Name on the ballot paper",
        help_text="Leave blank to use your name as the party records it.",
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), label="Statement to members"
    )
    contact_email = forms.EmailField(label="Contact email (private)")
    contact_phone = forms.CharField(max_length=30, required=False, label="Phone (private)")
    trade_union = forms.CharField(
        max_length=120, required=False, label="Your trade union",
        help_text="Candidates must hold a trade-union card.",
    )  # fmt: skip
    union_membership_number = forms.CharField(
        max_length=40, required=False, label="Union membership number (private)"
    )
    is_woman = forms.BooleanField(required=False, label="I am a woman (private)")
    is_bame = forms.BooleanField(
        required=False, label="I am Black, Asian or minority ethnic (private)"
    )


class HustingsForm(forms.Form):
    starts_at = forms.DateTimeField(widget=DATETIME, label="Starts at")
    venue = forms.CharField(max_length=200, label="Venue")
    details = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)


class BallotForm(forms.Form):
    opens_at = forms.DateTimeField(widget=DATETIME, label="Ballot opens")
    closes_at = forms.DateTimeField(widget=DATETIME, label="Ballot closes")


class NominationForm(forms.Form):
    unit = forms.CharField(widget=forms.HiddenInput)  # "b<id>" or "a<id>"
    application = forms.IntegerField(label="Nominate")

    def unit_kind_id(self) -> tuple[str, int]:
        raw: Any = self.cleaned_data["unit"]
        kind, number = str(raw)[:1], str(raw)[1:]
        if kind not in ("b", "a") or not number.isdigit():
            raise forms.ValidationError("unknown branch or affiliate")
        return kind, int(number)
