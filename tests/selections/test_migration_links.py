"""Migration 0002: frozen absolute links in selection ballots become site paths."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from rankandfile.ballots.models import Ballot
from rankandfile.selections.models import Selection
from tests.ballots.factories import BallotFactory, OptionFactory

migration = importlib.import_module("rankandfile.selections.migrations.0002_ballot_links_as_paths")


@pytest.mark.django_db
def test_frozen_links_become_paths_and_other_text_is_untouched(selection: Selection) -> None:
    ballot = BallotFactory(
        description=f"Statements: http://127.0.0.1:8000/selections/{selection.pk}/",
        options=(),
    )
    option = OptionFactory(
        ballot=ballot,
        position=0,
        description=f"https://old.example.org/selections/{selection.pk}/candidates/7/",
    )
    other = BallotFactory(description="See http://127.0.0.1:8000/selections/1/")
    Selection.objects.filter(pk=selection.pk).update(ballot=ballot)
    migration.to_paths(apps, None)
    ballot.refresh_from_db()
    option.refresh_from_db()
    assert ballot.description == f"Statements: /selections/{selection.pk}/"
    assert option.description == f"/selections/{selection.pk}/candidates/7/"
    # Not a selection's ballot: left as its author wrote it.
    assert Ballot.objects.get(pk=other.pk).description == "See http://127.0.0.1:8000/selections/1/"
