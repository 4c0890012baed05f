"""Forms for conference pages (validation of shape only; the rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rankandfile.conference import rulechanges
from rankandfile.conference.models import (
    AgendaItem,
    ConferenceDocument,
    Delegate,
    FloorSession,
    Submission,
    Topic,
)
from rankandfile.membership.models import Affiliate


class ConferenceForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=1900, max_value=2200)
    title = forms.CharField(label=_("Title"), max_length=200)
    venue = forms.CharField(label=_("Venue"), max_length=200, required=False)
    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    motions_deadline = forms.DateTimeField(
        label=_("Motions deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    rule_changes_deadline = forms.DateTimeField(
        label=_("Rule changes deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    amendments_deadline = forms.DateTimeField(
        label=_("Amendments deadline"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    delegates_deadline = forms.DateTimeField(
        label=_("Delegate registration deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    census_date = forms.DateField(
        label=_("Census date"),
        help_text=_("Membership on this day decides delegate entitlements and card-vote weights."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class SubmissionForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Submitted by"))
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Submission.Kind.MOTION, _("Motion")),
            (Submission.Kind.RULE_CHANGE, _("Rule change")),
        ],
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("For a rule change: the full new text of the clause."),
    )
    clause_number = forms.CharField(
        label=_("Clause number"),
        required=False,
        max_length=30,
        help_text=_('Rule changes only, e.g. "3.II.2".'),
    )
    meeting_date = forms.DateField(
        label=_("Date of the meeting that agreed it"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    meeting_for = forms.IntegerField(label=_("Votes for at the meeting"), min_value=0)
    meeting_against = forms.IntegerField(label=_("Votes against at the meeting"), min_value=0)
    meeting_abstain = forms.IntegerField(
        label=_("Abstentions at the meeting"), min_value=0, initial=0, required=False
    )

    def __init__(self, *args: Any, organisations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = organisations  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Submission.Kind.RULE_CHANGE and not data.get("clause_number"):
            self.add_error("clause_number", _("Name the clause the rule change amends."))
        return data


class RulingForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("in_order", _("In order")), ("out_of_order", _("Out of order"))],
        widget=forms.RadioSelect,
    )
    topic = forms.ModelChoiceField(label=_("Topic"), queryset=Topic.objects.none(), required=False)
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when out of order; the submitter sees it."),
    )

    def __init__(self, *args: Any, topics: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].queryset = topics  # type: ignore[attr-defined]


class AmendmentForm(forms.Form):
    organisation = forms.ChoiceField(label=_("Moved by"))
    target = forms.ChoiceField(label=_("Amends"))
    text = forms.CharField(
        label=_("The text as amended"),
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text=_(
            "Start from the item's text and delete or insert words; the page shows "
            "your changes as a word diff."
        ),
    )
    note = forms.CharField(
        label=_("Explanation (optional, not part of the text)"),
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


class AmendmentTargetForm(forms.Form):
    """The item being amended (``?target=s:<id>`` / ``c:<id>``), before the full form."""

    target = forms.CharField(required=False, max_length=40)
    preview = forms.BooleanField(required=False)  # "Show my changes": the diff, no submission


class AmendmentRulingForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("in_order", _("In order")), ("out_of_order", _("Out of order"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when out of order; the mover sees it."),
    )


class TopicForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("New topic"))


class DelegateForm(forms.Form):
    membership_number = forms.CharField(label=_("Membership number"), max_length=20)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (Delegate.Kind.GENERAL, _("Delegate")),
            (Delegate.Kind.WOMAN, _("Women's delegate")),
            (Delegate.Kind.YOUTH, _("Youth delegate")),
        ],
    )
    meeting_date = forms.DateField(
        label=_("Date of the meeting that elected them"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CompositeForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 14}))


class SessionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    starts_at = forms.DateTimeField(
        label=_("Starts at"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )


class ItemForm(forms.Form):
    session: forms.ModelChoiceField[FloorSession] = forms.ModelChoiceField(
        label=_("Session"), queryset=FloorSession.objects.none()
    )
    business = forms.ChoiceField(label=_("Motion, composite or rule change"))
    method = forms.ChoiceField(
        label=_("Method"),
        choices=[
            (AgendaItem.Method.HANDS, _("Show of hands")),
            (AgendaItem.Method.CARD, _("Card vote")),
        ],
    )

    def __init__(
        self, *args: Any, sessions: Any, business: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["session"].queryset = sessions  # type: ignore[attr-defined]
        self.fields["business"].choices = business  # type: ignore[attr-defined]


class WordCountForm(forms.Form):
    """The live word count's input (htmx, GET or POST)."""

    title = forms.CharField(required=False, strip=False)
    text = forms.CharField(required=False, strip=False)


class PageActionForm(forms.Form):
    """Which of a page's forms was sent: each form on the page carries a hidden
    ``action`` naming it, and the view offers only its own actions as choices."""

    action = forms.ChoiceField(
        choices=[],
        error_messages={
            "required": _("That form is not one of this page's; reload the page and try again."),
            "invalid_choice": _(
                "That form is not one of this page's; reload the page and try again."
            ),
        },
    )

    def __init__(self, *args: Any, actions: tuple[str, ...], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [(a, a) for a in actions]  # type: ignore[attr-defined]


class NextForm(forms.Form):
    """Where to go after a POST: a path on this site only (anything else is ignored)."""

    next = forms.CharField(required=False, max_length=500)

    def clean_next(self) -> str:
        value: str = self.cleaned_data.get("next") or ""
        if not value.startswith("/") or value.startswith("//") or "\\" in value:
            return ""
        return value


class RuleBookPublishForm(forms.Form):
    effective_from = forms.DateField(
        label=_("Takes effect on"),
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": _("Give the date the new rule book takes effect.")},
    )


class ItemActionForm(NextForm):
    action = forms.ChoiceField(
        label=_("Action"), choices=[("open", _("Open the card vote")), ("close", _("Close"))]
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", _("The vote decides")), *AgendaItem.Outcome.choices[1:]],
        required=False,
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)


class CardForm(forms.Form):
    card = forms.IntegerField(min_value=1)
    choice = forms.ChoiceField(
        choices=[("for", _("For")), ("against", _("Against")), ("abstain", _("Abstain"))],
        error_messages={"invalid_choice": _("vote for, against or abstain")},
    )


class CompositeActionForm(forms.Form):
    action = forms.ChoiceField(choices=[("edit", _("Redraft")), ("sign", _("Agree the wording"))])


class CompositeSignForm(forms.Form):
    submission = forms.TypedChoiceField(
        coerce=int,
        error_messages={
            "required": _("choose the motion you agree for"),
            "invalid_choice": _("choose the motion you agree for"),
        },
    )

    def __init__(self, *args: Any, originals: list[Submission], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["submission"].choices = [  # type: ignore[attr-defined]
            (s.pk, s.reference) for s in originals
        ]


class ProvenanceForm(forms.Form):
    text = forms.CharField(required=False, strip=False)


class BallotDelegatesForm(forms.Form):
    ballot = forms.IntegerField(
        min_value=1, error_messages={"required": _("Choose a ballot of your CLP.")}
    )


class DelegationForm(forms.Form):
    affiliate = forms.ModelChoiceField(
        label=_("Affiliate"),
        queryset=Affiliate.objects.none(),
        error_messages={
            "required": _("Choose your affiliate."),
            "invalid_choice": _("Choose your affiliate."),
        },
    )
    size = forms.IntegerField(
        label=_("People in the delegation"),
        initial=1,
        error_messages={"invalid": _("a delegation has at least one delegate")},
    )

    def __init__(self, *args: Any, affiliates: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["affiliate"].queryset = affiliates  # type: ignore[attr-defined]


class PrioritiesActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[("open", _("Open")), ("close", _("Close and count")), ("cast", _("Vote"))],
        required=False,
    )


class PrioritiesVoteForm(forms.Form):
    unit = forms.ChoiceField(
        error_messages={
            "required": _("choose the delegation you vote for"),
            "invalid_choice": _("choose the delegation you vote for"),
        }
    )
    topics = forms.ModelMultipleChoiceField(
        queryset=Topic.objects.none(),
        required=False,
        error_messages={"invalid_choice": _("a topic chosen is not on this conference's agenda")},
    )

    def __init__(
        self, *args: Any, units: list[tuple[str, str]], topics: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = units  # type: ignore[attr-defined]
        self.fields["topics"].queryset = topics  # type: ignore[attr-defined]


class DelegateSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=100)


class VersionsForm(forms.Form):
    """``?v=`` one version; ``?a=&b=`` two versions to compare (programme, rule book)."""

    v = forms.IntegerField(required=False, min_value=1)
    a = forms.IntegerField(required=False, min_value=1)
    b = forms.IntegerField(required=False, min_value=1)


class RuleChangeParametersForm(forms.Form):
    """The CAC's typed parameter changes for a rule change: one field per parameter the
    amended clause states, starting from the value the rule change sets (or the value in
    force). Values are parsed and checked by the service (``rulechanges``)."""

    def __init__(
        self, *args: Any, clause_number: str, current: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name in rulechanges.clause_parameters(clause_number):
            meaning = rulechanges.LABELS.get(name, name)
            label = f"{meaning[:1].upper()}{meaning[1:]} ({name})"
            initial = rulechanges.as_input(name, current[name])
            kind = rulechanges.kind_of(name)
            field: forms.Field
            if kind == "bool":
                field = forms.ChoiceField(choices=[("yes", _("Yes")), ("no", _("No"))], label=label)
            elif kind == "choice":
                field = forms.ChoiceField(choices=rulechanges.choices_of(name), label=label)
            else:
                hint = {
                    "int": _("A whole number."),
                    "fraction": _("A fraction, e.g. 2/3."),
                    "shares": _("Each section's share, e.g. clp=1/2, affiliate=1/2."),
                }[kind]
                field = forms.CharField(label=label, max_length=200, help_text=hint)
            field.initial = initial
            self.fields[name] = field


class ConferenceDatesForm(forms.Form):
    """A conference's dates, changed by the CAC after set-up."""

    starts_on = forms.DateField(
        label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    ends_on = forms.DateField(
        label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    motions_deadline = forms.DateTimeField(
        label=_("Motions deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    rule_changes_deadline = forms.DateTimeField(
        label=_("Rule changes deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    amendments_deadline = forms.DateTimeField(
        label=_("Amendments deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    delegates_deadline = forms.DateTimeField(
        label=_("Delegate registration deadline"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    census_date = forms.DateField(
        label=_("Census date"),
        help_text=_("Membership on this day decides delegate entitlements and card-vote weights."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[
            (ConferenceDocument.Kind.NEC_STATEMENT, _("NEC statement")),
            (ConferenceDocument.Kind.POLICY_DOCUMENT, _("Policy document")),
        ],
        widget=forms.RadioSelect,
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(
        label=_("Text"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("The whole text CLPs and affiliates amend, as it will be put to the vote."),
    )


class SubmissionsFilterForm(forms.Form):
    """``?topic=<id>`` / ``rules`` / ``none`` and ``?page=`` on the submissions list."""

    topic = forms.CharField(required=False, max_length=20)
    page = forms.CharField(required=False, max_length=10)
