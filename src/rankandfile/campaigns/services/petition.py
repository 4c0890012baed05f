"""The double opt-in petition (``docs/rules/campaigns.md`` §2): signing, confirming,
withdrawing. The public's actions write no audit entry: the log is append-only and
must not keep personal data past the retention date.
"""

from __future__ import annotations

import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from rankandfile.campaigns import permissions
from rankandfile.campaigns.models import (
    NAME_MAX,
    TOWN_MAX,
    Campaign,
    Signature,
)
from rankandfile.campaigns.services.common import (
    LinkInvalid,
    savepoint_if_nested,
    setting,
)
from rankandfile.campaigns.services.ratelimit import allow, ip_limit
from rankandfile.campaigns.validation import (
    Invalid,
    clean_text,
    normalise_email,
    normalise_postcode,
)
from rankandfile.core.errors import DomainError, NotFound
from rankandfile.core.tokens import digest as token_digest

SignKind = Literal["new", "resent", "already_signed", "throttled"]

RATE_LIMITED_MESSAGE = (
    "Too many signatures from your connection in the last few minutes. "
    "Please wait a while and try again."
)
CLOSED_MESSAGE = gettext_noop("This petition is not open for signatures.")


@dataclass(frozen=True)
class SignResult:
    kind: SignKind
    signature_id: int | None


@dataclass(frozen=True)
class SignatureInput:
    """What the public signing form carries, checked by :func:`check_signature_input`."""

    first_name: str
    last_name: str
    email: str
    postcode: str
    town: str
    lives_in_constituency: bool
    consent: bool
    show_publicly: bool


def check_signature_input(raw: SignatureInput) -> tuple[SignatureInput, dict[str, str]]:
    """Normalise every field; return the cleaned input and a message per bad field."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    checks: dict[str, Callable[[str], str]] = {
        "first_name": partial(clean_text, label=gettext_noop("first name"), max_length=NAME_MAX),
        "last_name": partial(clean_text, label=gettext_noop("last name"), max_length=NAME_MAX),
        "email": normalise_email,
        "postcode": normalise_postcode,
        "town": partial(
            clean_text, label=gettext_noop("town"), max_length=TOWN_MAX, required=False
        ),
    }
    for name, fn in checks.items():
        try:
            values[name] = fn(getattr(raw, name))
        except Invalid as exc:
            errors[name] = str(exc)
    if not raw.consent:
        errors["consent"] = "Tick the box to agree to the use of your data, or we cannot count you."
    if not raw.lives_in_constituency:
        errors["lives_in_constituency"] = (
            "This petition is for people who live in the constituency: tick the box if you do."
        )
    if errors:
        return raw, errors
    return (
        SignatureInput(
            lives_in_constituency=True,
            consent=True,
            show_publicly=bool(raw.show_publicly),
            **values,
        ),
        {},
    )


def emails_per_address() -> int:
    """At most this many petition emails to one address for one signature (default 3)."""
    return int(setting("CAMPAIGN_EMAILS_PER_ADDRESS", 3))


def signature_sign(*, campaign: Campaign, data: SignatureInput, notify: bool = True) -> SignResult:
    """Record a signature awaiting confirmation and email the confirmation link (§2).

    ``data`` must have passed :func:`check_signature_input`. One signature per email per
    campaign (a database constraint): signing again with the same address creates
    nothing; an unconfirmed signer is sent their link again, a confirmed one is told they
    have already signed — by email, so this page never reveals who has signed. At most
    ``CAMPAIGN_EMAILS_PER_ADDRESS`` emails per signature.
    """
    if not campaign.accepts_signatures:
        raise DomainError(gettext(CLOSED_MESSAGE))
    now = timezone.now()
    try:
        with savepoint_if_nested():
            sig = Signature.objects.create(
                campaign=campaign,
                first_name=data.first_name,
                last_name=data.last_name,
                email=data.email,
                postcode=data.postcode,
                town=data.town,
                lives_in_constituency=data.lives_in_constituency,
                consent=data.consent,
                show_publicly=data.show_publicly,
                created_at=now,
                emails_sent=1 if notify else 0,
            )
            kind: SignKind = "new"
            if notify:
                _queue_email(sig.pk, "confirm")
    except IntegrityError:
        existing = next(
            iter(Signature.objects.filter(campaign=campaign, email=data.email)[:1]), None
        )
        if existing is None:  # withdrawn between the insert and this read
            raise DomainError(gettext("Please try again.")) from None
        # At most CAMPAIGN_EMAILS_PER_ADDRESS emails to one address for one signature,
        # counted on the row (no extra write when signing for the first time).
        if existing.emails_sent >= emails_per_address():
            return SignResult("throttled", existing.pk)
        kind = "already_signed" if existing.confirmed_at else "resent"
        if notify:
            # Counted now (conditionally), so simultaneous duplicates cannot all send.
            claimed = Signature.objects.filter(
                pk=existing.pk, emails_sent__lt=emails_per_address()
            ).update(emails_sent=F("emails_sent") + 1)
            if not claimed:
                return SignResult("throttled", existing.pk)
            transaction.on_commit(
                partial(_enqueue, existing.pk, "already" if existing.confirmed_at else "confirm")
            )
        return SignResult(kind, existing.pk)
    return SignResult(kind, sig.pk)


def _enqueue(signature_id: int, kind: str) -> None:
    from rankandfile.campaigns import tasks

    tasks.send_signature_email.enqueue(signature_id, kind, tasks.reader_language())


def _queue_email(signature_id: int, kind: str) -> None:
    transaction.on_commit(partial(_enqueue, signature_id, kind))


@dataclass(frozen=True)
class SignatureLinks:
    confirm: str
    withdraw: str


def signature_issue_links(signature_id: int, *, confirm: bool = True) -> SignatureLinks | None:
    """New secrets for a signature's confirm and withdraw links; only their digests are
    stored, so older links stop working. ``None`` if the signature is gone."""
    confirm_secret = secrets.token_urlsafe(32)
    withdraw_secret = secrets.token_urlsafe(32)
    fields: dict[str, Any] = {"withdraw_digest": token_digest(withdraw_secret)}
    if confirm:
        fields["confirm_digest"] = token_digest(confirm_secret)
    updated = Signature.objects.filter(pk=signature_id).update(**fields)
    if not updated:
        return None
    return SignatureLinks(confirm=confirm_secret if confirm else "", withdraw=withdraw_secret)


ConfirmKind = Literal["confirmed", "already_confirmed"]


@dataclass(frozen=True)
class ConfirmResult:
    kind: ConfirmKind
    campaign: Campaign
    first_name: str


@transaction.atomic
def signature_confirm(*, secret: str) -> ConfirmResult:
    """Count a signature: the second step of double opt-in (§2). Idempotent: a replayed
    or duplicated confirmation finds it already confirmed and counts nothing."""
    digest = token_digest(secret)
    sig = (
        next(
            iter(
                Signature.objects.select_related("campaign__constituency").filter(
                    confirm_digest=digest
                )[:1]
            ),
            None,
        )
        if secret
        else None
    )
    if sig is None:
        raise LinkInvalid(
            gettext(
                "This confirmation link is not valid: the signature may have been withdrawn or "
                "deleted, or a newer link was sent. Sign again to get a new link."
            )
        )
    if sig.confirmed_at is not None:
        return ConfirmResult("already_confirmed", sig.campaign, sig.first_name)
    if not sig.campaign.accepts_signatures:
        raise DomainError(
            gettext(
                "This petition is no longer taking signatures, so "
                "your signature could not be counted."
            )
        )
    updated = Signature.objects.filter(pk=sig.pk, confirmed_at__isnull=True).update(
        confirmed_at=timezone.now()
    )
    if not updated:  # a simultaneous confirmation won
        return ConfirmResult("already_confirmed", sig.campaign, sig.first_name)
    Campaign.objects.filter(pk=sig.campaign_id).update(confirmed_count=F("confirmed_count") + 1)
    sig.campaign.refresh_from_db(fields=["confirmed_count"])
    return ConfirmResult("confirmed", sig.campaign, sig.first_name)


def signature_for_withdrawal(secret: str) -> Signature:
    sig = (
        Signature.objects.select_related("campaign")
        .filter(withdraw_digest=token_digest(secret))
        .first()
        if secret
        else None
    )
    if sig is None:
        raise LinkInvalid(
            gettext(
                "This link is not valid: the signature has already been withdrawn and deleted, "
                "or the campaign's data has been deleted."
            )
        )
    return sig


@transaction.atomic
def signature_withdraw(*, secret: str) -> Campaign:
    """Withdraw a signature and delete it with all its personal data (§2)."""
    sig = signature_for_withdrawal(secret)
    deleted, _ = Signature.objects.filter(pk=sig.pk).delete()
    if deleted and sig.confirmed_at is not None:
        Campaign.objects.filter(pk=sig.campaign_id, confirmed_count__gt=0).update(
            confirmed_count=F("confirmed_count") - 1
        )
    return sig.campaign


# --- signing: the use case -------------------------------------------------------------------
class Signing(enum.Enum):
    """What became of a signing request (:func:`petition_sign`)."""

    SIGNED = "signed"  # stored (or a re-send queued): "check your email"
    AGAIN = "again"  # past the emails allowed for this address: "check your email" (again)
    BOT = "bot"  # the honeypot was filled in: looks like success, nothing stored
    NOT_FOUND = "not_found"  # no such campaign, or a draft
    RATE_LIMITED = "rate_limited"
    CLOSED = "closed"
    INVALID = "invalid"  # the form's errors say why
    REFUSED = "refused"  # the service refused (the message says why)


@dataclass(frozen=True)
class SignOutcome:
    result: Signing
    message: str = ""

    @property
    def succeeded(self) -> bool:
        """Answered by "check your email" (a redirect), whatever happened behind it."""
        return self.result in (Signing.SIGNED, Signing.AGAIN, Signing.BOT)


class _Sql:
    def __init__(self, qn: Callable[[str], str]) -> None:
        s, c = Signature._meta, Campaign._meta

        def col(meta: Any, name: str) -> str:
            return qn(meta.get_field(name).column)

        names = [
            "campaign",
            "first_name",
            "last_name",
            "email",
            "postcode",
            "town",
            "lives_in_constituency",
            "consent",
            "show_publicly",
            "confirm_digest",
            "withdraw_digest",
            "created_at",
            "emails_sent",
        ]
        columns = ", ".join(col(s, n) for n in names)
        values = ", ".join(["%s"] * (len(names) - 1))
        # The campaign must be live in the same statement (a petition closed a moment
        # ago takes no more signatures); a second signature by one address inserts
        # nothing (the unique constraint) and is handled by signature_sign.
        self.insert = (
            f"INSERT INTO {qn(s.db_table)} ({columns}) "  # noqa: S608 - names from the models
            f"SELECT c.{col(c, 'id')}, {values} FROM {qn(c.db_table)} c "
            f"WHERE c.{col(c, 'id')} = %s AND c.{col(c, 'state')} = %s "
            f"ON CONFLICT ({col(s, 'campaign')}, {col(s, 'email')}) DO NOTHING "
            f"RETURNING {col(s, 'id')}"
        )
        self.lookup = (
            f"SELECT {col(c, 'id')} FROM {qn(c.db_table)} "  # noqa: S608 - names from the models
            f"WHERE {col(c, 'slug')} = %s AND {col(c, 'state')} <> %s"
        )


_SQL: dict[str, _Sql] = {}
# Per process: slug -> id of public campaigns (a slug never changes; whether the campaign
# is live is checked by the insert itself).
_IDS: dict[str, int] = {}


def _sql() -> _Sql:
    sql = _SQL.get(connection.alias)
    if sql is None:
        sql = _SQL[connection.alias] = _Sql(connection.ops.quote_name)
    return sql


def public_campaign_id(slug: str) -> int | None:
    """The id of the campaign behind ``slug``, drafts excluded (as
    ``permissions.signable_campaign``), kept per process."""
    found = _IDS.get(slug)
    if found is not None:
        return found
    with connection.cursor() as cursor:
        cursor.execute(_sql().lookup, [slug, Campaign.State.DRAFT])
        row = cursor.fetchone()
    if row is None:
        return None
    if len(_IDS) > 1000:
        _IDS.clear()
    _IDS[slug] = int(row[0])
    return int(row[0])


def _tasks_in_this_database() -> bool:
    backend = str(settings.TASKS.get("default", {}).get("BACKEND", ""))
    return backend == "django_tasks_db.DatabaseBackend"


def _insert_if_live(campaign_id: int, data: SignatureInput) -> int | None:
    """One statement: the signature, if the campaign is live and the address has not
    signed; with its confirmation email task in the same transaction when the task queue
    is this database's table (else on commit, as :func:`signature_sign` does)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    params: list[Any] = [
        data.first_name,
        data.last_name,
        data.email,
        data.postcode,
        data.town,
        data.lives_in_constituency,
        data.consent,
        data.show_publicly,
        "",
        "",
        now,
        1,
        campaign_id,
        Campaign.State.LIVE,
    ]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_sql().insert, params)
            row = cursor.fetchone()
        if row is None:
            return None
        if _tasks_in_this_database():
            _enqueue(int(row[0]), "confirm")  # the task row commits with the signature
        else:  # a queue elsewhere must not see the task before the signature exists
            _queue_email(int(row[0]), "confirm")
        return int(row[0])


def petition_sign(
    *, slug: str, is_bot: bool, data: SignatureInput | None, client_ip: str | None
) -> SignOutcome:
    """Sign ``slug``'s petition (§2): the one implementation of the signing request, for
    the view and the lean path alike, which turn the outcome into the answer.

    In order: the campaign (drafts are not found); the honeypot (``is_bot``: looks like
    success, stores nothing); the per-address rate limit (``CAMPAIGN_SIGNS_PER_IP`` per
    ``CAMPAIGN_IP_WINDOW``; a refused request still counts); the petition open; the form
    (``data`` ``None``: invalid, its errors say why); then one signature per email — a
    new one with its confirmation email, or :func:`signature_sign` for an address that
    has signed already (re-send, "already signed", the cap of emails per address).
    """
    campaign_id = public_campaign_id(slug)
    if campaign_id is None:
        return SignOutcome(Signing.NOT_FOUND)
    if is_bot:
        return SignOutcome(Signing.BOT)
    limit, window = ip_limit()
    if not allow(f"campaigns:ip:{client_ip}", limit, window):
        return SignOutcome(Signing.RATE_LIMITED, RATE_LIMITED_MESSAGE)
    if data is None:  # the state decides between "closed" and the form's errors
        try:
            campaign = permissions.signable_campaign(slug)
        except NotFound:
            return SignOutcome(Signing.NOT_FOUND)
        if not campaign.accepts_signatures:
            return SignOutcome(Signing.CLOSED, gettext(CLOSED_MESSAGE))
        return SignOutcome(Signing.INVALID)
    if _insert_if_live(campaign_id, data) is not None:
        return SignOutcome(Signing.SIGNED)
    # Nothing inserted: the address has signed already, or the petition is not live.
    try:
        campaign = permissions.signable_campaign(slug)
    except NotFound:
        return SignOutcome(Signing.NOT_FOUND)
    if not campaign.accepts_signatures:
        return SignOutcome(Signing.CLOSED, gettext(CLOSED_MESSAGE))
    try:
        result = signature_sign(campaign=campaign, data=data)
    except DomainError as exc:
        return SignOutcome(Signing.REFUSED, str(exc))
    return SignOutcome(Signing.AGAIN if result.kind == "throttled" else Signing.SIGNED)
