"""Forms for membership pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat

from rankandfile.membership import permissions
from rankandfile.membership.models import CLP

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
        label="Membership export (CSV file)",
        help_text="UTF-8 CSV with the documented columns. Every bad row is listed.",
    )
    clp = forms.ModelChoiceField(
        queryset=CLP.objects.none(),
        label="Constituency party",
        required=False,
        help_text="Rows for any other constituency party are rejected.",
    )
    dry_run = forms.BooleanField(
        label="Check only (dry run): report what would change, write nothing",
        required=False,
        initial=True,
    )
    skip_invalid = forms.BooleanField(
        label="Import the good rows even if some rows are rejected",
        required=False,
    )
    create_branches = forms.BooleanField(
        label="Create branches named in the file that do not exist yet",
        required=False,
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.national = permissions.is_national_admin(user)
        field = self.fields["clp"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = permissions.managed_clps(user).order_by("name")
        if self.national:
            field.empty_label = "The whole party"
            field.help_text = "Leave as the whole party to import every constituency's rows."
        else:
            field.required = True
            field.empty_label = None

    def clean_file(self) -> UploadedFile:
        upload: UploadedFile = self.cleaned_data["file"]
        limit = max_upload_bytes()
        if upload.size is not None and upload.size > limit:
            raise forms.ValidationError(
                f"The file is {filesizeformat(upload.size)}; the upload limit is "
                f"{filesizeformat(limit)}. Import bigger files with the command "
                "'rankandfile membership_import FILE.csv', or split the file by "
                "constituency party."
            )
        return upload


class HistoryChangeForm(forms.Form):
    """One change to a member's history, recorded by an officer through the membership
    services (docs/rules/membership.md). ``until`` is only for a suspension, ``reason``
    only for a lapse, ``note`` for a suspension, arrears or expulsion."""

    CHANGES = (
        ("join", "Joined (first membership)"),
        ("lapse", "Membership ended (lapsed, resigned or died)"),
        ("rejoin", "Rejoined"),
        ("suspend", "Suspended"),
        ("lift_suspension", "Suspension lifted"),
        ("arrears_start", "In arrears"),
        ("arrears_clear", "Arrears paid"),
        ("expel", "Expelled (national admins only)"),
    )
    REASONS = (("lapsed", "Lapsed"), ("resigned", "Resigned"), ("died", "Died"))

    change = forms.ChoiceField(label="What happened", choices=CHANGES)
    on = forms.DateField(
        label="From (the first day it applies)",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="For an ending: the first day the person is no longer a member, "
        "suspended or in arrears.",
    )
    until = forms.DateField(
        label="Suspended until (first day no longer suspended)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Only for a suspension; leave empty for 'until lifted'.",
    )
    reason = forms.ChoiceField(
        label="Why the membership ended", choices=REASONS, initial="lapsed", required=False
    )
    note = forms.CharField(
        label="Grounds or reference",
        max_length=300,
        required=False,
        help_text="For a suspension, arrears or an expulsion.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        change = data.get("change")
        if data.get("until") and change != "suspend":
            self.add_error("until", "an end date is only given for a suspension")
        if change == "suspend" and not (data.get("note") or "").strip():
            self.add_error("note", "give the grounds or the decision's reference")
        return data
