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
