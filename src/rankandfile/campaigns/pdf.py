"""The printable petition (WeasyPrint) for handing in: the demand, the count, and each
confirmed signer's name, town and postcode district — never an email address."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def petition_pdf(context: dict[str, Any]) -> bytes:
    """Render ``campaigns/petition_pdf.html`` with ``context`` to PDF bytes."""
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    html = render_to_string("campaigns/petition_pdf.html", context)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
