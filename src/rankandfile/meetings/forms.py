"""Forms for meetings, motions, messages and preferences. Each field says what is wrong in
words; the services check every rule again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy

from rankandfile.conference.models import Conference
from rankandfile.meetings import permissions, queries
from rankandfile.meetings.models import AgendaItem, Meeting, MessageTemplate, OfficerMessage
from rankandfile.membership.models import CLP, Branch

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def unit_choices(user: Any) -> list[tuple[str, str]]:
    """The units the user runs: ``c:<id>`` for a CLP, ``b:<id>`` for a branch."""
    out = [(f"c:{c.pk}", c.name) for c in permissions.managed_clps(user)]
    out += [
        (f"b:{b.pk}", f"{b.name} branch ({b.clp.name})") for b in permissions.managed_branches(user)
    ]
    return out


def parse_unit(user: Any, value: str) -> tuple[Branch | None, CLP | None]:
    kind, _, pk = value.partition(":")
    if kind == "c" and pk.isdigit():
        clp = permissions.managed_clps(user).filter(pk=int(pk)).first()
        if clp is not None:
            return None, clp
    if kind == "b" and pk.isdigit():
        branch = permissions.managed_branches(user).filter(pk=int(pk)).first()
        if branch is not None:
            return branch, None
    raise forms.ValidationError(gettext("Choose one of the units you run."))


class UnitForm(forms.Form):
    unit = forms.ChoiceField(label=gettext_lazy("Branch or constituency party"))

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        unit = self.fields["unit"]
        assert isinstance(unit, forms.ChoiceField)
        unit.choices = unit_choices(user)

    def clean_unit(self) -> tuple[Branch | None, CLP | None]:
        return parse_unit(self.user, self.cleaned_data["unit"])


class MeetingForm(UnitForm):
    kind = forms.ChoiceField(label=gettext_lazy("Kind of meeting"), choices=Meeting.Kind.choices)
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=gettext_lazy("Starts"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=gettext_lazy("Ends"), widget=DATETIME)
    location = forms.CharField(label=gettext_lazy("Place"), max_length=300)
    agenda = forms.CharField(
        label=gettext_lazy("Agenda"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One item per line. Approval of the last minutes and motions waiting for "
            "this meeting are added for you."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext("The meeting must end after it starts."))
        return data

    def agenda_lines(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("agenda", "").splitlines()]


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(label=gettext_lazy("New start"), widget=DATETIME)
    ends_at = forms.DateTimeField(label=gettext_lazy("New end"), widget=DATETIME)
    location = forms.CharField(label=gettext_lazy("Place"), max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext("The meeting must end after it starts."))
        return data


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason (for the record)"), max_length=300, required=False
    )
    confirm = forms.BooleanField(label=gettext_lazy("Cancel this meeting and tell the members"))


class ItemForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("New agenda item"), max_length=200)


class MotionForm(forms.Form):
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200)
    text = forms.CharField(label=gettext_lazy("Text"), widget=forms.Textarea(attrs={"rows": 8}))
    mover = forms.CharField(label=gettext_lazy("Moved by"), max_length=200, required=False)


class AmendmentForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("The motion as amended"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("The whole text as it would read if the amendment is carried."),
    )
    mover = forms.CharField(label=gettext_lazy("Moved by"), max_length=200, required=False)


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"), choices=[c for c in AgendaItem.Outcome.choices if c[0]]
    )
    votes_for = forms.IntegerField(label=gettext_lazy("For"), min_value=0, required=False)
    votes_against = forms.IntegerField(label=gettext_lazy("Against"), min_value=0, required=False)
    votes_abstain = forms.IntegerField(
        label=gettext_lazy("Abstaining"), min_value=0, required=False
    )
    decision = forms.CharField(
        label=gettext_lazy("Decision (for the minutes)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CheckInForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Membership number"), max_length=20)


class SelfCheckInForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code shown in the room"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


class SubmitForm(forms.Form):
    conference = forms.ModelChoiceField(
        label=gettext_lazy("Conference"), queryset=Conference.objects.none(), empty_label=None
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["conference"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Conference.objects.filter(
            dates__motions_deadline__gt=timezone.now()
        ).order_by("year")


class MessageForm(UnitForm):
    audience = forms.ChoiceField(
        label=gettext_lazy("Send to"), choices=OfficerMessage.Audience.choices
    )
    audience_branch = forms.ModelChoiceField(
        label=gettext_lazy("Branch"),
        queryset=Branch.objects.none(),
        required=False,
        help_text=gettext_lazy("For “the members of one branch”."),
    )
    ballot = forms.TypedChoiceField(
        label=gettext_lazy("Ballot"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=gettext_lazy("For “electors who have not voted”."),
    )
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=200)
    body = forms.CharField(
        label=gettext_lazy("Message"),
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=gettext_lazy("{first_name} and {last_name} are replaced by each member's name."),
    )
    save_as = forms.CharField(
        label=gettext_lazy("Save as a template named"), max_length=100, required=False
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        branches = self.fields["audience_branch"]
        assert isinstance(branches, forms.ModelChoiceField)
        branches.queryset = permissions.managed_branches(user)
        ballots: list[tuple[Any, str]] = [("", "—")]
        ballots += [(b.pk, b.title) for b in queries.open_ballots_for(user)]
        ballot = self.fields["ballot"]
        assert isinstance(ballot, forms.ChoiceField)
        ballot.choices = ballots

    def clean_subject(self) -> str:
        subject: str = self.cleaned_data["subject"]
        if "\n" in subject or "\r" in subject:
            raise forms.ValidationError(gettext("The subject is one line."))
        return subject


class TemplateChoiceForm(forms.Form):
    template = forms.ModelChoiceField(
        label=gettext_lazy("Start from a template"),
        queryset=MessageTemplate.objects.none(),
        required=False,
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branches = permissions.managed_branches(user).values("pk")
        clps = permissions.managed_clps(user).values("pk")
        field = self.fields["template"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = MessageTemplate.objects.filter(branch__in=branches) | (
            MessageTemplate.objects.filter(clp__in=clps)
        )


class PreferencesForm(forms.Form):
    meeting_notices = forms.BooleanField(
        label=gettext_lazy("Notices of my branch's and CLP's meetings (with a calendar file)"),
        required=False,
    )
    officer_messages = forms.BooleanField(
        label=gettext_lazy("Messages from my branch's and CLP's officers"), required=False
    )
