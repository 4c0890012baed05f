"""Forms for membership pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from rankandfile.membership import permissions
from rankandfile.membership.models import CLP, Member

# Bigger exports go through `rankandfile membership_import`: a web request should not run
# for minutes. 20 MB is about 100,000 members, several times the largest CLP.
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def max_upload_bytes() -> int:
    return int(getattr(settings, "MEMBERSHIP_IMPORT_MAX_UPLOAD_BYTES", DEFAULT_MAX_UPLOAD_BYTES))


class MemberImportForm(forms.Form):
    """Upload a membership export. National admins may import for the whole party or one
    CLP; everyone else chooses one of the CLPs they manage (rows for other CLPs are then
    rejected by the importer)."""

    file = forms.FileField(
        label=_("Membership export (CSV file)"),
        help_text=_("UTF-8 CSV with the documented columns. Every bad row is listed."),
    )
    clp = forms.ModelChoiceField(
        queryset=CLP.objects.none(),
        label=_("Constituency party"),
        required=False,
        help_text=_("Rows for any other constituency party are rejected."),
    )
    dry_run = forms.BooleanField(
        label=_("Check only (dry run): report what would change, write nothing"),
        required=False,
        initial=True,
    )
    skip_invalid = forms.BooleanField(
        label=_("Import the good rows even if some rows are rejected"),
        required=False,
    )
    create_branches = forms.BooleanField(
        label=_("Create branches named in the file that do not exist yet"),
        required=False,
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.national = permissions.is_national_admin(user)
        field = self.fields["clp"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = permissions.managed_clps(user).order_by("name")
        if self.national:
            field.empty_label = _("The whole party")
            field.help_text = _("Leave as the whole party to import every constituency's rows.")
        else:
            field.required = True
            field.empty_label = None

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                gettext(
                    "The file is %(size)s; the upload limit is %(limit)s. Import bigger files "
                    "with the command %(command)s, or split the file by constituency party."
                )
                % {
                    "size": filesizeformat(upload.size),
                    "limit": filesizeformat(limit),
                    "command": "'rankandfile membership_import FILE.csv'",
                }
            )
        return upload


class ActivationRequestForm(forms.Form):
    """A member asks for an account activation link."""

    identifier = forms.CharField(
        label=_("Your email address or membership number"),
        max_length=254,
        strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "email", "autocapitalize": "none"}),
    )


class ActivationForm(forms.Form):
    """Choose a password for a member's new account."""

    password1 = forms.CharField(
        label=_("Choose a password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters; not a common password, not all numbers."),
    )
    password2 = forms.CharField(
        label=_("Type it again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        one, two = data.get("password1"), data.get("password2")
        if one and two and one != two:
            self.add_error("password2", _("The two passwords differ: type the same one twice."))
        return data


class InviteMembersForm(forms.Form):
    """Officers invite members of one CLP to activate an account: the members ticked, or
    everyone in the CLP with an address who has no login and was never invited."""

    member = forms.ModelMultipleChoiceField(queryset=Member.objects.none(), required=False)
    everyone_new = forms.BooleanField(required=False)
    next = forms.CharField(required=False, max_length=500)

    def __init__(self, clp: CLP, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = Member.objects.filter(clp=clp)  # type: ignore[attr-defined]
        self.fields["member"].error_messages["invalid_choice"] = _(
            "Choose members of this constituency party."
        )

    def clean_next(self) -> str:
        value: str = self.cleaned_data.get("next") or ""
        return value if value.startswith("/") and not value.startswith("//") else ""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("member") and not data.get("everyone_new") and not self.errors:
            raise forms.ValidationError(_("Tick the members to invite, or invite everyone new."))
        return data


class HistoryChangeForm(forms.Form):
    """One change to a member's history, recorded by an officer through the membership
    services (docs/rules/membership.md). ``until`` is only for a suspension, ``reason``
    only for a lapse, ``note`` for a suspension, arrears or expulsion."""

    CHANGES = (
        ("join", _("Joined (first membership)")),
        ("lapse", _("Membership ended (lapsed, resigned or died)")),
        ("rejoin", _("Rejoined")),
        ("suspend", _("Suspended")),
        ("lift_suspension", _("Suspension lifted")),
        ("arrears_start", _("In arrears")),
        ("arrears_clear", _("Arrears paid")),
        ("expel", _("Expelled (national admins only)")),
    )
    REASONS = (("lapsed", _("Lapsed")), ("resigned", _("Resigned")), ("died", _("Died")))

    change = forms.ChoiceField(label=_("What happened"), choices=CHANGES)
    on = forms.DateField(
        label=_("From (the first day it applies)"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "For an ending: the first day the person is no longer a member, "
            "suspended or in arrears."
        ),
    )
    until = forms.DateField(
        label=_("Suspended until (first day no longer suspended)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Only for a suspension; leave empty for 'until lifted'."),
    )
    reason = forms.ChoiceField(
        label=_("Why the membership ended"), choices=REASONS, initial="lapsed", required=False
    )
    note = forms.CharField(
        label=_("Grounds or reference"),
        max_length=300,
        required=False,
        help_text=_("For a suspension, arrears or an expulsion."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        change = data.get("change")
        if data.get("until") and change != "suspend":
            self.add_error("until", _("an end date is only given for a suspension"))
        if change == "suspend" and not (data.get("note") or "").strip():
            self.add_error("note", _("give the grounds or the decision's reference"))
        return data
