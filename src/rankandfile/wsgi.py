"""WSGI entry point for production servers (gunicorn rankandfile.wsgi).

Token-authenticated votes (``POST /api/v1/ballots/{id}/vote`` with a bearer token) take
the lean path of :mod:`rankandfile.ballots.fastvote`; every other request, and every vote
that path does not answer, goes to Django (docs/decisions/0003-fast-vote-path.md).
Around it, anonymous petition signatures and the anonymous campaign page take
:mod:`rankandfile.campaigns.fastsign` (docs/decisions/0005-fast-petition-path.md).
The conference hall's snapshot, polled by every delegate's phone, is served from a short
per-process cache by :mod:`rankandfile.conference.hall_fast` (decision 0020).
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rankandfile.settings")
django_application = get_wsgi_application()

from django.conf import settings  # noqa: E402

from rankandfile.core.links import ServingOrigin, require_configuration  # noqa: E402
from rankandfile.core.proxy import TrustedProxies, parse_networks  # noqa: E402

# Production refuses to serve without RANKANDFILE_BASE_URL (links would be wrong).
require_configuration()

from rankandfile.ballots.fastvote import FastVoteMiddleware  # noqa: E402 - after setup
from rankandfile.campaigns.fastsign import FastSignMiddleware  # noqa: E402 - after setup
from rankandfile.conference.hall_fast import HallStateMiddleware  # noqa: E402 - after setup

# Outermost: the client's address behind the proxy (core.proxy), then links (core.links).
application = TrustedProxies(
    ServingOrigin(HallStateMiddleware(FastSignMiddleware(FastVoteMiddleware(django_application)))),
    parse_networks(settings.TRUSTED_PROXIES),
)
