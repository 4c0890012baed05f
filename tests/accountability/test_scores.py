"""Scores on the real 2019 divisions, checked against hand-worked examples, and the
cross-app contract (mp_scorecard, party_changes)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rankandfile.accountability import batch, queries, services
from rankandfile.accountability.models import Division, MPVote, Policy, Score, ScoreRun
from rankandfile.membership.models import MP

pytestmark = pytest.mark.django_db

ABBOTT, HOEY, FLINT, UMUNNA, FIELD = 172, 210, 389, 4128, 478


def link(policy: Policy, division_id: int, *, aye: bool = True, strength: str = "strong") -> None:
    services.link_save(
        actor=None,
        policy=policy,
        division=Division.objects.get(division_id=division_id),
        aye_supports=aye,
        strength=strength,
        justification="The motion asked the House to support exactly this policy.",
    )


@pytest.fixture
def policies(imported: Path, django_capture_on_commit_callbacks: Any) -> dict[str, Policy]:
    with django_capture_on_commit_callbacks(execute=True):
        public_vote = services.policy_create(actor=None, title="A confirmatory public vote")
        link(public_vote, 661)  # Beckett, motion M, 27 March
        link(public_vote, 668)  # Kyle, motion E, 1 April
        customs = services.policy_create(actor=None, title="A customs union with the EU")
        link(customs, 658)  # Clarke, motion J
        link(customs, 666)  # Clarke, motion C
        link(customs, 655, aye=False, strength="weak")  # Baron, motion B (no deal)
        no_deal = services.policy_create(actor=None, title="Reject the withdrawal agreement")
        link(no_deal, 562, aye=False)  # 15 January, MNIS history only
    return {"public_vote": public_vote, "customs": customs, "deal": no_deal}


def score(mnis_id: int, policy: Policy) -> Score | None:
    return Score.objects.filter(mp__mnis_id=mnis_id, policy=policy).first()


def test_hand_worked_public_vote(policies: dict[str, Policy]) -> None:
    pv = policies["public_vote"]
    # Diane Abbott: Aye on M and on E → 0 of 20 → distance 0: consistently for.
    s = score(ABBOTT, pv)
    assert s is not None
    assert (s.points, s.possible, s.distance, s.wording) == (0, 20, 0.0, "consistently voted for")
    # Kate Hoey: No on both → 20 of 20: consistently against.
    s = score(HOEY, pv)
    assert s is not None and (s.points, s.possible, s.wording) == (
        20,
        20,
        "consistently voted against",
    )
    # Chuka Umunna left the party on 18 February: March votes do not count (A7) ...
    s = score(UMUNNA, pv)
    assert s is not None
    assert (s.distance, s.strong_votes, s.absences) == (None, 0, 0)
    # ... but over all his votes in the parliament (A8: Aye, Aye as an Independent) he
    # consistently voted for it, as TheyWorkForYou says.
    assert (s.all_distance, s.all_strong_votes, s.all_absences) == (0.0, 2, 0)
    assert s.all_wording == "consistently voted for" and s.all_differs
    # The party's views leave out a score with nothing counted while a member.
    assert all(line.policy_title != pv.title for line in queries.mp_scorecard(s.mp))
    assert s not in queries.policy_page(pv)["scores"]
    # Frank Field was never in the party here: every division counts. No, No.
    s = score(FIELD, pv)
    assert s is not None and s.wording == "consistently voted against"
    # An MP who never changed party: both scores agree.
    assert (s.all_distance, s.all_wording) == (s.distance, s.wording) and not s.all_differs


def test_hand_worked_customs_union_with_an_absence(policies: dict[str, Policy]) -> None:
    s = score(FLINT, policies["customs"])
    # Flint: no vote recorded on J, Aye on C → 0 of 10, one absence out of two strong
    # divisions: a third or more, so TheyWorkForYou's cap moves 0.0 to 0.16 — "generally",
    # never "consistently" (A3). The weak no-deal division (she voted No, with the policy)
    # does not count for TWFY.
    assert s is not None
    assert (s.points, s.possible, s.strong_votes, s.absences) == (0, 10, 1, 1)
    assert s.distance == 0.16 and s.agreement == pytest.approx(0.84)
    assert s.wording == "generally voted for"
    assert s.absence_capped
    # Public Whip: J absent 25/50, C with 0/50, weak B with 0/10 → 25/110.
    assert s.pw_distance == pytest.approx(25 / 110)


def test_the_page_says_why_absences_held_the_score_back(
    client: Any, policies: dict[str, Policy]
) -> None:
    from django.urls import reverse

    url = reverse(
        "accountability:mp_policy", kwargs={"mnis_id": FLINT, "slug": policies["customs"].slug}
    )
    text = " ".join(client.get(url).content.decode().split())
    assert "generally voted for" in text
    assert "Absences are a third or more of the strong divisions" in text
    assert "84% agreement, not 100%" in text
    # An MP without absences gets no such sentence.
    url = reverse(
        "accountability:mp_policy", kwargs={"mnis_id": ABBOTT, "slug": policies["public_vote"].slug}
    )
    assert "held back" not in client.get(url).content.decode()


def test_umunna_counts_only_while_in_the_party(policies: dict[str, Policy]) -> None:
    # 15 January (MNIS history, which prints his April party): he was Labour then.
    s = score(UMUNNA, policies["deal"])
    assert s is not None and s.wording == "consistently voted for"  # voted No, rejecting
    assert s.party == "Labour"


def test_party_comparison_matches_a_direct_count(policies: dict[str, Policy]) -> None:
    pv = policies["public_vote"]
    abbott = score(ABBOTT, pv)
    assert abbott is not None and abbott.party == "Labour"
    others = Score.objects.filter(policy=pv, party="Labour").exclude(mp__mnis_id=ABBOTT)
    distances = [s.distance for s in others if s.distance is not None]
    assert abbott.party_distance == pytest.approx(sum(distances) / len(distances))
    hoey = score(HOEY, pv)
    assert hoey is not None and hoey.significant is True
    assert abbott.significant is False


def test_contract_mp_scorecard(policies: dict[str, Policy], django_assert_num_queries: Any) -> None:
    mp = MP.objects.get(mnis_id=ABBOTT)
    with django_assert_num_queries(1):
        lines = queries.mp_scorecard(mp)
    titles = [line.policy_title for line in lines]
    assert titles == sorted(titles)
    pv = next(line for line in lines if line.policy_title == "A confirmatory public vote")
    assert pv.wording == "consistently voted for"
    assert pv.agreement == 1.0
    assert (pv.divisions_counted, pv.absences) == (2, 0)
    assert pv.policy_url == f"/accountability/policies/{policies['public_vote'].slug}/"


def test_link_change_recomputes(
    policies: dict[str, Policy], django_capture_on_commit_callbacks: Any
) -> None:
    runs = ScoreRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        link(policies["public_vote"], 668, aye=False)  # flip the direction of motion E
    assert ScoreRun.objects.count() == runs + 1
    s = score(ABBOTT, policies["public_vote"])
    assert s is not None and s.wording == "voted a mixture of for and against"


def test_recompute_is_idempotent(policies: dict[str, Policy]) -> None:
    before = sorted(Score.objects.values_list("mp_id", "policy_id", "distance", "wording"))
    batch.recompute_scores()
    after = sorted(Score.objects.values_list("mp_id", "policy_id", "distance", "wording"))
    assert before == after


def test_votes_use_the_primary_source(policies: dict[str, Policy]) -> None:
    # Division 664 is in both sources; the tellers are absent in the MNIS copy only.
    assert MPVote.objects.filter(division__division_id=664, source="mnis").exists()
    assert Division.objects.get(division_id=664).primary_source == "commons"


VALUE_COLUMNS = ["mp_id", "policy_id", *batch._VALUE_COLUMNS]


def _stored() -> list[tuple[Any, ...]]:
    return sorted(Score.objects.values_list(*VALUE_COLUMNS))


@pytest.mark.parametrize(("copy_above", "replace_above"), [(0, 0.5), (1000, 0.5), (0, 0.0)])
def test_recompute_writes_only_the_differences(
    policies: dict[str, Policy], monkeypatch: Any, copy_above: int, replace_above: float
) -> None:
    """A rerun writes nothing; after stored rows drift, it rewrites exactly those, and
    the result equals a recompute from scratch (COPY and temp-table paths with 0; with
    replace_above 0, the replace-everything path)."""
    monkeypatch.setattr(batch, "COPY_ABOVE", copy_above)
    monkeypatch.setattr(batch, "REPLACE_ABOVE", replace_above)
    expected = _stored()
    again = batch.recompute_scores()
    assert again.written == {"updated": 0, "inserted": 0, "deleted": 0}
    assert again.scores == len(expected)
    rows = list(Score.objects.order_by("pk"))
    rows[0].wording = "not a band"
    rows[0].save()
    Score.objects.filter(pk=rows[1].pk).update(distance=None, significant=not rows[1].significant)
    Score.objects.filter(pk=rows[2].pk).update(party="Somebody else", pw_distance=0.123)
    Score.objects.filter(pk=rows[3].pk).delete()
    # A pair with nothing counted: an MP with no votes at all.
    stray = MP.objects.create(mnis_id=999_999, name="Nobody Voted", party="Labour")
    Score.objects.create(
        mp=stray, policy=policies["deal"], points=0, possible=0, wording="x", strong_votes=0,
        absences=0, pw_wording="x", computed_at=rows[0].computed_at,
    )  # fmt: skip
    result = batch.recompute_scores()
    assert result.written == {"updated": 3, "inserted": 1, "deleted": 1}
    assert _stored() == expected
    Score.objects.all().delete()
    scratch = batch.recompute_scores()
    assert scratch.written == {"updated": 0, "inserted": len(expected), "deleted": 0}
    assert _stored() == expected
