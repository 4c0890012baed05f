"""In Chromium: a policy officer links a division to a policy with a justification; a
member follows "My MP" and sees the score with the vote behind it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from rankandfile.accountability import importer, services
from rankandfile.membership.models import Role
from tests.accountability.conftest import division_json, member_entry, write_json
from tests.browser.conftest import log_in
from tests.conftest import Party
from tests.membership import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def test_officer_links_and_member_sees_my_mp(
    party: Party, live_server: Any, new_page: Any, tmp_path: Path
) -> None:
    officer = f.UserFactory(email="policy@example.org")
    f.RoleFactory(user=officer, kind=Role.Kind.POLICY_OFFICER)
    division = division_json(
        9401, title="Water (Public Ownership) Bill: second reading", noes=[member_entry(party.mp)]
    )
    importer.import_paths(actor=None, paths=[write_json(tmp_path, "w.json", division)])
    policy = services.policy_create(actor=None, title="Public ownership of water")
    base = live_server.url

    page = new_page()
    page.goto(f"{base}/healthz", timeout=120_000)
    log_in(page, base, "policy@example.org")
    page.goto(f"{base}/accountability/policies/{policy.slug}/")
    page.get_by_label("Division", exact=True).select_option(
        label="Water (Public Ownership) Bill: second reading (No. 401, 20 Nov 2026)"
    )
    page.get_by_label("Voting Aye supports the policy").check()
    page.get_by_label("Strong (counts towards the score)").check()
    page.get_by_label("Justification (shown publicly)").fill(
        "The bill brings water companies into public ownership."
    )
    page.get_by_role("button", name="Save link").click()
    expect(page.get_by_role("status")).to_contain_text("Division linked")
    expect(
        page.get_by_role("cell", name="The bill brings water companies into public ownership.")
    ).to_be_visible()

    member = new_page()
    log_in(member, base, "member@example.org")
    member.goto(f"{base}/accountability/")
    member.get_by_role("link", name="My MP", exact=True).click()
    expect(member.get_by_role("heading", level=1)).to_have_text(party.mp.name)
    expect(member.get_by_role("cell", name="consistently voted against").first).to_be_visible()
    expect(member.get_by_role("cell", name="voted against the policy")).to_be_visible()
