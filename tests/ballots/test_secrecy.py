"""Secrecy by construction: nothing links a member to their ballot paper.

The record that a member voted (:class:`VoteRecord`) and the paper (:class:`Paper`) share
no key, no foreign key, no timestamp and no sequential id. These tests walk the schema of
every installed app and the admin registry, so a field or admin page added anywhere later
that opens a path from a member to a paper fails here.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.core import serializers
from django.db import models

from rankandfile.ballots import invitations, services, tally
from rankandfile.ballots.models import Ballot, Elector, Paper, SealedPaper, VoteRecord
from rankandfile.core.models import AuditEntry, User
from rankandfile.membership.models import Member
from tests.ballots.factories import AFTER, CLOSES, DURING, FREEZE, OPENS, electors, open_ballot
from tests.conftest import Party

TIME_FIELDS = (models.DateField, models.DateTimeField, models.TimeField, models.DurationField)
SEQUENTIAL_PKS = (models.AutoField, models.BigAutoField, models.SmallAutoField)


def _relation_graph() -> dict[type[models.Model], set[type[models.Model]]]:
    """Every model and the models it is related to, in both directions: a foreign key,
    one-to-one or many-to-many (with its through table), forward or reverse."""
    graph: dict[type[models.Model], set[type[models.Model]]] = {}
    for model in apps.get_models(include_auto_created=True):
        graph.setdefault(model, set())
        for field in model._meta.get_fields(include_hidden=True):
            if field.is_relation and field.related_model not in (None, "self"):
                other = field.related_model
                assert isinstance(other, type)
                graph[model].add(other)
                graph.setdefault(other, set()).add(model)
            if isinstance(field, models.ManyToManyField):
                through = field.remote_field.through
                graph[model].add(through)  # type: ignore[arg-type]
                graph.setdefault(through, set()).add(model)  # type: ignore[arg-type]
    return graph


def _reachable(
    graph: dict[type[models.Model], set[type[models.Model]]],
    start: type[models.Model],
    avoid: type[models.Model],
) -> set[type[models.Model]]:
    seen = {start}
    queue = deque([start])
    while queue:
        for nxt in graph.get(queue.popleft(), ()):
            if nxt is not avoid and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def test_the_only_path_to_a_paper_is_the_ballot_as_a_whole() -> None:
    graph = _relation_graph()
    # Paper is related to exactly one model: its ballot (a fan-out to every paper of it).
    assert graph[Paper] == {Ballot}
    # With the ballot taken out, nothing that knows a person reaches a paper.
    for start in (Member, User, Elector, VoteRecord):
        assert Paper not in _reachable(graph, start, avoid=Ballot), start
    # And the only way from VoteRecord to anything about papers is, likewise, the ballot.
    assert graph[VoteRecord] == {Ballot, Member}


def test_no_private_or_generic_relations_could_point_at_a_paper() -> None:
    for model in apps.get_models(include_auto_created=True):
        assert not model._meta.private_fields, (model, model._meta.private_fields)


def test_paper_carries_nothing_that_orders_or_identifies_it() -> None:
    fields = {f.name: f for f in Paper._meta.get_fields(include_hidden=True)}
    # An allow-list: a new field on Paper must be reviewed here. ``section`` (decision
    # 0025): the voter's electorate section, written only at the close with the other
    # papers in random order, never published with the paper, counted only in sections
    # of at least ELECTION_SECTION_MIN_PAPERS papers; it names a group, not a voter.
    assert set(fields) == {"id", "ballot", "tracking_code", "choice", "section"}
    assert fields["section"].choices is not None  # one of three words, nothing else
    relations = [f.name for f in fields.values() if f.is_relation]
    assert relations == ["ballot"]
    assert not any(isinstance(f, TIME_FIELDS) for f in fields.values())
    assert isinstance(Paper._meta.pk, models.UUIDField)
    assert not isinstance(Paper._meta.pk, SEQUENTIAL_PKS)
    assert not Paper._meta.ordering
    assert not Paper._meta.get_latest_by


def test_a_sealed_paper_carries_nothing_that_orders_or_identifies_it() -> None:
    fields = {f.name: f for f in SealedPaper._meta.get_fields(include_hidden=True)}
    assert set(fields) == {"id", "ballot", "code_digest", "sealed", "mixed"}
    assert [f.name for f in fields.values() if f.is_relation] == ["ballot"]
    assert not any(isinstance(f, TIME_FIELDS) for f in fields.values())
    assert isinstance(SealedPaper._meta.pk, models.UUIDField)
    assert not SealedPaper._meta.ordering
    graph = _relation_graph()
    assert graph[SealedPaper] == {Ballot}
    for start in (Member, User, Elector, VoteRecord):
        assert SealedPaper not in _reachable(graph, start, avoid=Ballot), start
    assert SealedPaper not in admin.site._registry


def test_vote_record_carries_no_time_and_no_order() -> None:
    fields = {f.name: f for f in VoteRecord._meta.get_fields(include_hidden=True)}
    # A supporter's vote record names the supporter (decision 0025), as a member's the
    # member: that they voted, never how.
    assert set(fields) == {"id", "ballot", "member", "supporter_id"}
    assert not any(isinstance(f, TIME_FIELDS) for f in fields.values())
    assert isinstance(VoteRecord._meta.pk, models.UUIDField)
    assert not VoteRecord._meta.ordering


def test_no_model_points_at_a_paper_or_a_vote_record() -> None:
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields(include_hidden=True):
            if field.is_relation and not field.auto_created and field.concrete:
                assert field.related_model not in (Paper, VoteRecord), f"{model}.{field.name}"
            if isinstance(field, models.ManyToManyField):
                assert field.related_model not in (Paper, VoteRecord), f"{model}.{field.name}"


def test_tracking_codes_are_stored_nowhere_else() -> None:
    for model in apps.get_models(include_auto_created=True):
        if model is Paper:
            continue
        for field in model._meta.get_fields():
            assert "tracking" not in field.name, f"{model._meta.label}.{field.name}"
            assert "receipt" not in field.name, f"{model._meta.label}.{field.name}"


def test_the_admin_shows_neither_papers_nor_vote_records() -> None:
    registry = admin.site._registry
    assert Paper not in registry
    assert VoteRecord not in registry
    # Lookup parts that would lead to a paper, a vote record, a choice or a link's token.
    forbidden = {"papers", "vote_records", "tracking_code", "choice", "token_digest"}
    for model, model_admin in registry.items():
        for inline in model_admin.inlines:
            assert inline.model not in (Paper, VoteRecord), (model, inline)
        for attr in (
            "list_display",
            "list_filter",
            "search_fields",
            "fields",
            "readonly_fields",
            "raw_id_fields",
            "ordering",
            "autocomplete_fields",
        ):
            for entry in getattr(model_admin, attr, None) or ():
                names = entry if isinstance(entry, list | tuple) else [entry]
                for name in names:
                    parts = set(str(name).lstrip("-=^@").split("__"))
                    assert not parts & forbidden, (model, attr, entry)


@pytest.mark.django_db
def test_a_whole_ballot_leaves_no_choice_or_code_outside_the_papers(
    party: Party, django_capture_on_commit_callbacks: Any
) -> None:
    """Run a ballot from creation to declaration, then search every row of every table
    (except the papers themselves and the published download) for any tracking code."""
    officer = party.clp_secretary
    ballot = services.ballot_create(
        actor=officer,
        title="Delegate",
        method="av",
        opens_at=OPENS,
        closes_at=CLOSES,
        freeze_date=FREEZE,
        clp=party.northtown,
        options=[services.OptionSpec("Ada"), services.OptionSpec("Bo")],
    )
    ballot = services.ballot_open(actor=officer, ballot=ballot)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.ballot_invite(actor=officer, ballot=ballot)
    choices = [[1, 0], [0], [1]]
    with time_machine.travel(DURING, tick=False):
        codes = [
            services.ballot_cast(ballot=ballot, elector=e, choice=c).tracking_code
            for e, c in zip(electors(ballot), choices, strict=True)
        ]
        with django_capture_on_commit_callbacks(execute=True):
            invitations.ballot_remind(actor=officer, ballot=ballot)
    with time_machine.travel(AFTER, tick=False):
        tally.ballot_close(actor=officer, ballot=ballot)
    tally.ballot_recount(actor=party.scrutineer, ballot=ballot)
    tally.ballot_declare(actor=officer, ballot=ballot)

    entries = list(AuditEntry.objects.order_by("seq"))
    assert {e.action for e in entries} >= {
        "ballots.ballot.create",
        "ballots.ballot.open",
        "ballots.ballot.invite",
        "ballots.ballot.remind",
        "ballots.ballot.close",
        "ballots.ballot.count",
        "ballots.ballot.recount",
        "ballots.ballot.declare",
    }
    audit_text = serializers.serialize("json", entries)
    for code in codes:
        assert code not in audit_text
    for entry in entries:
        assert entry.object_type not in ("ballots.paper", "ballots.voterecord")
        assert not {"choice", "choices", "preferences", "tracking_code"} & set(entry.data)
        assert "cast" not in entry.action and "vote" not in entry.action

    # Every table, every row: tracking codes live only in Paper and the published papers.
    for model in apps.get_models(include_auto_created=True):
        if model is Paper or model._meta.proxy:
            continue
        rows = model._default_manager.all()
        if model is Ballot:
            rows = rows.defer("papers_blt", "papers_csv")
            text = serializers.serialize(
                "json", rows, fields=[f.name for f in model._meta.fields if "papers_" not in f.name]
            )
        else:
            text = serializers.serialize("json", rows)
        for code in codes:
            assert code not in text, model._meta.label
    assert sorted(Paper.objects.values_list("tracking_code", flat=True)) == sorted(codes)


@pytest.mark.django_db
def test_neither_storage_nor_publication_order_follows_the_voting_order() -> None:
    ballot = open_ballot(voters=12)
    with time_machine.travel(DURING, tick=False):
        codes = [
            services.ballot_cast(ballot=ballot, elector=e, choice=[0]).tracking_code
            for e in electors(ballot)
        ]
    # Random UUID keys: the database's key order is not the casting order (1 in 12!).
    assert list(Paper.objects.order_by("pk").values_list("tracking_code", flat=True)) != codes
    with time_machine.travel(AFTER, tick=False):
        tally.ballot_close(actor=None, ballot=ballot)
    ballot.refresh_from_db()
    published = [
        line.split(")")[0][1:] for line in ballot.papers_blt.splitlines() if line[:1] == "("
    ]
    assert sorted(published) == sorted(codes)
    assert published != codes  # shuffled at publication (1 in 12! to fail by chance)
