"""Secrecy against a reader of the database (issue 12): what a full copy of the database
shows — transaction ids (``xmin``), physical row order (``ctid``; SQLite ``rowid``),
dead row versions, sequences — taken during and after a ballot.

The PostgreSQL tests commit every vote in its own transaction (``transaction=True``), as
production does: in a test wrapped in one transaction every row would share one ``xmin``
and the joins below would prove nothing. They run the joins of the issue
(``ballots_paper.xmin = ballots_voterecord.xmin``) and read the heap pages themselves
(``pageinspect``) for row versions that SQL no longer shows. Marked ``postgres``: with
``RANKANDFILE_REQUIRE_POSTGRES=1`` they fail on any other database.
"""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction

from rankandfile.ballots import casting, fastvote, secrecy, services, tally
from rankandfile.ballots.models import Ballot, Elector, Paper, SealedPaper, VoteRecord
from rankandfile.core.tokens import api_token_create
from tests.ballots.factories import AFTER, DURING, electors, open_ballot, sealed_papers
from tests.membership.factories import UserFactory

BATCH = 50


def _require_postgres() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("RANKANDFILE_REQUIRE_POSTGRES") == "1":
            pytest.fail("RANKANDFILE_REQUIRE_POSTGRES=1 but the tests run on " + connection.vendor)
        pytest.skip("reads PostgreSQL's system columns and heap pages")


def _rows(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return list(cursor.fetchall())


def _ctid(text: str) -> tuple[int, int]:
    block, item = text.strip("()").split(",")
    return int(block), int(item)


class Copy:
    """What a reader of a copy of the database taken now sees of one ballot."""

    def __init__(self, ballot_id: int) -> None:
        self.xmin_links = _rows(
            # The join of the issue, as written there.
            "SELECT p.tracking_code, v.member_id FROM ballots_paper p "
            "JOIN ballots_voterecord v ON p.xmin = v.xmin AND p.ballot_id = v.ballot_id "
            "WHERE p.ballot_id = %s",
            [ballot_id],
        )
        self.elector_links = _rows(
            "SELECT p.tracking_code FROM ballots_paper p JOIN ballots_elector e "
            "ON p.xmin = e.xmin AND p.ballot_id = e.ballot_id WHERE p.ballot_id = %s",
            [ballot_id],
        )
        self.mixed_links = _rows(
            "SELECT s.id FROM ballots_sealedpaper s JOIN ballots_voterecord v "
            "ON s.xmin = v.xmin AND s.ballot_id = v.ballot_id "
            "WHERE s.ballot_id = %s AND s.mixed",
            [ballot_id],
        )
        self.pending_links = _rows(
            "SELECT s.id FROM ballots_sealedpaper s JOIN ballots_voterecord v "
            "ON s.xmin = v.xmin AND s.ballot_id = v.ballot_id "
            "WHERE s.ballot_id = %s AND NOT s.mixed",
            [ballot_id],
        )
        self.papers = _rows(
            "SELECT xmin::text, ctid::text, tracking_code FROM ballots_paper WHERE ballot_id = %s",
            [ballot_id],
        )
        self.sealed = _rows(
            "SELECT xmin::text, ctid::text, mixed, sealed FROM ballots_sealedpaper "
            "WHERE ballot_id = %s",
            [ballot_id],
        )
        self.voter_xids = {
            x
            for (x,) in _rows(
                "SELECT xmin::text FROM ballots_voterecord WHERE ballot_id = %s", [ballot_id]
            )
        }


def _heap_xmins(table: str) -> list[int]:
    """Every ``t_xmin`` on the table's heap pages: live rows and dead row versions alike."""
    pages = _rows("SELECT pg_relation_size(%s) / current_setting('block_size')::int", [table])
    xmins: list[int] = []
    for block in range(int(pages[0][0])):
        xmins += [
            int(x)
            for (x,) in _rows(
                "SELECT t_xmin FROM heap_page_items(get_raw_page(%s, %s)) WHERE t_xmin IS NOT NULL",
                [table, block],
            )
        ]
    return xmins


def _sequences() -> dict[str, Any]:
    return {
        f"{s}.{n}": v
        for s, n, v in _rows("SELECT schemaname, sequencename, last_value FROM pg_sequences")
    }


def _voters_with_tokens(ballot: Ballot, every: int = 2) -> dict[int, str]:
    """A login and a personal API token for every ``every``-th elector (the lean path)."""
    tokens: dict[int, str] = {}
    for i, elector in enumerate(electors(ballot)):
        if i % every:
            member = elector.member
            member.user = UserFactory()
            member.save(update_fields=["user"])
            tokens[elector.pk] = api_token_create(actor=member.user, name="vote").secret
    return tokens


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_copy_at_any_moment_links_no_paper_to_its_voter(settings: Any) -> None:
    """120 voters, half by the Django path and half by the lean path, each vote its own
    transaction. Copies taken after every ten votes and after the close: the
    transaction-id joins link nothing, the sealed papers a voter's transaction wrote hold
    no readable code or choice, the box's row order is random within batches of 50, and
    after the close every paper has the closing transaction's id, a random place on disk,
    and no row version left anywhere carries a voter's transaction id."""
    _require_postgres()
    settings.BALLOT_MIX_BATCH = BATCH
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pageinspect")
    ballot = open_ballot(voters=120)
    tokens = _voters_with_tokens(ballot)
    sequences = _sequences()
    rng = random.Random(12)
    cast_order: list[str] = []
    copies: list[Copy] = []
    with time_machine.travel(DURING, tick=False):
        for i, elector in enumerate(electors(ballot)):
            choice = rng.sample([0, 1, 2], rng.randint(1, 3))
            if elector.pk in tokens:
                answer = fastvote.cast_by_token(ballot.pk, tokens[elector.pk], {"choice": choice})
                assert answer is not None and answer[0] == 201, answer
                cast_order.append(answer[1]["tracking_code"])
            else:
                fresh = Ballot.objects.get(pk=ballot.pk)
                receipt = services.ballot_cast(ballot=fresh, elector=elector, choice=choice)
                cast_order.append(receipt.tracking_code)
            if i % 10 == 9:
                copies.append(Copy(ballot.pk))
    # No sequence moved while votes were cast (every key written is a random UUID).
    assert _sequences() == sequences

    for seen in copies:
        assert seen.papers == []  # no paper in the clear while the ballot is open
        assert seen.xmin_links == [] and seen.elector_links == []
        assert seen.mixed_links == []  # a mixed paper shares no transaction with a voter
        pending = [row for row in seen.sealed if not row[2]]
        # Pending papers do share their voter's transaction — sealed: no code, no choice,
        # all of one length.
        assert len(seen.pending_links) == len(pending) < 2 * BATCH
        assert len({len(bytes(row[3])) for row in seen.sealed}) == 1
        for *_, blob in seen.sealed:
            assert not any(code.encode() in bytes(blob) for code in cast_order)
        # The box: every mixer transaction moved at least a batch, none is a voter's.
        batches: dict[str, int] = {}
        for xmin, _ctid_text, mixed, _blob in seen.sealed:
            if mixed:
                batches[xmin] = batches.get(xmin, 0) + 1
        assert all(n >= BATCH for n in batches.values()), batches
        assert not set(batches) & seen.voter_xids
    # The mixer ran without anyone asking: 120 votes, batches of 50.
    assert SealedPaper.objects.filter(ballot=ballot, mixed=True).count() == 100

    # Within a batch the box's row order is not the voting order (by the key, which the
    # reader of a copy does not have): 2 in 50! to fail by chance.
    box = _rows(
        "SELECT xmin::text, ctid::text, sealed FROM ballots_sealedpaper "
        "WHERE ballot_id = %s AND mixed",
        [ballot.pk],
    )
    for xmin in {row[0] for row in box}:
        in_disk_order = [
            secrecy.unseal(ballot.pk, bytes(blob))[0]
            for _x, _c, blob in sorted((r for r in box if r[0] == xmin), key=lambda r: _ctid(r[1]))
        ]
        in_voting_order = [code for code in cast_order if code in set(in_disk_order)]
        assert in_disk_order not in (in_voting_order, in_voting_order[::-1])

    with time_machine.travel(AFTER, tick=False):
        tally.ballot_close(actor=None, ballot=ballot)
    after = Copy(ballot.pk)
    assert len(after.papers) == 120 and sorted(p[2] for p in after.papers) == sorted(cast_order)
    assert after.xmin_links == [] and after.elector_links == []
    assert after.sealed == []
    # One transaction wrote every paper: the close, not a voter's.
    assert len({p[0] for p in after.papers}) == 1
    assert not {p[0] for p in after.papers} & after.voter_xids
    in_disk_order = [p[2] for p in sorted(after.papers, key=lambda p: _ctid(p[1]))]
    assert in_disk_order not in (cast_order, cast_order[::-1])
    # The close vacuumed: no row version of a sealed paper or a paper, live or dead, on
    # any page of either table carries a voter's transaction id.
    voter_xids = {int(x) for x in after.voter_xids}
    assert not voter_xids & set(_heap_xmins("ballots_sealedpaper"))
    assert not voter_xids & set(_heap_xmins("ballots_paper"))
    # And the voter can still find their paper among the published ones.
    ballot.refresh_from_db()
    for code in cast_order[:5]:
        assert tally.lookup_code(ballot, code) is not None
        assert f"({code})" in ballot.papers_blt


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["django", "lean"])
def test_a_vote_waiting_on_the_close_is_refused_not_lost(path: str) -> None:
    """A vote whose transaction meets the ballot row locked by the close waits, then sees
    the ballot closed and is refused: it is never acknowledged and left unopened. Both
    vote paths."""
    _require_postgres()
    import threading

    ballot = open_ballot(voters=2)
    first, second = electors(ballot)
    tokens = _voters_with_tokens(ballot)  # the second elector gets a token
    with time_machine.travel(DURING, tick=False):
        services.ballot_cast(ballot=ballot, elector=first, choice=[0])
    outcome: list[Any] = []
    locked = threading.Event()
    release = threading.Event()

    def closer() -> None:
        try:
            with transaction.atomic():
                Ballot.objects.select_for_update().get(pk=ballot.pk)
                locked.set()
                release.wait(30)
                Ballot.objects.filter(pk=ballot.pk).update(state=Ballot.State.CLOSED)
        finally:
            connection.close()

    def voter() -> None:
        try:
            fresh = Ballot.objects.get(pk=ballot.pk)
            elector = Elector.objects.get(pk=second.pk)
            locked.wait(30)
            if path == "lean":
                answer = fastvote.cast_by_token(ballot.pk, tokens[second.pk], {"choice": [1]})
                assert answer is not None
                outcome.append(answer)
            else:
                outcome.append(services.ballot_cast(ballot=fresh, elector=elector, choice=[1]))
        except Exception as exc:  # the outcome under test
            outcome.append(exc)
        finally:
            connection.close()

    with time_machine.travel(DURING, tick=False):
        threads = [threading.Thread(target=closer), threading.Thread(target=voter)]
        for thread in threads:
            thread.start()
        locked.wait(30)
        threading.Event().wait(0.5)  # the vote is now waiting for the ballot row
        release.set()
        for thread in threads:
            thread.join(60)
    assert len(outcome) == 1, outcome
    if path == "lean":
        assert outcome[0][0] == 400, outcome
        assert outcome[0][1] == {"detail": "this ballot is not open for voting"}
    else:
        assert isinstance(outcome[0], services.BallotNotOpen), outcome
    assert VoteRecord.objects.filter(ballot=ballot).count() == 1
    assert SealedPaper.objects.filter(ballot=ballot).count() == 1


@pytest.mark.django_db(transaction=True)
def test_sqlite_and_postgres_store_the_counted_papers_in_random_order() -> None:
    """On any database: after the close the papers' storage order (SQLite ``rowid``,
    PostgreSQL ``ctid``) is not the voting order, and no sealed row is left."""
    ballot = open_ballot(voters=12)
    with time_machine.travel(DURING, tick=False):
        codes = [
            services.ballot_cast(ballot=ballot, elector=e, choice=[i % 3]).tracking_code
            for i, e in enumerate(electors(ballot))
        ]
    # While open the sealed rows are in voting order on disk — but sealed.
    assert sorted(p.tracking_code for p in sealed_papers(ballot)) == sorted(codes)
    for blob in SealedPaper.objects.filter(ballot=ballot).values_list("sealed", flat=True):
        assert not any(code.encode() in bytes(blob) for code in codes)
    with time_machine.travel(AFTER, tick=False):
        tally.ballot_close(actor=None, ballot=ballot)
    order = "rowid" if connection.vendor == "sqlite" else "ctid"
    stored = [
        code
        for (code,) in _rows(
            f"SELECT tracking_code FROM ballots_paper WHERE ballot_id = %s ORDER BY {order}",  # noqa: S608
            [ballot.pk],
        )
    ]
    assert sorted(stored) == sorted(codes)
    assert stored not in (codes, codes[::-1])  # 2 in 12! to fail by chance
    assert not SealedPaper.objects.filter(ballot=ballot).exists()
    assert Paper.objects.filter(ballot=ballot).count() == 12


def test_every_sealed_paper_of_a_ballot_has_one_length() -> None:
    lengths = {
        len(secrecy.seal(7, casting.new_tracking_code(), choice, 12)[1])
        for choice in ([0], [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0], [3, 4], "yes", "abstain")
    }
    assert len(lengths) == 1
    code = casting.new_tracking_code()
    digest, blob = secrecy.seal(7, code, [1], 12)
    assert secrecy.unseal(7, blob) == (code, [1])
    assert digest == secrecy.code_digest(7, code) and code not in digest
    # Bound to its ballot: another ballot's key does not open it.
    with pytest.raises(secrecy.SealBroken):
        secrecy.unseal(8, blob)


@pytest.mark.django_db
def test_the_mixer_moves_whole_batches_resealed_in_new_rows(monkeypatch: Any) -> None:
    ballot = open_ballot(voters=5)
    with time_machine.travel(DURING, tick=False):
        codes = [
            services.ballot_cast(ballot=ballot, elector=e, choice=[0]).tracking_code
            for e in electors(ballot)
        ]
    before = {p.pk: bytes(p.sealed) for p in SealedPaper.objects.filter(ballot=ballot)}
    assert secrecy.mix(ballot.pk) == 0  # fewer than a batch (50) pending: nothing moves
    assert SealedPaper.objects.filter(ballot=ballot, mixed=False).count() == 5
    assert secrecy.mix(ballot.pk, minimum=5) == 5
    after = list(SealedPaper.objects.filter(ballot=ballot))
    assert len(after) == 5 and all(p.mixed for p in after)
    assert not {p.pk for p in after} & set(before)  # new rows
    assert not {bytes(p.sealed) for p in after} & set(before.values())  # re-sealed
    assert sorted(p.tracking_code for p in sealed_papers(ballot)) == sorted(codes)
    # A closed ballot is not mixed (the close opened its papers).
    with time_machine.travel(AFTER, tick=False):
        tally.ballot_close(actor=None, ballot=ballot)
    assert secrecy.mix(ballot.pk, minimum=1) == 0
    assert Paper.objects.filter(ballot=ballot).count() == 5


@pytest.mark.django_db
def test_the_vote_that_completes_a_batch_starts_the_mixer(
    monkeypatch: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(secrecy, "MIN_BATCH", 2)
    settings.BALLOT_MIX_BATCH = 3
    ballot = open_ballot(voters=4)
    members = electors(ballot)
    with time_machine.travel(DURING, tick=False):
        for elector in members[:2]:
            with django_capture_on_commit_callbacks(execute=True) as callbacks:
                services.ballot_cast(ballot=ballot, elector=elector, choice=[0])
            assert callbacks == []
        assert SealedPaper.objects.filter(ballot=ballot, mixed=False).count() == 2
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            services.ballot_cast(ballot=ballot, elector=members[2], choice=[1])
        assert len(callbacks) == 1
    assert SealedPaper.objects.filter(ballot=ballot, mixed=True).count() == 3
    assert not SealedPaper.objects.filter(ballot=ballot, mixed=False).exists()


@pytest.mark.django_db
def test_the_sweep_mixes_what_a_lost_task_left(monkeypatch: Any, settings: Any) -> None:
    monkeypatch.setattr(secrecy, "MIN_BATCH", 2)
    settings.BALLOT_MIX_BATCH = 2
    ballot = open_ballot(voters=3)
    with time_machine.travel(DURING, tick=False):
        for elector in electors(ballot):  # no on-commit here: the tasks are "lost"
            services.ballot_cast(ballot=ballot, elector=elector, choice=[0])
        assert tally.close_due() == []
    assert not SealedPaper.objects.filter(ballot=ballot, mixed=False).exists()
    assert SealedPaper.objects.filter(ballot=ballot, mixed=True).count() == 3


@pytest.mark.django_db
def test_a_close_with_the_wrong_secret_changes_nothing(settings: Any) -> None:
    ballot = open_ballot(voters=2)
    with time_machine.travel(DURING, tick=False):
        codes = [
            services.ballot_cast(ballot=ballot, elector=e, choice=[1]).tracking_code
            for e in electors(ballot)
        ]
    settings.BALLOT_SECRECY_KEY = "not the secret the papers were sealed with"
    with time_machine.travel(AFTER, tick=False), pytest.raises(secrecy.SealBroken) as raised:
        tally.ballot_close(actor=None, ballot=ballot)
    assert "BALLOT_SECRECY_KEY" in str(raised.value) and "nothing" in str(raised.value)
    ballot.refresh_from_db()
    assert ballot.state == Ballot.State.OPEN
    assert SealedPaper.objects.filter(ballot=ballot).count() == 2
    assert not Paper.objects.filter(ballot=ballot).exists()
    settings.BALLOT_SECRECY_KEY = ""  # back to the secret in use (SECRET_KEY)
    with time_machine.travel(AFTER, tick=False):
        ballot = tally.ballot_close(actor=None, ballot=ballot)
    assert ballot.turnout == 2
    assert sorted(Paper.objects.values_list("tracking_code", flat=True)) == sorted(codes)
