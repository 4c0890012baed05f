"""Limits on what a request body may hold, checked before any costly parsing.

Every reader of untrusted input in the product has a documented limit
(``docs/limits.md``); this module holds the ones for request bodies, shared by Django's
middleware (:class:`JsonBodyLimitMiddleware`), the lean WSGI paths
(``ballots.fastvote``, ``campaigns.fastsign``) and the file importers that read JSON.

The JSON nesting check is linear and runs before ``json.loads``: strings are removed by
one regular expression, then the depth is the running sum of opening minus closing
brackets (NumPy, no Python loop per byte). A body nested deeper than
:data:`MAX_JSON_DEPTH` is refused with :class:`BodyLimitError` instead of recursing in
the decoder until ``RecursionError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse

MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects accepted in a JSON request body or JSON file
(the API's bodies nest at most 3 deep; a Commons Votes API file 4)."""

# A string runs to its closing quote or to the end of the text: the pattern cannot fail
# once it has started (possessive loop), so removing strings is linear in the worst case.
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_OPEN = np.zeros(256, dtype=np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_OPEN[[ord("]"), ord("}")]] = -1


class BodyLimitError(ValueError):
    """A request body (or file) is beyond a documented limit; the message says which."""


def json_depth(data: bytes | str) -> int:
    """The deepest nesting of ``[``/``{`` in JSON text (strings ignored), in linear time.

    Unbalanced or otherwise invalid text still gets a number (the decoder reports the
    syntax error afterwards)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if b"[" not in raw and b"{" not in raw:
        return 0
    if b'"' in raw:
        raw = _STRING.sub(b"", raw)
    steps = _OPEN[np.frombuffer(raw, dtype=np.uint8)]
    if steps.size == 0:
        return 0
    return max(int(np.cumsum(steps, dtype=np.int64).max()), 0)


def depth_message(limit: int = MAX_JSON_DEPTH) -> str:
    return f"the JSON nests arrays or objects more than {limit} levels deep (the limit)"


def loads(data: bytes | str, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that first refuses nesting beyond ``max_depth``.

    Raises :class:`BodyLimitError` for nesting, ``ValueError`` (``json.JSONDecodeError``
    or ``UnicodeDecodeError``) for text that is not JSON."""
    if json_depth(data) > max_depth:
        raise BodyLimitError(depth_message(max_depth))
    try:
        return json.loads(data)
    except RecursionError as exc:  # pragma: no cover - depth is checked first
        raise BodyLimitError(depth_message(max_depth)) from exc


def too_many_fields_message() -> str:
    return (
        f"the form sends more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields (the "
        "limit); nothing was saved"
    )


def body_error_message(exc: Exception) -> str | None:
    """The words for one of Django's request-size refusals, or ``None`` for others."""
    if isinstance(exc, TooManyFieldsSent):
        return too_many_fields_message()
    if isinstance(exc, TooManyFilesSent):
        return (
            f"the form sends more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files (the "
            "limit); nothing was saved"
        )
    if isinstance(exc, RequestDataTooBig):
        mib = (settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0) / (1024 * 1024)
        return (
            f"the request body is larger than {mib:g} MiB (the limit; upload files as "
            "files); nothing was saved"
        )
    return None


def _is_json(request: HttpRequest) -> bool:
    """A JSON body: by its content type, or any non-form body sent to the API (ninja
    decodes the body as JSON whatever the content type says)."""
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
    if content_type == "application/json" or content_type.endswith("+json"):
        return True
    is_form = content_type.startswith("multipart/") or content_type == (
        "application/x-www-form-urlencoded"
    )
    return request.path.startswith("/api/") and not is_form


class JsonBodyLimitMiddleware:
    """Refuse, with 400 and a JSON ``detail``, a JSON (or ``/api/``) request body nested beyond
    :data:`MAX_JSON_DEPTH` or larger than ``DATA_UPLOAD_MAX_MEMORY_SIZE`` before any view
    (or django-ninja) decodes it. Other requests pass untouched."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in ("POST", "PUT", "PATCH", "DELETE") and _is_json(request):
            try:
                body = request.body
            except RequestDataTooBig as exc:
                return JsonResponse({"detail": body_error_message(exc)}, status=400)
            if json_depth(body) > MAX_JSON_DEPTH:
                return JsonResponse({"detail": depth_message()}, status=400)
        return self.get_response(request)
