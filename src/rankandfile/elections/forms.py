"""Forms for election pages (parsing and field errors only; the rules live in services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext, gettext_lazy

from rankandfile.elections.models import Candidate, ContestKind, Office, Supporter
from rankandfile.membership.models import CLP, Affiliate

DATE = forms.DateInput(attrs={"type": "date"})
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _preselect_only(form: forms.Form, name: str, choices: QuerySet[Any]) -> None:
    """An officer of a single unit finds it already chosen."""
    if not form.is_bound:
        only = list(choices[:2])
        if len(only) == 1:
            form.fields[name].initial = only[0].pk


class ContestForm(forms.Form):
    title = forms.CharField(max_length=200, label=gettext_lazy("Title"))
    office = forms.ChoiceField(choices=Office.choices, label=gettext_lazy("Office"))
    kind = forms.ChoiceField(
        choices=[
            (ContestKind.VACANCY, gettext_lazy("Vacancy")),
            (ContestKind.CHALLENGE, gettext_lazy("Challenge")),
        ],
        label=gettext_lazy("Vacancy or challenge"),
        help_text=gettext_lazy("Ignored for the NEC, which is a periodic election."),
    )
    mp_nominations_close = forms.DateTimeField(
        widget=DATETIME, label=gettext_lazy("MPs' nominations close")
    )
    nominations_close = forms.DateTimeField(
        widget=DATETIME, label=gettext_lazy("CLP and affiliate nominations close")
    )
    field_meps = forms.IntegerField(min_value=0, initial=0, label=gettext_lazy("MEPs in the EPLP"))
    incumbent_name = forms.CharField(
        max_length=200, required=False, label=gettext_lazy("Incumbent (challenge)")
    )
    incumbent_is_woman = forms.BooleanField(
        required=False, label=gettext_lazy("The incumbent is a woman")
    )


class CandidateForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "newcand_%s")
        super().__init__(*args, **kwargs)

    name = forms.CharField(max_length=200, label=gettext_lazy("Name on the ballot"))
    is_woman = forms.BooleanField(
        required=False, label=gettext_lazy("Woman (for the NEC's gender minimum)")
    )
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), required=False, label=gettext_lazy("Statement")
    )


class StatementForm(forms.Form):
    statement = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}), max_length=5000, label=gettext_lazy("Statement")
    )


class _CandidateChoice(forms.Form):
    #: Several of these forms share a page: each gets its own element ids.
    id_prefix = "cand"
    candidate = forms.ModelChoiceField(
        queryset=Candidate.objects.none(), label=gettext_lazy("Candidate")
    )

    def __init__(self, *args: Any, candidates: QuerySet[Candidate], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)
        self.fields["candidate"].queryset = candidates  # type: ignore[attr-defined]


class MPNominationForm(_CandidateChoice):
    id_prefix = "mp"


class ClpMeetingForm(_CandidateChoice):
    id_prefix = "clp"
    clp = forms.ModelChoiceField(
        queryset=CLP.objects.none(), label=gettext_lazy("Constituency party")
    )
    meeting_on = forms.DateField(widget=DATE, label=gettext_lazy("Date of the nominating meeting"))
    votes_for = forms.IntegerField(min_value=1, label=gettext_lazy("Votes for the nominee"))
    votes_cast = forms.IntegerField(min_value=1, label=gettext_lazy("Votes cast"))

    def __init__(self, *args: Any, clps: QuerySet[CLP], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clp"].queryset = clps  # type: ignore[attr-defined]
        _preselect_only(self, "clp", clps)
        self.order_fields(["clp", "candidate", "meeting_on", "votes_for", "votes_cast"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        vf, vc = data.get("votes_for"), data.get("votes_cast")
        if vf is not None and vc is not None and vf > vc:
            self.add_error(
                "votes_for",
                gettext("%(votes_for)s votes for is more than the %(votes_cast)s votes cast")
                % {"votes_for": vf, "votes_cast": vc},
            )
        return data


class ClpBallotForm(forms.Form):
    clp = forms.ModelChoiceField(
        queryset=CLP.objects.none(), label=gettext_lazy("Constituency party")
    )
    closes_at = forms.DateTimeField(
        widget=DATETIME, label=gettext_lazy("The nomination ballot closes")
    )

    def __init__(self, *args: Any, clps: QuerySet[CLP], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "clpballot_%s")
        super().__init__(*args, **kwargs)
        self.fields["clp"].queryset = clps  # type: ignore[attr-defined]
        _preselect_only(self, "clp", clps)


class AffiliateNominationForm(_CandidateChoice):
    id_prefix = "aff"
    affiliate = forms.ModelChoiceField(
        queryset=Affiliate.objects.none(), label=gettext_lazy("Affiliate")
    )

    def __init__(self, *args: Any, affiliates: QuerySet[Affiliate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["affiliate"].queryset = affiliates  # type: ignore[attr-defined]
        _preselect_only(self, "affiliate", affiliates)
        self.order_fields(["affiliate", "candidate"])


class BallotOpenForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "ballot_%s")
        super().__init__(*args, **kwargs)

    closes_at = forms.DateTimeField(
        widget=DATETIME, label=gettext_lazy("The members' ballot closes")
    )


class HustingsForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "hustings_%s")
        super().__init__(*args, **kwargs)

    starts_at = forms.DateTimeField(widget=DATETIME, label=gettext_lazy("Starts"))
    place = forms.CharField(max_length=200, label=gettext_lazy("Place (or online link)"))
    note = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label=gettext_lazy("Note")
    )


class SupporterForm(forms.Form):
    """A supporter registered by a national officer (decision 0025). The rules — which
    kinds the rule book admits, the fee, the window, members refused — are the service's."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "supporter_%s")
        super().__init__(*args, **kwargs)
        self.fields["affiliate"].queryset = Affiliate.objects.order_by("name")  # type: ignore[attr-defined]

    kind = forms.ChoiceField(
        choices=Supporter.Kind.choices, label=gettext_lazy("Kind of supporter")
    )
    name = forms.CharField(max_length=200, label=gettext_lazy("Name"))
    email = forms.EmailField(label=gettext_lazy("Email address"))
    affiliate = forms.ModelChoiceField(
        queryset=Affiliate.objects.none(),
        required=False,
        label=gettext_lazy("Affiliate (affiliated supporters: whose political levy they pay)"),
    )
    fee_paid = forms.DecimalField(
        required=False,
        min_value=0,
        max_digits=7,
        decimal_places=2,
        label=gettext_lazy("Fee paid, £ (registered supporters)"),
    )
    paid_on = forms.DateField(
        required=False,
        widget=DATE,
        label=gettext_lazy("Date the fee was paid (registered supporters)"),
    )

    def registration(self) -> dict[str, Any]:
        """The cleaned form as ``services.supporter_register``'s arguments."""
        data = self.cleaned_data
        fee = data.get("fee_paid")
        return {
            "kind": data["kind"],
            "name": data["name"],
            "email": data["email"],
            "affiliate": data.get("affiliate"),
            "fee_pence_paid": int((fee * 100).to_integral_value()) if fee is not None else 0,
            "paid_on": data.get("paid_on"),
        }
