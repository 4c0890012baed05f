"""``{% task_queue_warning %}``: a banner on officers' pages when queued work (invitations,
confirmations, closings, emails) is waiting and no task worker is doing it
(``core.taskqueue.officer_warning``)."""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from rankandfile.core import taskqueue

register = template.Library()


@register.simple_tag
def task_queue_warning() -> SafeString | str:
    message = taskqueue.officer_warning()
    if message is None:
        return ""
    return format_html(
        '<div class="messages task-queue-warning" role="alert"><p class="message warning">'
        "{}</p></div>",
        message,
    )
