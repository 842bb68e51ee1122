"""Domain errors raised by the workflow and the services, mapped to HTTP by the app."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every error a caller is expected to show to the user."""

    status_code = 400

    def __init__(self, message: Any, **details: Any) -> None:
        # ``message`` is a lazy string (``_l("... %(x)s", x=...)``) born translatable, or a
        # plain English msgid of the catalogue; ``text`` is it in the current language.
        super().__init__(str(message))
        self.message = message
        self.details = details

    @property
    def text(self) -> str:
        """The message in the current language."""
        if isinstance(self.message, str):
            from flask_babel import gettext

            return gettext(self.message)
        return str(self.message)


class InvalidInput(ServiceError):
    """The data given is not acceptable (a missing note, an unknown school, ...)."""

    status_code = 400


class PermissionDenied(ServiceError):
    """The actor may not do this to this object (403)."""

    status_code = 403


class NotFound(ServiceError):
    """The object does not exist or is outside the actor's scope (404)."""

    status_code = 404


class InvalidTransition(ServiceError):
    """The event cannot be fired in the ticket's current state (409)."""

    status_code = 409


class ConflictError(ServiceError):
    """Someone else changed the ticket first; nothing was applied (409)."""

    status_code = 409
