"""Campaign fixtures: a live campaign in Northtown (electorate 70,001) and helpers to
sign through the public form and follow the emailed links."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client, TestCase

from rankandfile.campaigns.models import Campaign
from tests.campaigns.factories import CampaignFactory
from tests.conftest import Party

GOOD = {
    "first_name": "Ruth",
    "last_name": "Signer",
    "email": "ruth@example.org",
    "postcode": "sw16 1aa",
    "town": "Streatham",
    "lives_in_constituency": "on",
    "consent": "on",
    "show_publicly": "on",
    "website": "",
}


@pytest.fixture
def campaign(party: Party) -> Campaign:
    constituency = party.northtown.constituency
    constituency.electorate = 70_001
    constituency.save(update_fields=["electorate"])
    return CampaignFactory(clp=party.northtown, slug="northtown", mp=party.mp)


def sign(client: Client, campaign: Campaign, **overrides: Any) -> Any:
    """Post the signing form; run what it queued after commit (the email task)."""
    return committed(client.post, f"/campaigns/{campaign.slug}/sign/", {**GOOD, **overrides})


def committed(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` and run the on-commit callbacks it registered (tests run inside a
    transaction that never commits)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return fn(*args, **kwargs)


def links(to: str) -> dict[str, str]:
    """The confirm and withdraw secrets in the latest email to ``to``."""
    for message in reversed(mail.outbox):
        if to in message.to:
            found = dict(
                re.findall(r"/campaigns/(confirm|withdraw)/([A-Za-z0-9_-]+)/", message.body)
            )
            return found
    raise AssertionError(f"no email to {to}")


# Browser fixtures for tests/campaigns/test_browser_*.py (defined in tests/browser/).
from tests.browser.conftest import browser, new_page, page  # noqa: E402, F401
