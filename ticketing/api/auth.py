"""Who is calling the API: a personal access token, or the session cookie with CSRF.

- ``Authorization: Bearer eskpat_...`` (preferred): the token's user, no CSRF token needed
  (a browser never sends this header by itself). A wrong, expired or revoked token is a 401,
  even when a session cookie is sent too.
- No Authorization header: the signed-in browser session, as on the web pages; then a
  POST needs the CSRF token (``X-CSRFToken`` header), as every form does.
- Neither: 401 (never a redirect to the sign-in page), except for views marked ``@public``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_login import current_user
from werkzeug.wrappers import Response

from ticketing.api import problems
from ticketing.extensions import csrf, db, login_manager
from ticketing.models import ApiToken, User
from ticketing.services import api_tokens

F = TypeVar("F", bound=Callable[..., Any])
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def public(view: F) -> F:
    """Mark an API view as reachable without a token (the public aggregates, the spec)."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def _bearer() -> str | None:
    """The token in the Authorization header, '' for a malformed header, None if absent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return ""
    return value.strip()


def authenticate() -> Response | None:
    """before_request of the API blueprint: set the caller or answer 401 / CSRF 400."""
    view = current_app.view_functions.get(request.endpoint or "")
    is_public = bool(view is not None and getattr(view, "is_public", False))
    secret = _bearer()
    if secret is not None:
        token = api_tokens.authenticate(secret) if secret else None
        if token is None:
            db.session.rollback()
            return problems.problem(
                "unauthorized",
                _invalid_token_text(),
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
        db.session.commit()  # last_used_at (at most once a minute per token)
        _act_as(token.user, token)
        return None
    if current_user.is_authenticated:
        g.api_token = None
        if request.method not in SAFE_METHODS and current_app.config.get("WTF_CSRF_ENABLED", True):
            csrf.protect()  # raises CSRFError -> problem "csrf_failed"
        return None
    if is_public:
        return None
    return problems.problem("unauthorized", headers={"WWW-Authenticate": "Bearer"})


def _invalid_token_text() -> str:
    from flask_babel import gettext as _

    return _("The access token is wrong, expired or revoked.")


def _act_as(user: User, token: ApiToken) -> None:
    """The token's user becomes current_user for this request only (no session is written)."""
    g.api_token = token
    login_manager._update_request_context_with_user(user)


def api_user() -> User:
    """The calling user (set by authenticate); views that need one call this."""
    user = current_user._get_current_object() if current_user.is_authenticated else None
    if user is None:
        from werkzeug.exceptions import Unauthorized

        raise Unauthorized()
    return user


def rate_limit_key() -> str:
    """Per-token limit (checked before authentication, so keyed by the secret's hash).

    A session is limited per user, a call without credentials per address.
    """
    secret = _bearer()
    if secret and secret.startswith(api_tokens.PREFIX):
        return "api:token:" + api_tokens.hash_secret(secret)[:32]
    if current_user.is_authenticated:
        return f"api:user:{current_user.id}"
    from flask_limiter.util import get_remote_address

    return f"api:addr:{get_remote_address()}"
