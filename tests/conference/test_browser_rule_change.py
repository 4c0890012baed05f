"""In Chromium, through the web only (issue 16.1): an affiliate officer submits a rule change
to clause 3.II.2 ("200 words"); the CAC sees that the text and the parameters disagree,
attaches the parameter change, rules it in order, puts it on the floor, records it carried
and publishes the rule book; from then the software enforces 200 words."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from rankandfile.conference.models import FloorSession, RuleBookVersion, Submission
from rankandfile.conference.rulebook import parameters_in_force
from tests.browser.conftest import log_in
from tests.conference.conftest import conference_next_year
from tests.conftest import Party

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

NEW_TEXT = "A motion shall not exceed 200 words, and its title shall not exceed 10 words."


def test_a_rule_change_changes_the_software_through_the_web(
    party: Party, live_server: Any, new_page: Any
) -> None:
    today = timezone.localdate()
    conf = conference_next_year(party.national_admin)
    year = conf.year
    base = live_server.url
    assert parameters_in_force().motion_max_words == 250

    # The affiliate officer submits the rule change: the clause's new text only.
    officer = new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    log_in(officer, base, "affiliate@example.org")
    officer.goto(f"{base}/conference/{conf.year}/submit/")
    officer.get_by_label("Rule change").check()
    officer.get_by_label("Title").fill("Shorter motions")
    officer.get_by_label("Text").fill(NEW_TEXT)
    officer.get_by_label("Clause number").fill("3.II.2")
    officer.get_by_label("Date of the meeting that agreed it").fill(
        (today - dt.timedelta(days=3)).isoformat()
    )
    officer.get_by_label("Votes for at the meeting").fill("12")
    officer.get_by_label("Votes against at the meeting").fill("2")
    officer.get_by_role("button", name=re.compile("Submit")).click()
    expect(officer.get_by_text(re.compile(r"Submitted as \d+/R001"))).to_be_visible()
    sub = Submission.objects.get()
    assert sub.parameter_changes == {}

    # The CAC sees the disagreement and attaches the parameter change.
    cac = new_page()
    log_in(cac, base, "admin@example.org")
    cac.goto(f"{base}/conference/{conf.year}/submissions/{sub.pk}/")
    expect(cac.get_by_role("alert")).to_contain_text("does not say '250'")
    cac.get_by_label(re.compile(r"The word limit of a motion \(motion_max_words\)")).fill("200")
    cac.get_by_role("button", name="Attach the parameter changes").click()
    expect(cac.get_by_text("the word limit of a motion becomes 200")).to_be_visible()
    expect(cac.get_by_text("The clause text and the parameters agree.")).to_be_visible()
    # ...and rules it in order.
    cac.get_by_label("In order").check()
    cac.get_by_role("button", name="Record the ruling").click()
    expect(cac.get_by_text(re.compile(r"R001 ruled in order"))).to_be_visible()

    # The floor: a session, the rule change on a show of hands, carried.
    cac.goto(f"{base}/conference/{conf.year}/floor/")
    cac.get_by_label("Title").fill("Rules debate")
    cac.get_by_label("Starts at").fill(f"{year}-09-28T10:00")
    cac.get_by_role("button", name="Add session").click()
    session = FloorSession.objects.get(title="Rules debate")
    cac.get_by_label("Session").select_option(str(session.pk))
    cac.get_by_label("Motion, composite or rule change").select_option(f"s:{sub.pk}")
    cac.get_by_label("Method").select_option("hands")
    cac.get_by_role("button", name="Add item").click()
    item_panel = cac.locator("section.panel", has_text="Shorter motions")
    item_panel.get_by_label("Outcome").select_option("carried")
    item_panel.get_by_role("button", name="Close and record").click()
    expect(cac.get_by_text(re.compile("Shorter motions: Carried"))).to_be_visible()

    # The agenda and the ballot show what the rule change does to the software.
    officer.goto(f"{base}/conference/{conf.year}/")
    expect(officer.get_by_text("Changes what the software does").first).to_be_visible()

    # Published, in force from today: the rule book and the software say 200.
    cac.get_by_label("Takes effect on").fill(today.isoformat())
    cac.get_by_role("button", name="Publish the rule book").click()
    expect(cac.get_by_text(re.compile("is published; it takes effect on"))).to_be_visible()
    expect(cac.get_by_text(NEW_TEXT)).to_be_visible()
    v = RuleBookVersion.objects.get(adopted_by=conf)
    assert v.parameters["motion_max_words"] == 200
    assert parameters_in_force().motion_max_words == 200
    officer.goto(f"{base}/conference/{conf.year}/submit/")
    expect(officer.get_by_text(re.compile(r"\b200\b")).first).to_be_visible()
