"""Offices printed as parties (rule I8): the Commons Votes records print "Speaker" and
"Deputy Speaker" in the party column; the importer gives those MPs their party from the
MNIS history, so Deputy Speakers of our party are scored like any of our MPs.

On the real 2019 files: the CSV export prints "Speaker" for John Bercow and "Deputy
Speaker" for Lindsay Hoyle, Rosie Winterton (Labour) and Eleanor Laing (Conservative);
the MNIS history prints Labour, Labour, Conservative — and "Speaker" for Bercow, who as
Speaker has no party.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.urls import reverse

from rankandfile.accountability import importer, services
from rankandfile.accountability.models import (
    Division,
    MPVote,
    PackedVotes,
    PartyChange,
    Policy,
    Score,
    Source,
)
from rankandfile.accountability.parties import is_office
from rankandfile.accountability.scoring import NO_VOTES, Position
from rankandfile.membership.models import MP
from tests.accountability.conftest import division_json, member_entry, write_json

pytestmark = pytest.mark.django_db

BERCOW, HOYLE, WINTERTON, LAING = 17, 467, 390, 36
EXPECTED = {
    BERCOW: ("Speaker", "Speaker"),
    HOYLE: ("Labour", "Deputy Speaker"),
    WINTERTON: ("Labour", "Deputy Speaker"),
    LAING: ("Conservative", "Deputy Speaker"),
}


def paths(commons: Path, *which: str) -> list[Path]:
    names = {"csv": "commons-votes-csv-2019", "mnis": "brexit-parliament-2019"}
    return [commons / names[w] for w in which]


def commons_rows(mnis_id: int) -> set[tuple[str, str]]:
    return set(
        MPVote.objects.filter(mp__mnis_id=mnis_id, source=Source.COMMONS).values_list(
            "party", "office"
        )
    )


def packed_ours(mnis_id: int, division_id: int) -> bool:
    mp = MP.objects.get(mnis_id=mnis_id)
    packed = PackedVotes.objects.get(division__division_id=division_id, source=Source.COMMONS)
    ids = np.frombuffer(bytes(packed.mp_ids), dtype="<i4")
    ours = np.frombuffer(bytes(packed.ours), dtype="u1")
    (where,) = np.flatnonzero(ids == mp.pk)
    return bool(ours[where])


def test_what_the_real_files_print(commons: Path) -> None:
    """The premise, checked on the files: offices in the CSV, parties in the MNIS history."""
    printed: dict[str, set[str]] = {}
    for path in (commons / "commons-votes-csv-2019").glob("Division*.csv"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            cells = [c.strip('"') for c in line.split('","')]
            if len(cells) >= 2 and is_office(cells[1]):
                printed.setdefault(cells[0], set()).add(cells[1])
    assert printed == {
        "John Bercow": {"Speaker"},
        "Lindsay Hoyle": {"Deputy Speaker"},
        "Rosie Winterton": {"Deputy Speaker"},
        "Eleanor Laing": {"Deputy Speaker"},
    }


def test_office_holders_get_their_party_from_the_mnis_history(commons: Path) -> None:
    report = importer.import_paths(actor=None, paths=paths(commons, "csv", "mnis"))
    for mnis_id, row in EXPECTED.items():
        assert commons_rows(mnis_id) == {row}, mnis_id
    assert MPVote.objects.filter(mp__mnis_id=HOYLE, source=Source.COMMONS).count() == 13
    assert (
        "Sir Lindsay Hoyle: printed 'Deputy Speaker' in 13 vote(s); "
        "party Labour from the MNIS history"
    ) in report.offices
    assert any(
        line.startswith("John Bercow: printed 'Speaker' in 13 vote(s); no party")
        for line in report.offices
    )
    assert len(report.offices) == 4
    # The packed copy the batch reads (DivisionId 664, the third meaningful vote) says
    # "ours" for the two Labour Deputy Speakers.
    assert packed_ours(HOYLE, 664) and packed_ours(WINTERTON, 664)
    assert not packed_ours(LAING, 664) and not packed_ours(BERCOW, 664)
    # The MNIS history itself is left as printed; no party change is invented.
    assert set(
        MPVote.objects.filter(mp__mnis_id=BERCOW, source=Source.MNIS).values_list("party", "office")
    ) == {("Speaker", "")}
    assert not PartyChange.objects.filter(mp__mnis_id__in=EXPECTED).exists()


def test_reimport_changes_nothing(commons: Path) -> None:
    importer.import_paths(actor=None, paths=paths(commons, "csv", "mnis"))
    again = importer.import_paths(actor=None, paths=paths(commons, "csv", "mnis"))
    assert again.offices == [] and not again.changed


def test_order_of_imports_does_not_matter(commons: Path) -> None:
    # Winterton's MP record made useless (an office): the CSV alone cannot place her.
    MP.objects.filter(mnis_id=WINTERTON).update(party="Deputy Speaker")
    first = importer.import_paths(actor=None, paths=paths(commons, "csv"))
    assert commons_rows(HOYLE) == {("Labour", "Deputy Speaker")}
    assert any("Hoyle" in line and "from the MP record" in line for line in first.offices)
    assert commons_rows(WINTERTON) == {("Deputy Speaker", "Deputy Speaker")}
    assert any(
        line.startswith("Dame Rosie Winterton") and "left as 'Deputy Speaker'" in line
        for line in first.offices
    )
    assert not packed_ours(WINTERTON, 664)
    # The MNIS history, imported later, settles her votes and their packed copy.
    second = importer.import_paths(actor=None, paths=paths(commons, "mnis"))
    for mnis_id, row in EXPECTED.items():
        assert commons_rows(mnis_id) == {row}, mnis_id
    assert second.offices == [
        "Dame Rosie Winterton: printed 'Deputy Speaker' in 13 vote(s); "
        "party Labour from the MNIS history"
    ]
    assert packed_ours(WINTERTON, 664)


@pytest.fixture
def policy(imported: Path, django_capture_on_commit_callbacks: Any) -> Policy:
    with django_capture_on_commit_callbacks(execute=True):
        pv = services.policy_create(actor=None, title="A confirmatory public vote")
        for division_id in (661, 668):  # Commons Votes export: both print offices
            services.link_save(
                actor=None,
                policy=pv,
                division=Division.objects.get(division_id=division_id),
                aye_supports=True,
                strength="strong",
                justification="The motion asked the House to support exactly this policy.",
            )
    return pv


def test_labour_deputy_speakers_are_scored(policy: Policy, client: Client) -> None:
    # Deputy Speakers do not vote: two absences, counted as such (not excluded as
    # "not a member of the party"), so a row exists that says they never voted on it.
    for mnis_id in (HOYLE, WINTERTON, LAING, BERCOW):
        score = Score.objects.get(mp__mnis_id=mnis_id, policy=policy)
        assert (score.strong_votes, score.absences, score.wording) == (0, 2, NO_VOTES)
    assert Score.objects.get(mp__mnis_id=HOYLE, policy=policy).party == "Labour"
    url = reverse("accountability:mp_policy", kwargs={"mnis_id": HOYLE, "slug": policy.slug})
    text = " ".join(client.get(url).content.decode().split())
    assert "Labour (Deputy Speaker)" in text
    assert "not a member of the party" not in text


def test_json_office_with_a_vote_counts_for_our_party(party: Any, tmp_path: Path) -> None:
    """The Commons Votes API JSON is treated the same way; with no MNIS history the MP
    record's party is used, and the vote then counts for a Labour MP."""
    mp = party.mp  # Labour
    data = division_json(9501, ayes=[member_entry(mp, party="Deputy Speaker")])
    report = importer.import_paths(actor=None, paths=[write_json(tmp_path, "d.json", data)])
    assert report.offices == [
        f"{mp.name}: printed 'Deputy Speaker' in 1 vote(s); party Labour from the MP record"
    ]
    vote = MPVote.objects.get(mp=mp)
    assert (vote.party, vote.office, vote.position) == ("Labour", "Deputy Speaker", Position.AYE)
    assert not PartyChange.objects.filter(mp=mp).exists()
