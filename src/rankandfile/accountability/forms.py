"""Forms for accountability pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from rankandfile.accountability.models import Division, PartyChange, PolicyDivision
from rankandfile.accountability.services import MIN_JUSTIFICATION
from rankandfile.conference.models import ProgrammeEntry


class PolicyForm(forms.Form):
    programme_entry = forms.ModelChoiceField(
        queryset=ProgrammeEntry.objects.current().filter(accountability_policy__isnull=True),
        required=False,
        label=gettext_lazy("Programme entry"),
        help_text=gettext_lazy("Leave empty for a free-standing policy."),
    )
    title = forms.CharField(max_length=200, required=False, label=gettext_lazy("Title"))
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)


class LinkForm(forms.Form):
    division = forms.ModelChoiceField(
        queryset=Division.objects.order_by("-date", "-division_id"), label=gettext_lazy("Division")
    )
    aye_supports = forms.TypedChoiceField(
        choices=[("1", "Voting Aye supports the policy"), ("0", "Voting No supports the policy")],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        label=gettext_lazy("Direction"),
    )
    strength = forms.ChoiceField(
        choices=PolicyDivision.Strength.choices,
        widget=forms.RadioSelect,
        label=gettext_lazy("Strength"),
    )
    justification = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        min_length=MIN_JUSTIFICATION,
        label=gettext_lazy("Justification (shown publicly)"),
        help_text=gettext_lazy("Why this division tests the policy, and why in this direction."),
    )


class MPSearchForm(forms.Form):
    q = forms.CharField(
        max_length=100,
        required=False,
        label=gettext_lazy("MP or constituency"),
        help_text=gettext_lazy(
            "A name or a constituency, or part of either (e.g. “Abbott”, “Hackney”)."
        ),
    )

    def query(self) -> str:
        return self.cleaned_data["q"].replace("\x00", "").strip() if self.is_valid() else ""


class RemoveLinkForm(forms.Form):
    reason = forms.CharField(max_length=300, label=gettext_lazy("Why remove this division?"))


class AlertsForm(forms.Form):
    enabled = forms.BooleanField(
        required=False, label=gettext_lazy("Email me when my MP votes against the party's policy")
    )


class PartyChangeForm(forms.Form):
    date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        label=gettext_lazy("Date (first day in the new party)"),
    )
    kind = forms.ChoiceField(choices=PartyChange.Kind.choices, label=gettext_lazy("What happened"))
    from_party = forms.CharField(max_length=100, label=gettext_lazy("Party before"))
    to_party = forms.CharField(max_length=100, label=gettext_lazy("Party after"))
    note = forms.CharField(
        max_length=300, required=False, label=gettext_lazy("Note (shown publicly)")
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def clean(self, data: object, initial: object = None) -> list[object]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)]


class ImportForm(forms.Form):
    uploads = MultipleFileField(
        label=gettext_lazy("Division files"),
        help_text=gettext_lazy(
            "Commons Votes CSV exports, Commons Votes API JSON, or the MNIS history CSV."
        ),
    )
    dry_run = forms.BooleanField(required=False, label=gettext_lazy("Check only: import nothing"))
