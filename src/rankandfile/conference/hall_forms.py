"""Forms of the live hall: a delegate's card and request to speak, the chair's console,
the CAC's paper and proxy cards."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from rankandfile.conference.models import AgendaItem, Card, CardRecord, SpeakerRequest
from rankandfile.conference.services.hall import SPEAKING_SECONDS_MAX, SPEAKING_SECONDS_MIN

CHOICES = [
    (Card.Choice.FOR, _("For")),
    (Card.Choice.AGAINST, _("Against")),
    (Card.Choice.ABSTAIN, _("Abstain")),
]


class CastForm(forms.Form):
    card = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    choice = forms.ChoiceField(choices=CHOICES)


class SpeakForm(forms.Form):
    item = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    side = forms.ChoiceField(
        choices=[
            (SpeakerRequest.Side.FOR, _("To support")),
            (SpeakerRequest.Side.AGAINST, _("To oppose")),
        ],
        label=_("I wish to speak"),
        widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you wish to speak for or against.")},
    )


class WithdrawForm(forms.Form):
    request = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ConsoleForm(forms.Form):
    """One button of the chair's console (the hidden fields say what it acts on)."""

    ACTIONS = [
        ("current", _("Put before conference")),
        ("next", _("Next item")),
        ("open", _("Open the card vote")),
        ("close", _("Close the vote")),
        ("decide", _("Record the outcome")),
        ("call", _("Call")),
        ("finish", _("Finished")),
        ("up", _("Move up")),
        ("down", _("Move down")),
        ("top", _("Call next")),
        ("drop", _("Take off the list")),
        ("time", _("Set speaking time")),
    ]
    action = forms.ChoiceField(choices=ACTIONS)
    item = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    speaker = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)
    outcome = forms.ChoiceField(choices=AgendaItem.Outcome.choices, required=False)
    note = forms.CharField(max_length=2000, required=False)
    seconds = forms.IntegerField(
        min_value=SPEAKING_SECONDS_MIN, max_value=SPEAKING_SECONDS_MAX, required=False
    )

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        action = d.get("action")
        if action in ("current", "open", "close", "decide") and not d.get("item"):
            raise forms.ValidationError(_("Choose the item."))
        if action in ("call", "finish", "up", "down", "top", "drop") and not d.get("speaker"):
            raise forms.ValidationError(_("Choose the speaker."))
        if action == "time" and not d.get("seconds"):
            raise forms.ValidationError(_("Give the speaking time in seconds."))
        if action == "decide" and not d.get("outcome"):
            raise forms.ValidationError(_("Choose the outcome to record."))
        return d


class CardRecordForm(forms.Form):
    card = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    choice = forms.ChoiceField(choices=CHOICES)
    kind = forms.ChoiceField(choices=CardRecord.Kind.choices, initial=CardRecord.Kind.PAPER)
    proxy_holder = forms.CharField(max_length=200, required=False, label=_("Proxy holder"))

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if d.get("kind") == CardRecord.Kind.PROXY and not (d.get("proxy_holder") or "").strip():
            self.add_error("proxy_holder", _("Name the proxy holder who cast this vote."))
        return d


class CardSearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False, label=_("Delegation or delegate"))
