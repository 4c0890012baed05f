"""Forms of the account page."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from rankandfile.core import tokens
from rankandfile.core.models import ApiToken


class ApiTokenForm(forms.Form):
    """A new personal API token: what it is for, what it may do, how long it lives."""

    name = forms.CharField(
        label=_("Token name"),
        max_length=100,
        required=False,
        help_text=_("What it is for, e.g. “branch spreadsheet”"),
    )
    scopes = forms.MultipleChoiceField(
        label=_("It may"),
        choices=ApiToken.Scope.choices,
        initial=[tokens.READ],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one thing the token may do.")},
    )
    lifetime_days = forms.TypedChoiceField(
        label=_("Expires after"),
        choices=[(d, format_lazy(_("{days} days"), days=d)) for d in tokens.LIFETIME_CHOICES_DAYS],
        coerce=int,
        initial=30,
    )

    def lifetime(self) -> dt.timedelta:
        return dt.timedelta(days=self.cleaned_data["lifetime_days"])
