"""One member, one vote, under concurrent submissions.

Two (or more) submissions for the same member start at the same instant (a
:class:`threading.Barrier`), each on its own database connection. Exactly one paper and
one :class:`VoteRecord` must exist afterwards; one submission gets a receipt and every
other gets :class:`AlreadyVoted`.

On PostgreSQL the submissions really overlap: the second ``INSERT`` into the unique index
of ``VoteRecord`` waits for the first transaction and then fails — the database
constraint is what decides. The test is marked ``postgres``; when the suite must run on
PostgreSQL (``RANKANDFILE_REQUIRE_POSTGRES=1``) and the database is anything else, it
fails instead of quietly testing something weaker.

On SQLite the same race runs in the form SQLite's locking allows: one writer at a time.
A file database queues writers itself (``transaction_mode = IMMEDIATE`` and a busy
timeout in the settings), but the test database is in memory with a shared cache, where a
competing writer gets "database table is locked" at once (SQLITE_LOCKED ignores the busy
timeout). So on SQLite the threads still start together and race for a gate, then submit
one after the other; the second meets the unique constraint exactly as on PostgreSQL (the
service makes no "has voted?" check first), and the outcome checked is the same.
"""

from __future__ import annotations

import contextlib
import os
import threading
from typing import Any

import pytest
import time_machine
from django.db import connection

from rankandfile.ballots import services
from rankandfile.ballots.models import Ballot, Elector, SealedPaper, VoteRecord
from rankandfile.ballots.services import AlreadyVoted, Receipt
from tests.ballots.factories import DURING, electors, open_ballot, sealed_papers


def _require_postgres_if_asked() -> None:
    if connection.vendor != "postgresql" and os.environ.get("RANKANDFILE_REQUIRE_POSTGRES") == "1":
        pytest.fail(
            f"RANKANDFILE_REQUIRE_POSTGRES=1 but the tests run on {connection.vendor}: "
            "the concurrent-vote test must run on PostgreSQL"
        )


def _writer_gate() -> Any:
    """One writer at a time on SQLite (see the module docstring); no gate elsewhere."""
    return threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()


def race(ballot_id: int, elector_id: int, choices: list[Any]) -> list[Any]:
    """Submit ``choices`` for one elector from as many threads at once; each thread's
    outcome (a :class:`Receipt` or the exception raised)."""
    barrier = threading.Barrier(len(choices))
    gate = _writer_gate()
    outcomes: list[Any] = [None] * len(choices)

    def submit(i: int) -> None:
        try:
            # Each thread loads its own objects on its own connection.
            ballot = Ballot.objects.get(pk=ballot_id)
            elector = Elector.objects.get(pk=elector_id)
            barrier.wait(timeout=30)
            with gate:
                outcomes[i] = services.ballot_cast(
                    ballot=ballot, elector=elector, choice=choices[i]
                )
        except Exception as exc:  # the outcome under test, whatever it is
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(len(choices))]
    # time-machine patches the clock process-wide, so the threads vote "during" the ballot.
    with time_machine.travel(DURING, tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a submission hung"
    return outcomes


def check_exactly_one(ballot: Ballot, elector: Elector, outcomes: list[Any]) -> None:
    receipts = [o for o in outcomes if isinstance(o, Receipt)]
    refused = [o for o in outcomes if isinstance(o, AlreadyVoted)]
    assert len(receipts) == 1, outcomes
    assert len(refused) == len(outcomes) - 1, outcomes
    assert all("already recorded" in str(o) for o in refused)
    assert VoteRecord.objects.filter(ballot=ballot, member_id=elector.member_id).count() == 1
    papers = sealed_papers(ballot)
    assert [p.tracking_code for p in papers] == [receipts[0].tracking_code]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_count_once() -> None:
    _require_postgres_if_asked()
    ballot = open_ballot(voters=3)
    elector = electors(ballot)[0]
    outcomes = race(ballot.pk, elector.pk, [[0, 1], [2]])
    check_exactly_one(ballot, elector, outcomes)
    elector.refresh_from_db()
    assert elector.token_digest is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_burst_of_submissions_for_one_member_counts_once() -> None:
    _require_postgres_if_asked()
    ballot = open_ballot(voters=2)
    elector = electors(ballot)[1]
    outcomes = race(ballot.pk, elector.pk, [[0], [1], [2], [0, 1]])
    check_exactly_one(ballot, elector, outcomes)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_submissions_by_different_members_all_count() -> None:
    ballot = open_ballot(voters=4)
    members = electors(ballot)
    barrier = threading.Barrier(len(members))
    gate = _writer_gate()
    outcomes: list[Any] = []
    lock = threading.Lock()

    def submit(elector_id: int) -> None:
        try:
            mine = Elector.objects.get(pk=elector_id)
            fresh = Ballot.objects.get(pk=ballot.pk)
            barrier.wait(timeout=30)
            with gate:
                result: Any = services.ballot_cast(ballot=fresh, elector=mine, choice=[0])
        except Exception as exc:  # the outcome under test, whatever it is
            result = exc
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(e.pk,)) for e in members]
    with time_machine.travel(DURING, tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert all(isinstance(o, Receipt) for o in outcomes), outcomes
    assert len(outcomes) == 4
    assert SealedPaper.objects.filter(ballot=ballot).count() == 4
    assert VoteRecord.objects.filter(ballot=ballot).count() == 4
