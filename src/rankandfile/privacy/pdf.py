"""The subject access export as a readable PDF (WeasyPrint), from the same data as the
JSON export: ``privacy/subject_pdf.html`` renders :func:`privacy.queries.subject_data`."""

from __future__ import annotations

from typing import Any

from django.template.loader import render_to_string


def subject_pdf(data: dict[str, Any], site_name: str) -> bytes:
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    html = render_to_string("privacy/subject_pdf.html", {"d": data, "site_name": site_name})
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
