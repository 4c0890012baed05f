"""Forms for campaign pages. Field limits give a clear message (never a truncation);
the services check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext, gettext_lazy, gettext_noop
from django.utils.translation import gettext_lazy as _

from rankandfile.campaigns import permissions
from rankandfile.campaigns.models import (
    DEMAND_MAX,
    NAME_MAX,
    STATEMENT_MAX,
    STORY_MAX,
    TITLE_MAX,
    TOWN_MAX,
    CampaignEvent,
    PartyEvent,
    Pledge,
    RecallPetition,
    Volunteer,
)
from rankandfile.campaigns.services import petition
from rankandfile.campaigns.validation import Invalid, clean_text, normalise_email
from rankandfile.membership.models import CLP, MP, Constituency

HONEYPOT = "website"


class ErrorSummaryMixin:
    """``error_summary``: (message, field id) pairs for the summary at the top of a form."""

    def error_summary(self) -> list[tuple[str, str]]:
        form: Any = self
        out: list[tuple[str, str]] = []
        for name, errors in form.errors.items():
            target = form[name].auto_id if name in form.fields else "main"
            out += [(str(e), target) for e in errors]
        return out


def _limit_message(label: str, limit: int) -> dict[str, Any]:
    """The refusal of a too-long field; ``label`` is an English word the caller marks with
    gettext_noop, translated here with the sentence."""
    return {
        "max_length": format_lazy(
            _("Your {label} is too long: at most {limit} characters."), label=_(label), limit=limit
        )
    }


class SignForm(ErrorSummaryMixin, forms.Form):
    first_name = forms.CharField(
        label=_("First name"),
        max_length=NAME_MAX,
        error_messages={
            "required": _("Enter your first name."),
            "max_length": format_lazy(
                _("Your first name is too long: at most {limit} characters."), limit=NAME_MAX
            ),
        },
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label=_("Last name"),
        max_length=NAME_MAX,
        error_messages={
            "required": _("Enter your last name."),
            "max_length": format_lazy(
                _("Your last name is too long: at most {limit} characters."), limit=NAME_MAX
            ),
        },
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.CharField(
        label=_("Email address"),
        max_length=254,
        error_messages={
            "required": _("Enter your email address."),
            "max_length": _("That email address is too long (at most 254 characters)."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
        help_text=_("We email you a link to confirm your signature."),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=10,
        error_messages={
            "required": _("Enter your postcode."),
            "max_length": _("Enter a UK postcode, like SW16 1AA."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "size": 9}),
    )
    town = forms.CharField(
        label=_("Town or area (optional)"),
        max_length=TOWN_MAX,
        required=False,
        error_messages={
            "max_length": format_lazy(
                _("Your town is too long: at most {limit} characters."), limit=TOWN_MAX
            )
        },
        widget=forms.TextInput(attrs={"autocomplete": "address-level2"}),
    )
    lives_in_constituency = forms.BooleanField(
        label=_("I live in this constituency"), required=False
    )
    show_publicly = forms.BooleanField(
        label=_("Show my first name and town among recent supporters"), required=False
    )
    consent = forms.BooleanField(
        label=_("I agree to the use of my data described above"), required=False
    )
    # Honeypot: hidden from people (CSS and aria-hidden), filled in by naive bots.
    website = forms.CharField(label=_("Leave this empty"), required=False, max_length=200)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        raw = petition.SignatureInput(
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
            email=data.get("email", ""),
            postcode=data.get("postcode", ""),
            town=data.get("town", ""),
            lives_in_constituency=bool(data.get("lives_in_constituency")),
            consent=bool(data.get("consent")),
            show_publicly=bool(data.get("show_publicly")),
        )
        cleaned, errors = petition.check_signature_input(raw)
        for name, message in errors.items():
            # The service's messages are English; those in _SIGNATURE_MESSAGES are shown
            # in the reader's language.
            self.add_error(name, gettext(message))
        data["signature"] = cleaned
        return data

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())

    def signature(self) -> petition.SignatureInput | None:
        """The checked signature, or ``None`` when the form has errors."""
        return self.cleaned_data["signature"] if self.is_valid() else None


# The messages of petition.check_signature_input and campaigns.validation, for makemessages.
_SIGNATURE_MESSAGES = (
    gettext_noop("Enter your first name."),
    gettext_noop("Enter your name."),
    gettext_noop("Enter your last name."),
    gettext_noop("Enter your postcode."),
    gettext_noop("Enter a UK postcode, like SW16 1AA."),
    gettext_noop("Enter your email address."),
    gettext_noop("That email address is too long (at most 254 characters)."),
    gettext_noop("Enter an email address like name@example.org."),
    gettext_noop("Tick the box to agree to the use of your data, or we cannot count you."),
    gettext_noop(
        "This petition is for people who live in the constituency: tick the box if you do."
    ),
)


class CampaignPrefillForm(forms.Form):
    """``?clp=<id>&mp=<id>`` on the create page (a link from an MP's accountability page):
    what to preselect. Values outside the officer's choices are simply not selected."""

    clp = forms.IntegerField(required=False, min_value=1)
    mp = forms.IntegerField(required=False, min_value=1)

    def initial_values(self) -> dict[str, int]:
        if not self.is_valid():
            return {}
        return {k: v for k, v in self.cleaned_data.items() if v}


class CampaignForm(ErrorSummaryMixin, forms.Form):
    clp = forms.ModelChoiceField(
        queryset=CLP.objects.none(), label=gettext_lazy("Constituency party")
    )
    title = forms.CharField(
        max_length=TITLE_MAX, error_messages=_limit_message(gettext_noop("title"), TITLE_MAX)
    )
    demand = forms.CharField(
        max_length=DEMAND_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("One sentence: what you ask for."),
        error_messages=_limit_message(gettext_noop("demand"), DEMAND_MAX),
    )
    story = forms.CharField(
        required=False,
        max_length=STORY_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages=_limit_message(gettext_noop("story"), STORY_MAX),
    )
    mp = forms.ModelChoiceField(
        queryset=MP.objects.none(),
        required=False,
        label=gettext_lazy("MP"),
        help_text=gettext_lazy("Leave the event blank to take it from the Accountability records."),
    )
    event_kind = forms.ChoiceField(
        choices=PartyEvent.choices, required=False, label=gettext_lazy("What the MP did")
    )
    event_date = forms.DateField(
        required=False, label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    event_note = forms.CharField(
        required=False, max_length=300, label=gettext_lazy("Note on the event")
    )
    target = forms.IntegerField(
        required=False,
        min_value=1,
        label=gettext_lazy("Target (signatures)"),
        help_text=gettext_lazy("Blank: 10% of the constituency's electorate."),
    )
    data_use = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=gettext_lazy("How signers' data will be used"),
        help_text=gettext_lazy("Shown beside the consent box. Blank: the standard wording."),
    )
    retention_until = forms.DateField(
        required=False,
        label=gettext_lazy("Delete signers' data after"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=gettext_lazy("Blank: a year from today."),
    )

    def __init__(self, user: Any, *args: Any, campaign: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        clps = permissions.campaign_clps(user)
        self.fields["clp"].queryset = clps  # type: ignore[attr-defined]
        self.fields["mp"].queryset = MP.objects.filter(  # type: ignore[attr-defined]
            constituency__clp__in=clps
        ).order_by("name")
        if campaign is not None:
            del self.fields["clp"]
            self.fields["mp"].queryset = MP.objects.filter(  # type: ignore[attr-defined]
                constituency=campaign.constituency
            )
            self.fields["retention_until"].required = True


class HandInForm(forms.Form):
    handed_in_to = forms.CharField(max_length=200, label=gettext_lazy("Handed in to"))


class EventForm(ErrorSummaryMixin, forms.Form):
    kind = forms.ChoiceField(choices=CampaignEvent.Kind.choices)
    title = forms.CharField(
        max_length=TITLE_MAX, error_messages=_limit_message(gettext_noop("title"), TITLE_MAX)
    )
    starts_at = forms.DateTimeField(
        label=gettext_lazy("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=gettext_lazy("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    location = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=STORY_MAX, widget=forms.Textarea(attrs={"rows": 4})
    )
    capacity = forms.IntegerField(
        required=False, min_value=1, help_text=gettext_lazy("Blank: no limit.")
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_at"), data.get("ends_at")
        if starts and ends and ends <= starts:
            self.add_error("ends_at", gettext("The event must end after it starts."))
        if starts and starts < timezone.now():
            self.add_error("starts_at", gettext("The event cannot start in the past."))
        return data


class RsvpForm(ErrorSummaryMixin, forms.Form):
    @property
    def is_bot(self) -> bool:
        """The honeypot is filled in (as :attr:`SignForm.is_bot`)."""
        return bool(self.data.get(HONEYPOT, "").strip())

    name = forms.CharField(
        max_length=NAME_MAX,
        error_messages={
            "required": _("Enter your name."),
            **_limit_message(gettext_noop("name"), NAME_MAX),
        },
    )
    email = forms.CharField(
        max_length=254,
        label=_("Email address"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    website = forms.CharField(label=_("Leave this empty"), required=False, max_length=200)

    def clean_name(self) -> str:
        try:
            return clean_text(
                self.cleaned_data["name"], label=gettext_noop("name"), max_length=NAME_MAX
            )
        except Invalid as exc:
            raise forms.ValidationError(gettext(str(exc))) from exc

    def clean_email(self) -> str:
        try:
            return normalise_email(self.cleaned_data["email"])
        except Invalid as exc:
            raise forms.ValidationError(gettext(str(exc))) from exc


class VolunteerWithdrawForm(forms.Form):
    """The "Stop volunteering" button of the volunteer form."""

    withdraw = forms.BooleanField(required=False)

    def wanted(self) -> bool:
        return bool(self.is_valid() and self.cleaned_data["withdraw"])


class PledgeDecisionForm(forms.Form):
    """An officer's verdict on a submitted pledge (the two buttons of the register)."""

    decision = forms.ChoiceField(
        choices=[("accept", "Verify"), ("reject", "Reject")],
        error_messages={
            "required": _("Choose Verify or Reject."),
            "invalid_choice": _("Choose Verify or Reject."),
        },
    )

    @property
    def accept(self) -> bool:
        return bool(self.cleaned_data["decision"] == "accept")


class PledgeFilterForm(forms.Form):
    """The register's constituency filter (``?constituency=<id>``); an unknown id shows
    every constituency's pledges."""

    constituency = forms.ModelChoiceField(queryset=Constituency.objects.all(), required=False)

    def selected(self) -> Constituency | None:
        return self.cleaned_data["constituency"] if self.is_valid() else None


class VolunteerForm(forms.Form):
    activities = forms.MultipleChoiceField(
        choices=Volunteer.Activity.choices,
        widget=forms.CheckboxSelectMultiple,
        label=gettext_lazy("How I can help"),
        error_messages={"required": "Choose at least one way to help."},
    )
    availability = forms.CharField(
        required=False, max_length=300, label=gettext_lazy("When I'm free (optional)")
    )


class PledgeForm(ErrorSummaryMixin, forms.Form):
    constituency = forms.ModelChoiceField(queryset=Constituency.objects.none())
    name = forms.CharField(max_length=200)
    role = forms.ChoiceField(choices=Pledge.Role.choices)
    statement = forms.CharField(
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=_limit_message("statement", STATEMENT_MAX),
    )
    pledged_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Date of the pledge")
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = permissions.recordable_constituencies(user)  # type: ignore[attr-defined]


class PledgeSubmitForm(ErrorSummaryMixin, forms.Form):
    """A candidate's or sitting MP's own pledge."""

    constituency = forms.ModelChoiceField(
        queryset=Constituency.objects.order_by("name"), label=gettext_lazy("Constituency")
    )
    role = forms.ChoiceField(choices=Pledge.Role.choices, label=gettext_lazy("I am"))
    name = forms.CharField(
        max_length=200,
        required=False,
        label=gettext_lazy("Name as it should appear (optional)"),
        help_text=gettext_lazy("Blank: your name on your membership record."),
    )
    statement = forms.CharField(
        max_length=STATEMENT_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        label=gettext_lazy("My pledge"),
        error_messages=_limit_message("statement", STATEMENT_MAX),
    )


class PledgeStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Pledge.Status.choices)
    left_party_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=gettext_lazy("Left the party on"),
    )
    event_kind = forms.ChoiceField(
        choices=PartyEvent.choices, required=False, label=gettext_lazy("What they did")
    )
    note = forms.CharField(required=False, max_length=500)


class RecallForm(ErrorSummaryMixin, forms.Form):
    constituency = forms.ModelChoiceField(queryset=Constituency.objects.none())
    mp_name = forms.CharField(max_length=200, label=gettext_lazy("MP"))
    ground = forms.ChoiceField(
        choices=RecallPetition.Ground.choices,
        help_text=gettext_lazy("Recall of MPs Act 2015, section 1."),
    )
    ground_detail = forms.CharField(required=False, max_length=500, label=gettext_lazy("Details"))
    opens_on = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}), label=gettext_lazy("Opens on")
    )
    closes_on = forms.DateField(
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        label=gettext_lazy("Closes on"),
        help_text=(
            gettext_lazy(
                "Blank: six weeks after opening (s.9). Enter the "
                "petition officer's date if it differs."
            )
        ),
    )
    signing_places = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One per line; at most ten (s.7)."),
    )
    electorate_at_close = forms.IntegerField(
        required=False, min_value=1, label=gettext_lazy("Electorate on the closing day")
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["constituency"].queryset = permissions.recordable_constituencies(user)  # type: ignore[attr-defined]

    def places(self) -> list[str]:
        return [
            p.strip() for p in self.cleaned_data.get("signing_places", "").splitlines() if p.strip()
        ]


class RecallCountForm(forms.Form):
    published_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    signatures = forms.IntegerField(min_value=0)
    electorate = forms.IntegerField(
        required=False,
        min_value=1,
        help_text=gettext_lazy("The register size stated with the count, if any."),
    )
    is_final = forms.BooleanField(
        required=False, label=gettext_lazy("This is the final count (after the close)")
    )
    source = forms.CharField(
        required=False, max_length=300, help_text=gettext_lazy("Where it was published (a link).")
    )
