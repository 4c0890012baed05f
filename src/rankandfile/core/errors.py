"""Domain errors. Services raise these with a message a user can act on; views turn them
into form errors or HTTP 400/403/404 responses."""

from __future__ import annotations


class DomainError(Exception):
    """A request that cannot be carried out as asked; the message says why."""


class PermissionDenied(DomainError):
    """The actor may not do this."""


class NotFound(DomainError):
    """No such object, or not one the actor may see (indistinguishable on purpose)."""
