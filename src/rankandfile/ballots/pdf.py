"""The declaration of result as a PDF (WeasyPrint), for printing and publishing.

The PDF is rendered from the same template data as the printable page: the ballot, the
electorate's size and digest, turnout, the outcome, the stage table, and the digest of the
published papers — everything a member needs to check the count with ``rankandfile count``.
"""

from __future__ import annotations

import base64
from typing import Any

from django.template.loader import render_to_string


def declaration_pdf(context: dict[str, Any], chart_png: bytes | None = None) -> bytes:
    """Render ``ballots/declaration_pdf.html`` with ``context`` to PDF bytes."""
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    if chart_png:
        context = {**context, "chart_data_uri": _data_uri(chart_png)}
    html = render_to_string("ballots/declaration_pdf.html", context)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")
