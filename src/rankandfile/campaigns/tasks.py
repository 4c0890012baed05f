"""Background tasks for campaigns (django-tasks): the petition's and events' emails.

A task makes the emailed secrets itself and stores only their digests
(:func:`petition.signature_issue_links`), so no secret ever sits in the task queue; the
signing request commits and answers without waiting for SMTP.
"""

from __future__ import annotations

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django_tasks import task

from rankandfile.campaigns import ics
from rankandfile.campaigns.models import Rsvp, Signature
from rankandfile.campaigns.services import petition
from rankandfile.core import audit, tokens
from rankandfile.core.links import absolute_url as absolute

logger = logging.getLogger(__name__)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def reader_language() -> str:
    """The language of the request that queues an email (the signer's or the replier's),
    passed to the task so that a worker writes the email in it."""
    return translation.get_language() or settings.LANGUAGE_CODE


def _in_language(language: str) -> translation.override:
    """Write in ``language`` if it is one the site offers, else in the default."""
    offered = {code for code, _name in settings.LANGUAGES}
    return translation.override(language if language in offered else settings.LANGUAGE_CODE)


@task()
def send_signature_email(signature_id: int, kind: str, language: str = "") -> str:
    """``confirm``: the double opt-in link (and the withdraw link); ``already``: the
    address has already signed (a withdraw link only). Written in ``language``, the
    signer's when they signed (English if none was given)."""
    with audit.context("task"), _in_language(language):
        sig = Signature.objects.select_related("campaign").filter(pk=signature_id).first()
        if sig is None:
            return "gone"
        links = petition.signature_issue_links(sig.pk, confirm=(kind == "confirm"))
        if links is None:
            return "gone"
        campaign = sig.campaign
        context = {
            "signature": sig,
            "campaign": campaign,
            "confirm_url": absolute(reverse("campaigns:confirm", args=[links.confirm]))
            if links.confirm
            else "",
            "withdraw_url": absolute(reverse("campaigns:withdraw", args=[links.withdraw])),
            "campaign_url": absolute(reverse("campaigns:detail", args=[campaign.slug])),
        }
        template = "confirm" if kind == "confirm" else "already"
        title = {"title": _one_line(campaign.title)}
        subject = (
            gettext("Confirm your signature: %(title)s") % title
            if kind == "confirm"
            else gettext("You have already signed: %(title)s") % title
        )
        body = render_to_string(f"campaigns/email/{template}.txt", context)
        return _send(EmailMessage(subject=subject, body=body, to=[sig.email]))


@task()
def send_rsvp_email(rsvp_id: int, kind: str, cancel_secret: str, language: str = "") -> str:
    """``rsvp``: the reply's acknowledgement with the .ics file and a cancel link;
    ``reminder``: the day before. The reminder carries a fresh cancel link. Written in
    ``language`` (the replier's for the acknowledgement; English if none was given)."""
    with audit.context("task"), _in_language(language):
        rsvp = Rsvp.objects.select_related("event__campaign").filter(pk=rsvp_id).first()
        if rsvp is None:
            return "gone"
        if not cancel_secret:
            import secrets

            cancel_secret = secrets.token_urlsafe(32)
            Rsvp.objects.filter(pk=rsvp.pk).update(cancel_digest=tokens.digest(cancel_secret))
        event = rsvp.event
        event_url = absolute(reverse("campaigns:event", args=[event.campaign.slug, event.pk]))
        context = {
            "rsvp": rsvp,
            "event": event,
            "campaign": event.campaign,
            "cancel_url": absolute(reverse("campaigns:rsvp_cancel", args=[cancel_secret])),
            "event_url": absolute(reverse("campaigns:event", args=[event.campaign.slug, event.pk])),
        }
        title = {"title": _one_line(event.title)}
        subject = (
            gettext("You're coming: %(title)s") % title
            if kind == "rsvp"
            else gettext("Reminder: %(title)s") % title
        )
        body = render_to_string("campaigns/email/rsvp.txt", {**context, "kind": kind})
        message = EmailMessage(subject=subject, body=body, to=[rsvp.email])
        message.attach("event.ics", ics.event_ics(event, url=event_url), "text/calendar")
        return _send(message)


def _send(message: EmailMessage) -> str:
    try:
        message.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("campaign email to a signer failed: %s", type(exc).__name__)
        return "failed"
    return "sent"
