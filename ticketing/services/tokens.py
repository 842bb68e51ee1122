"""One-time links to set a password (first sign-in) or reset it.

No table: the signed payload carries the user id and a fingerprint of the current password
hash and session token. Setting a password changes both, so a used link stops working.
"""

from __future__ import annotations

import hashlib
from datetime import UTC
from typing import Any

from flask import current_app, has_request_context, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from ticketing import notifications
from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import User

INVITE = "invite"
RESET = "reset"
# How long a link lives, in seconds.
MAX_AGE = {INVITE: 72 * 3600, RESET: 2 * 3600}
_SALTS = {INVITE: "ticketing.account.invite", RESET: "ticketing.account.reset"}


class _ClockSigner(TimestampSigner):
    """Timestamps from ticketing.clock, so tests can move time."""

    def get_timestamp(self) -> int:
        """Seconds since the epoch according to the application clock."""
        return int(utcnow().replace(tzinfo=UTC).timestamp())


class InvalidToken(Exception):
    """The link is unknown, expired, already used, or for a disabled account."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("invalid or expired link")
        self.expired = expired


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=_SALTS[purpose], signer=_ClockSigner
    )


def _fingerprint(user: User) -> str:
    material = f"{user.password_hash or ''}|{user.session_token}".encode()
    return hashlib.sha256(material).hexdigest()[:20]


def make_token(user: User, purpose: str) -> str:
    """A signed, expiring token valid until the user's password or sessions change."""
    return str(_serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user)}))


def read_token(token: str, purpose: str) -> User:
    """The active user the token was made for, or raise InvalidToken."""
    try:
        data: Any = _serializer(purpose).loads(token, max_age=MAX_AGE[purpose])
    except SignatureExpired as exc:
        raise InvalidToken(expired=True) from exc
    except BadSignature as exc:
        raise InvalidToken() from exc
    if not isinstance(data, dict):
        raise InvalidToken()
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        raise InvalidToken()
    return user


def link_for(user: User, purpose: str, *, for_email: bool = False) -> str:
    """The absolute URL of a fresh one-time link for the user.

    Links in e-mails are built from BASE_URL, never from the request's Host header, so a
    forged header on the public "forgot password" page cannot point a link elsewhere.
    """
    token = make_token(user, purpose)
    endpoint = "account.welcome" if purpose == INVITE else "account.reset"
    if has_request_context() and not for_email:
        return url_for(endpoint, token=token, _external=True)
    path = "welcome" if purpose == INVITE else "reset"
    return f"{current_app.config['BASE_URL'].rstrip('/')}/account/{path}/{token}"


def mail_configured() -> bool:
    """Whether e-mails can be sent (otherwise links are shown to the administrator)."""
    return bool(current_app.config.get("MAIL_SERVER"))


def queue_link(user: User, purpose: str) -> str:
    """Make a link and, when mail is configured, put an e-mail with it in the outbox."""
    link = link_for(user, purpose)
    if mail_configured():
        subject, body = link_message(user, purpose, link_for(user, purpose, for_email=True))
        notifications.queue_email(user, subject, body)
        db.session.flush()
    return link


def link_message(user: User, purpose: str, link: str) -> tuple[str, str]:
    """The subject and body of the e-mail carrying a one-time link, in the user's language."""
    hours = MAX_AGE[purpose] // 3600
    with force_locale(user.locale or "id"):
        if purpose == INVITE:
            subject = _("Your account for PSP Escalations")
            intro = _("An account was created for you. Choose your password here:")
        else:
            subject = _("Reset your password for PSP Escalations")
            intro = _("Someone asked to reset your password. Choose a new one here:")
        outro = _("The link works once and expires in %(hours)d hours.", hours=hours)
    return subject, f"{user.name},\n\n{intro}\n{link}\n\n{outro}\n"
