"""The web journey of a vote, for the open-loop generator of ``loadgen``: a member with a
logged-in session opens the ballot page (``GET /ballots/{id}/vote/``), and casts the
paper it shows (``POST`` of the numbered preferences with ``action=cast`` and the CSRF
token the page carried) — all through Django's full middleware stack, sessions and CSRF.

Each :class:`~voting.loadgen.Voter` holds the session cookie in ``token`` and the
form-encoded preferences in ``body``. The outcome is reported as the token path's: 201 for
a receipt (its tracking code read from the page), 409 for "already voted" (the page a
member who has voted gets, on the GET or on the POST). ``get_ms`` and ``post_ms`` time the
two requests; ``sent``..``done`` is the whole journey.
"""

from __future__ import annotations

import http.client
import re
import time
from dataclasses import dataclass

from voting.loadgen import Job, Outcome, Run

_CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
_ALREADY = b"You have already voted"
_CODE = re.compile(rb'id="tracking-code">([A-Z0-9]{10})<')


def _cookies(resp: http.client.HTTPResponse) -> dict[str, str]:
    jar: dict[str, str] = {}
    for name, value in resp.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            jar[key.strip()] = val.strip()
    return jar


@dataclass
class WebRun(Run):
    session_cookie: str = "sessionid"
    timings: dict[int, tuple[float, float]] | None = None  # id(outcome) -> (get, post) ms

    def send(self, conn: http.client.HTTPConnection, job: Job, voter: int) -> Outcome:
        v = self.voters[voter]
        out = Outcome(job=job, voter=voter)
        jar = {self.session_cookie: v.token}
        host = f"{self.host}:{self.port}"
        out.sent = time.perf_counter() - self.t0
        stage = "not_sent"
        try:
            conn.request("GET", self.path, headers={"Host": host, "Cookie": _cookie_header(jar)})
            stage = "in_flight"
            resp = conn.getresponse()
            page = resp.read()
            got = time.perf_counter() - self.t0
            if resp.will_close:
                conn.close()
            jar.update(_cookies(resp))
            field = _CSRF_FIELD.search(page)
            if resp.status != 200 or field is None or _ALREADY in page:
                out.done = got
                if resp.status == 200 and _ALREADY in page:
                    out.status = 409
                else:
                    out.status = resp.status
                    out.detail = page[:200].decode(errors="replace")
                return out
            body = v.body + b"&action=cast&csrfmiddlewaretoken=" + field.group(1)
            stage = "not_sent"
            conn.request(
                "POST",
                self.path,
                body=body,
                headers={
                    "Host": host,
                    "Cookie": _cookie_header(jar),
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
            stage = "in_flight"
            resp = conn.getresponse()
            data = resp.read()
        except (OSError, http.client.HTTPException) as exc:
            out.error, out.detail = stage, type(exc).__name__
            out.done = time.perf_counter() - self.t0
            return out
        out.done = time.perf_counter() - self.t0
        if self.timings is not None:
            self.timings[id(out)] = (1000 * (got - out.sent), 1000 * (out.done - got))
        code = _CODE.search(data)
        if resp.status == 200 and code is not None:
            out.status, out.code = 201, code.group(1).decode()
        elif resp.status == 409 or (resp.status == 200 and _ALREADY in data):
            out.status = 409
        else:
            out.status = resp.status
            out.detail = data[:200].decode(errors="replace")
        if resp.will_close:
            conn.close()
        return out


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())
