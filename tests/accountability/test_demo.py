"""The demo seeder: real 2019 divisions through the importer, policies, links, scores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from rankandfile.accountability import demo
from rankandfile.accountability.models import Division, Policy, PolicyDivision, Score

pytestmark = pytest.mark.django_db


def test_demo_seed_is_complete_and_idempotent(
    commons: Path, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        summary = demo.seed(2019)
    assert summary.startswith("accountability: 23 divisions (23 new), 5 policies")
    assert Division.objects.count() == 23
    assert Policy.objects.count() == 5
    assert PolicyDivision.objects.count() == 13
    # Every link is justified and marked as history (no alert digests for 2019 votes).
    assert not PolicyDivision.objects.filter(alerted_at__isnull=True).exists()
    assert Score.objects.filter(mp__mnis_id=172).count() == 5  # Diane Abbott: every policy
    # The seven who left on 18 February 2019 have both scores (A8): Chuka Umunna's March
    # votes count over all his votes in the parliament, not as a Labour member.
    umunna = Score.objects.filter(mp__mnis_id=4128)
    assert any(s.all_differs and s.all_strong_votes > s.strong_votes for s in umunna)
    scores = Score.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        again = demo.seed(2019)
    assert "(0 new)" in again
    assert PolicyDivision.objects.count() == 13 and Score.objects.count() == scores
