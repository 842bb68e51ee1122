"""Personal access tokens: create (the secret is shown once), authenticate, list, revoke.

A token is ``eskpat_`` followed by 43 random URL-safe characters (256 bits). Only its SHA-256
is stored: a random secret of that size needs no slow hash, and the lookup is one indexed
equality. A token acts as its user: every request loads the user's current row, so a
changed role or scope applies at once and a disabled account's tokens stop working.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update

from ticketing import permissions
from ticketing.clock import utcnow
from ticketing.errors import InvalidInput, NotFound
from ticketing.extensions import db
from ticketing.models import ApiToken, User

PREFIX = "eskpat_"
NAME_MAX = 80
# How long a token lives, chosen on the account page (None: until revoked).
EXPIRY_DAYS = (30, 90, 365, None)
# last_used_at is written at most this often per token (one UPDATE, not one per request).
LAST_USED_PRECISION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """The stored form of a secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create(user: User, name: str, expires_in_days: int | None) -> tuple[ApiToken, str]:
    """A new token for the user; returns the row and the secret (shown once, never stored)."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_l("Give the token a name."), field="name")
    if len(name) > NAME_MAX:
        raise InvalidInput(
            _l("The name is longer than %(limit)d characters.", limit=NAME_MAX), field="name"
        )
    if expires_in_days not in EXPIRY_DAYS:
        raise InvalidInput(_l("Choose how long the token lives."), field="expires")
    if not permissions.can_have_api_tokens(user):
        raise InvalidInput(_l("This account cannot have tokens."))
    secret = PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user=user,
        name=name,
        token_hash=hash_secret(secret),
        hint=secret[: len(PREFIX) + 4],
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.flush()
    return token, secret


def authenticate(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The usable token for a secret (its user active), or None. Records when it was used."""
    if not secret.startswith(PREFIX) or len(secret) > 100:
        return None
    now = now or utcnow()
    token = db.session.execute(
        select(ApiToken).where(ApiToken.token_hash == hash_secret(secret))
    ).scalar_one_or_none()
    if token is None or not token.usable(now) or not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        db.session.execute(update(ApiToken).where(ApiToken.id == token.id).values(last_used_at=now))
        token.last_used_at = now
    return token


def tokens_of(user: User) -> Select[tuple[ApiToken]]:
    """A user's tokens, newest first (revoked ones too: the list says so)."""
    return select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc())


def revoke(actor: User, token_id: int) -> ApiToken:
    """Revoke one token: its owner, or an administrator of the owner's scope; else NotFound."""
    token = db.session.get(ApiToken, token_id)
    if token is None or not permissions.can_revoke_token(actor, token):
        raise NotFound(_l("Token not found."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        token.revoked_by_id = actor.id
        if actor.id != token.user_id:
            from ticketing.services import admin_log

            admin_log.record(
                actor, "api_token_revoke", target_type="user", target_id=token.user_id,
                province_code=token.user.province_code,
                before={"token": token.hint}, after={"revoked": True},
            )  # fmt: skip
    db.session.flush()
    return token


def revoke_all(user: User, actor: User | None = None) -> int:
    """Revoke every live token of a user (their account was disabled); returns how many."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by_id=actor.id if actor is not None else None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
