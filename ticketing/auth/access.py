"""Login required by default: a view is public only if marked with @public."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_login.utils import login_url

from ticketing.extensions import login_manager
from ticketing.models import User
from ticketing.services import sessions

F = TypeVar("F", bound=Callable[..., Any])


def public(view: F) -> F:
    """Mark a view as reachable without signing in."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


@login_manager.user_loader
def load_user(device_token: str) -> User | None:
    """The user of this device's live session (one query, region included), or None."""
    return sessions.load(device_token)


def require_login() -> Any:
    """before_request: everything needs a signed-in, active user unless marked public."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    if request.blueprint == "api":
        return None  # the API answers 401 itself (ticketing/api/auth.py), never a redirect
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


SIGN_IN_FIRST = _l("Please sign in to open this page.")


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    """Not signed in: to the sign-in form, then back. A form sent after the session ended
    keeps its text (ticketing/stash.py) and comes back filled in after signing in."""
    from ticketing import stash

    if request.method == "POST" and not request.path.startswith("/api/"):
        page = stash.keep_this_post("session")
        if page is not None:
            return redirect(url_for("auth.login", next=page), code=303)
    flash(str(SIGN_IN_FIRST), "info")
    return redirect(login_url("auth.login", next_url=request.full_path.rstrip("?")))
