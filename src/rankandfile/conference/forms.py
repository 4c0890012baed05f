"""Forms for conference pages (validation of shape only; the rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms

from rankandfile.conference.models import AgendaItem, Delegate, FloorSession, Submission, Topic


class ConferenceForm(forms.Form):
    year = forms.IntegerField(min_value=1900, max_value=2200)
    title = forms.CharField(max_length=200)
    venue = forms.CharField(max_length=200, required=False)
    starts_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    motions_deadline = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    rule_changes_deadline = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    amendments_deadline = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    delegates_deadline = forms.DateTimeField(
        label="Delegate registration deadline",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    census_date = forms.DateField(
        help_text="Membership on this day decides delegate entitlements and card-vote weights.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class SubmissionForm(forms.Form):
    organisation = forms.ChoiceField(label="Submitted by")
    kind = forms.ChoiceField(choices=Submission.Kind.choices, widget=forms.RadioSelect)
    title = forms.CharField(max_length=200)
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text="For a rule change: the full new text of the clause.",
    )
    clause_number = forms.CharField(
        required=False, max_length=30, help_text='Rule changes only, e.g. "3.II.2".'
    )
    meeting_date = forms.DateField(
        label="Date of the meeting that agreed it", widget=forms.DateInput(attrs={"type": "date"})
    )
    meeting_for = forms.IntegerField(label="Votes for at the meeting", min_value=0)
    meeting_against = forms.IntegerField(label="Votes against at the meeting", min_value=0)
    meeting_abstain = forms.IntegerField(
        label="Abstentions at the meeting", min_value=0, initial=0, required=False
    )

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = organisations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Submission.Kind.RULE_CHANGE and not data.get("clause_number"):
            self.add_error("clause_number", "Name the clause the rule change amends.")
        return data


class RulingForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("in_order", "In order"), ("out_of_order", "Out of order")],
        widget=forms.RadioSelect,
    )
    topic = forms.ModelChoiceField(queryset=Topic.objects.none(), required=False)
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when out of order; the submitter sees it.",
    )

    def __init__(self, *args: Any, topics: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics  # type: ignore[attr-defined]


class AmendmentForm(forms.Form):
    organisation = forms.ChoiceField(label="Moved by")
    target = forms.ChoiceField(label="Amends")
    text = forms.CharField(
        label="The text as amended",
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="Start from the item's text and delete or insert words; the page shows "
        "your changes as a word diff.",
    )
    note = forms.CharField(
        label="Explanation (optional, not part of the text)",
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        organisations: list[tuple[str, str]],
        targets: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = organisations  # type: ignore[attr-defined]
        self.fields["target"].choices = targets  # type: ignore[attr-defined]


class AmendmentRulingForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("in_order", "In order"), ("out_of_order", "Out of order")],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text="Required when out of order; the mover sees it.",
    )


class TopicForm(forms.Form):
    name = forms.CharField(max_length=120, label="New topic")


class DelegateForm(forms.Form):
    membership_number = forms.CharField(max_length=20)
    kind = forms.ChoiceField(choices=Delegate.Kind.choices)
    meeting_date = forms.DateField(
        label="Date of the meeting that elected them",
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CompositeForm(forms.Form):
    title = forms.CharField(max_length=200)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 14}))


class SessionForm(forms.Form):
    title = forms.CharField(max_length=120)
    starts_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))


class ItemForm(forms.Form):
    session: forms.ModelChoiceField[FloorSession] = forms.ModelChoiceField(
        queryset=FloorSession.objects.none()
    )
    business = forms.ChoiceField(label="Motion, composite or rule change")
    method = forms.ChoiceField(choices=AgendaItem.Method.choices)

    def __init__(
        self, *args: Any, sessions: Any, business: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions  # type: ignore[attr-defined]
        self.fields["business"].choices = business  # type: ignore[attr-defined]
