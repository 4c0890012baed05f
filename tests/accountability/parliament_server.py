"""A loopback HTTP server that answers as Parliament's APIs do, from the recorded answers
in fixtures/recorded (see its README): the live client is tested over real HTTP (requests,
urllib3's retries, conditional requests), with no internet.

The listing and member files hold every item; the server pages them by the request's
``skip``/``take`` and filters the divisions by date, as the APIs do. Scripted behaviour:
``fail[path] = [503, ...]`` answers those statuses first; ``replace[path] = data``
changes an answer (a division corrected by the House). Every request is logged.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

RECORDED = Path(__file__).parent / "fixtures" / "recorded"


def load(relative: str) -> Any:
    return json.loads((RECORDED / relative).read_text(encoding="utf-8"))


@dataclass
class Logged:
    path: str
    query: dict[str, list[str]]
    status: int
    if_none_match: str


@dataclass
class ParliamentServer:
    fail: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    replace: dict[str, Any] = field(default_factory=dict)
    log: list[Logged] = field(default_factory=list)
    base: str = ""

    def answer(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path in self.replace:
            return 200, self.replace[path]
        if path == "/data/divisions.json/search":
            start = query["queryParameters.startDate"][0]
            end = query["queryParameters.endDate"][0]
            skip = int(query["queryParameters.skip"][0])
            take = int(query["queryParameters.take"][0])
            items = [
                d
                for d in load("commonsvotes/divisions-search.json")
                if start <= d["Date"][:10] <= end
            ]
            return 200, items[skip : skip + take]
        if path.startswith("/data/division/") and path.endswith(".json"):
            name = f"commonsvotes/division-{path.rsplit('/', 1)[1][:-5]}.json"
            if not (RECORDED / name).exists():
                return 404, {"error": "not found"}
            return 200, load(name)
        if path == "/api/Members/Search":
            skip, take = int(query["skip"][0]), int(query["take"][0])
            items = load("members/search-current-commons.json")
            return 200, {
                "items": items[skip : skip + take],
                "totalResults": len(items),
                "resultContext": "",
                "skip": skip,
                "take": take,
                "links": [],
            }
        if path == "/api/Members/History":
            wanted = {int(i) for i in query.get("ids", [])}
            return 200, [h for h in load("members/history.json") if h["value"]["id"] in wanted]
        return 404, {"error": "not found"}


def start(server: ParliamentServer) -> tuple[ThreadingHTTPServer, threading.Thread]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = parse_qs(parts.query)
            inm = self.headers.get("If-None-Match", "")
            scripted = server.fail.get(parts.path)
            if scripted:
                status = scripted.pop(0)
                server.log.append(Logged(parts.path, query, status, inm))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status, data = server.answer(parts.path, query)
            body = json.dumps(data).encode()
            etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
            if status == 200 and inm == etag:
                server.log.append(Logged(parts.path, query, 304, inm))
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            server.log.append(Logged(parts.path, query, status, inm))
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            if status == 200:
                self.send_header("ETag", etag)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.base = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    return httpd, thread
