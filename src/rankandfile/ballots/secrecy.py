"""Secrecy against a reader of the database: sealed papers, the mixer, the box at close.

The threat (issue 12): someone with a full copy of the database — system columns, row
order, sequences, statistics — taken at any moment of a ballot. PostgreSQL stamps every
row with the id of the transaction that wrote it (``xmin``) and stores rows in the order
they were written (``ctid``; SQLite: ``rowid``), so a paper written in the voter's
transaction is tied to the voter's :class:`~rankandfile.ballots.models.VoteRecord` (and
to the end of their one-time link) however carefully the columns avoid it.

So while a ballot is open no paper is stored in the clear (decision
``docs/decisions/0014-secrecy-mixer.md``):

1. **Casting** writes the vote record and a :class:`SealedPaper` in one transaction: the
   tracking code and the choice as JSON, padded to one length for the whole ballot, sealed
   with AES-256-GCM under a per-ballot key derived (HKDF-SHA256) from
   ``BALLOT_SECRECY_KEY`` (default ``SECRET_KEY``) — a key that is not in the database —
   with the ballot's id as associated data; and an HMAC of the tracking code under a
   second per-ballot key, unique per ballot, so no two voters are given one code.
2. **The mixer** (:func:`mix`, a task enqueued by the vote that brings a ballot's pending
   papers to a multiple of ``BALLOT_MIX_BATCH``, at least 50, and swept by
   ``ballots_close_due``) moves all pending papers of a ballot, re-sealed with fresh
   nonces and given new random ids, into the sealed box in random order, in its own
   transaction, deleting the pending rows. A copy of the database then ties a voter to a
   batch of at least 50 at most — and only to sealed bytes in it.
3. **At close** (:func:`open_box`, inside the closing transaction) every sealed paper is
   opened and written as a :class:`Paper` in random order, and the sealed rows are
   deleted: every paper has the closing transaction's id and a random place on disk.
   After the commit, PostgreSQL's ``VACUUM`` removes the dead row versions
   (:func:`vacuum`).

The vote paths lock the ballot row ``FOR KEY SHARE`` and insist it is open in the same
statement or transaction as the vote, and closing locks it ``FOR UPDATE``: a vote either
commits before the close (and its paper is opened there) or is refused as "not open".
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import connections, router, transaction

from rankandfile.ballots.models import (
    SECTIONS,
    Ballot,
    Method,
    Paper,
    PaperSection,
    SealedPaper,
    Section,
)
from rankandfile.core.errors import DomainError

logger = logging.getLogger(__name__)

MIN_BATCH = 50
_NONCE = 12
_SALT = b"rankandfile ballot secrecy v1"
_PAD_BLOCK = 64


class SealBroken(DomainError):
    """A sealed paper does not open: the secret changed, or the row was altered."""


def batch_size() -> int:
    """Pending papers are mixed this many (at least :data:`MIN_BATCH`) at a time."""
    return max(MIN_BATCH, int(getattr(settings, "BALLOT_MIX_BATCH", 100)))


def _master() -> bytes:
    secret = getattr(settings, "BALLOT_SECRECY_KEY", "") or settings.SECRET_KEY
    return str(secret).encode()


@dataclass(frozen=True)
class _Keys:
    aead: AESGCM
    mac: bytes
    aad: bytes


_KEYS: dict[tuple[bytes, int], _Keys] = {}


def _keys(ballot_id: int) -> _Keys:
    master = _master()
    fingerprint = hashlib.sha256(master).digest()
    found = _KEYS.get((fingerprint, ballot_id))
    if found is None:
        material = HKDF(
            algorithm=hashes.SHA256(),
            length=64,
            salt=_SALT,
            info=f"ballot {ballot_id}".encode(),
        ).derive(master)
        if len(_KEYS) > 1000:
            _KEYS.clear()
        found = _KEYS[(fingerprint, ballot_id)] = _Keys(
            aead=AESGCM(material[:32]), mac=material[32:], aad=f"ballot {ballot_id}".encode()
        )
    return found


def padded_length(n_options: int) -> int:
    """The length every sealed paper of a ballot with ``n_options`` options has before
    sealing: the longest possible paper (every option ranked, or ``"abstain"``, with a
    20-character code and the longest section name), rounded up to 64 bytes. So the
    ciphertext says nothing about how many preferences a voter gave, nor about the
    voter's section."""
    section = max(SECTIONS, key=len)
    longest = max(
        len(_text("X" * 20, list(range(max(n_options, 1))), section)),
        len(_text("X" * 20, "abstain", section)),
    )
    return -(-longest // _PAD_BLOCK) * _PAD_BLOCK


def _text(code: str, choice: Any, section: str) -> str:
    return json.dumps({"c": code, "v": choice, "s": section}, separators=(",", ":"))


def code_digest(ballot_id: int, code: str) -> str:
    """The keyed hash of a tracking code stored beside its sealed paper."""
    return hmac.new(_keys(ballot_id).mac, code.encode(), hashlib.sha256).hexdigest()


def seal(
    ballot_id: int, code: str, choice: Any, n_options: int, section: str = Section.MEMBER
) -> tuple[str, bytes]:
    """``(code_digest, sealed bytes)`` for a paper of the ballot cast by a voter of the
    electorate ``section`` (sealed with the paper: nothing of it is in the clear)."""
    if section not in SECTIONS:
        raise ValueError(f"unknown electorate section {section!r}")
    keys = _keys(ballot_id)
    plain = _text(code, choice, str(section)).encode()
    size = max(padded_length(n_options), -(-len(plain) // _PAD_BLOCK) * _PAD_BLOCK)
    plain = plain.ljust(size, b" ")
    nonce = os.urandom(_NONCE)
    return code_digest(ballot_id, code), nonce + keys.aead.encrypt(nonce, plain, keys.aad)


def _open(ballot_id: int, sealed: bytes) -> bytes:
    keys = _keys(ballot_id)
    try:
        return keys.aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], keys.aad)
    except (InvalidTag, ValueError) as exc:
        raise SealBroken(
            "a sealed paper of this ballot does not open: BALLOT_SECRECY_KEY (or SECRET_KEY "
            "when it is unset) is not the secret in use when the vote was cast, or the "
            "row was altered; restore the secret and close the ballot again — nothing "
            "has been counted or lost"
        ) from exc


def unseal(ballot_id: int, sealed: bytes | memoryview) -> tuple[str, Any]:
    """``(tracking code, choice)`` of a sealed paper."""
    code, choice, _section = unseal_paper(ballot_id, sealed)
    return code, choice


def unseal_paper(ballot_id: int, sealed: bytes | memoryview) -> tuple[str, Any, str]:
    """``(tracking code, choice, section)`` of a sealed paper (papers sealed before
    sections existed read as the members' section)."""
    data = json.loads(_open(ballot_id, bytes(sealed)))
    return str(data["c"]), data["v"], str(data.get("s", Section.MEMBER))


def _reseal(ballot_id: int, sealed: bytes | memoryview) -> bytes:
    keys = _keys(ballot_id)
    plain = _open(ballot_id, bytes(sealed))
    nonce = os.urandom(_NONCE)
    return nonce + keys.aead.encrypt(nonce, plain, keys.aad)


def _shuffle(items: list[Any]) -> None:
    secrets.SystemRandom().shuffle(items)


# --- voting -----------------------------------------------------------------------------
def mix_due_after(pending: int) -> bool:
    """Whether the vote that left ``pending`` papers pending (its own included) asks for a
    mix: each time the count reaches a multiple of the batch size."""
    return pending > 0 and pending % batch_size() == 0


def request_mix(ballot_id: int, using: str | None = None) -> None:
    """Enqueue :func:`mix` for the ballot once the current transaction commits (at once in
    autocommit). A failure to enqueue is logged, never raised: the vote is already
    committed and the sweep in ``ballots_close_due`` mixes what is left."""

    def enqueue() -> None:
        try:
            from rankandfile.ballots.tasks import mix_ballot_task

            mix_ballot_task.enqueue(ballot_id)
        except Exception:  # the vote stands; the sweep or the close mixes these papers
            logger.exception("could not enqueue the mixer for ballot %s", ballot_id)

    transaction.on_commit(enqueue, using=using)


# --- the mixer --------------------------------------------------------------------------
def mix(ballot_id: int, *, minimum: int | None = None) -> int:
    """Move every pending paper of an open ballot into the sealed box, in random order and
    re-sealed, in one transaction that also deletes the pending rows; the number moved.

    Does nothing (0) when fewer than ``minimum`` (default: the batch size) are pending,
    when the ballot is not open, or — on PostgreSQL — when another mixer holds the ballot
    (``FOR NO KEY UPDATE SKIP LOCKED``, which does not block votes: they hold the row
    ``FOR KEY SHARE``). A crash leaves everything as it was (one transaction).
    """
    minimum = batch_size() if minimum is None else max(1, minimum)
    alias = router.db_for_write(SealedPaper)
    connection = connections[alias]
    with transaction.atomic(using=alias):
        ballots = Ballot.objects.using(alias).filter(pk=ballot_id, state=Ballot.State.OPEN)
        if connection.vendor == "postgresql":
            ballots = ballots.select_for_update(no_key=True, skip_locked=True)
        if not list(ballots.values_list("pk", flat=True)):
            return 0
        pending = list(
            SealedPaper.objects.using(alias)
            .filter(ballot_id=ballot_id, mixed=False)
            .values_list("id", "code_digest", "sealed")
        )
        if not pending or len(pending) < minimum:
            return 0
        moved = [
            SealedPaper(
                ballot_id=ballot_id,
                code_digest=digest,
                sealed=_reseal(ballot_id, sealed),
                mixed=True,
            )
            for _pk, digest, sealed in pending
        ]
        _shuffle(moved)
        SealedPaper.objects.using(alias).filter(pk__in=[pk for pk, _, _ in pending]).delete()
        SealedPaper.objects.using(alias).bulk_create(moved, batch_size=1000)
    return len(moved)


def mix_open_ballots() -> dict[int, int]:
    """The sweep: mix every open ballot with at least a batch pending."""
    done: dict[int, int] = {}
    for ballot_id in Ballot.objects.filter(state=Ballot.State.OPEN).values_list("pk", flat=True):
        moved = mix(ballot_id)
        if moved:
            done[ballot_id] = moved
    return done


# --- the close --------------------------------------------------------------------------
def open_box(ballot: Ballot) -> int:
    """Open every sealed paper of the ballot and write it as a :class:`Paper` (with the
    section sealed in it), all in random order, deleting the sealed rows; the number
    opened. Must run inside the closing transaction (the ballot row locked ``FOR
    UPDATE``, state closed), so it is all or nothing with the count. Raises
    :class:`SealBroken` (and so changes nothing) if any paper does not open."""
    alias = router.db_for_write(Paper)
    connection = connections[alias]
    if not connection.in_atomic_block:  # pragma: no cover - a programming error
        raise RuntimeError("open_box must run inside the closing transaction")
    box = SealedPaper.objects.using(alias).filter(ballot_id=ballot.pk)
    sealed = list(box.values_list("sealed", flat=True))
    if not sealed:
        return 0
    rows = as_published([unseal_paper(ballot.pk, blob) for blob in sealed], ballot)
    _shuffle(rows)
    if connection.vendor == "postgresql":
        _copy_papers(connection, ballot.pk, rows)
    else:
        papers = [
            Paper(ballot_id=ballot.pk, tracking_code=c, choice=v, section=s) for c, v, s in rows
        ]
        Paper.objects.using(alias).bulk_create(papers, batch_size=2000)
    box._raw_delete(alias)
    transaction.on_commit(lambda: vacuum(alias), using=alias)
    return len(rows)


# --- sections at the close (decision 0025) ------------------------------------------------
def section_min_papers() -> int:
    """``ELECTION_SECTION_MIN_PAPERS``: the fewest papers a section published by itself
    may hold (default 100)."""
    return max(1, int(getattr(settings, "ELECTION_SECTION_MIN_PAPERS", 100)))


def breaks_down_by_section(ballot: Ballot) -> bool:
    """Whether the ballot's result is published by electorate section (AV contests whose
    rules say so): otherwise no section is kept on its papers at all."""
    return bool(ballot.publish_by_section) and ballot.method == Method.AV


def published_sections(counts: Mapping[str, int], k: int) -> tuple[dict[str, str], str]:
    """Which sections may be published, as ``{paper section: published section}``, and
    why in a word (``""``, ``"members_only"``, ``"merged"`` or ``"too_few"``). Every
    published section must hold at least ``k`` papers: the two supporters' sections are
    merged into "supporters" when either is smaller, and nothing is broken down when a
    section is still smaller (empty sections are left out; papers whose section was not
    recorded at the close are never broken down)."""
    present = {s: n for s, n in counts.items() if n > 0}
    if PaperSection.NOT_RECORDED in present:
        return {}, "too_few"
    if set(present) <= {Section.MEMBER.value}:
        return {}, "members_only"
    if all(n >= k for n in present.values()) and len(present) > 1:
        return {s: s for s in present}, ("merged" if PaperSection.SUPPORTERS in present else "")
    supporters = sum(n for s, n in present.items() if s != Section.MEMBER)
    members = present.get(Section.MEMBER, 0)
    if members >= k and supporters >= k:
        merge = {s: (s if s == Section.MEMBER else PaperSection.SUPPORTERS) for s in present}
        return merge, "merged"
    return {}, "too_few"


def as_published(rows: list[tuple[str, Any, str]], ballot: Ballot) -> list[tuple[str, Any, str]]:
    """The opened papers with their sections no finer than they will be published: a
    ballot not broken down by section keeps none, a section under the minimum is merged
    into "supporters" or, if still too small, no paper keeps its section. What is written
    in the clear at the close is then no more than the published figures say, so a copy of
    the database cannot pick out a small section's papers (with their tracking codes) and
    match them to the few electors the roll shows in that section."""
    mapping: dict[str, str] = {}
    if breaks_down_by_section(ballot):
        counts = Counter(section for _code, _choice, section in rows)
        mapping, _why = published_sections(counts, section_min_papers())
    blank = PaperSection.NOT_RECORDED.value
    return [(code, choice, str(mapping.get(section, blank))) for code, choice, section in rows]


def _copy_papers(connection: Any, ballot_id: int, rows: list[tuple[str, Any, str]]) -> None:
    meta = Paper._meta
    qn = connection.ops.quote_name
    column = {f.name: f.column for f in meta.concrete_fields}
    names = ("id", "ballot", "tracking_code", "choice", "section")
    columns = ", ".join(qn(column[name]) for name in names)
    texts: dict[str, str] = {}
    copy_sql = f"COPY {qn(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
        for code, choice, section in rows:
            key = repr(choice)
            text = texts.get(key)
            if text is None:
                text = texts[key] = json.dumps(choice)
            copy.write_row((str(uuid.uuid4()), ballot_id, code, text, section))


def vacuum(alias: str = "default") -> bool:
    """PostgreSQL: ``VACUUM`` the sealed and the paper tables, so the dead row versions a
    vote, a mix or the close left behind (the voters' transaction ids among them) are
    gone from the files. Needs autocommit (it cannot run in a transaction); returns
    whether it ran."""
    connection = connections[alias]
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return False
    qn = connection.ops.quote_name
    tables = ", ".join(qn(m._meta.db_table) for m in (SealedPaper, Paper))
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM {tables}")
    except Exception:  # autovacuum gets there too; the count stands
        logger.exception("VACUUM after closing a ballot failed")
        return False
    return True
