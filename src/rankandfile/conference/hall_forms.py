"""Forms of the live hall: a delegate's card and request to speak, the chair's console,
the CAC's paper and proxy cards."""

from __future__ import annotations

from typing import Any

from django import forms

from rankandfile.conference.models import AgendaItem, Card, CardRecord, SpeakerRequest
from rankandfile.conference.services.hall import SPEAKING_SECONDS_MAX, SPEAKING_SECONDS_MIN

CHOICES = [
    (Card.Choice.FOR, "For"),
    (Card.Choice.AGAINST, "Against"),
    (Card.Choice.ABSTAIN, "Abstain"),
]


class CastForm(forms.Form):
    card = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    choice = forms.ChoiceField(choices=CHOICES)


class SpeakForm(forms.Form):
    item = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    side = forms.ChoiceField(
        choices=SpeakerRequest.Side.choices,
        label="I wish to speak",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether you wish to speak for or against."},
    )


class WithdrawForm(forms.Form):
    request = forms.IntegerField(min_value=1, widget=forms.HiddenInput)


class ConsoleForm(forms.Form):
    """One button of the chair's console (the hidden fields say what it acts on)."""

    ACTIONS = [
        ("current", "Put before conference"),
        ("next", "Next item"),
        ("open", "Open the card vote"),
        ("close", "Close the vote"),
        ("decide", "Record the outcome"),
        ("call", "Call"),
        ("finish", "Finished"),
        ("up", "Move up"),
        ("down", "Move down"),
        ("top", "Call next"),
        ("drop", "Take off the list"),
        ("time", "Set speaking time"),
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
            raise forms.ValidationError("Choose the item.")
        if action in ("call", "finish", "up", "down", "top", "drop") and not d.get("speaker"):
            raise forms.ValidationError("Choose the speaker.")
        if action == "time" and not d.get("seconds"):
            raise forms.ValidationError("Give the speaking time in seconds.")
        if action == "decide" and not d.get("outcome"):
            raise forms.ValidationError("Choose the outcome to record.")
        return d


class CardRecordForm(forms.Form):
    card = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    choice = forms.ChoiceField(choices=CHOICES)
    kind = forms.ChoiceField(choices=CardRecord.Kind.choices, initial=CardRecord.Kind.PAPER)
    proxy_holder = forms.CharField(max_length=200, required=False, label="Proxy holder")

    def clean(self) -> dict[str, Any]:
        d = super().clean() or {}
        if d.get("kind") == CardRecord.Kind.PROXY and not (d.get("proxy_holder") or "").strip():
            self.add_error("proxy_holder", "Name the proxy holder who cast this vote.")
        return d


class CardSearchForm(forms.Form):
    q = forms.CharField(max_length=100, required=False, label="Delegation or delegate")
