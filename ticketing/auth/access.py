"""Login required by default: a view is public only if marked with @public."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy import func
from sqlalchemy.orm import joinedload

from ticketing.extensions import db, login_manager
from ticketing.models import Notification, User

F = TypeVar("F", bound=Callable[..., Any])


def public(view: F) -> F:
    """Mark a view as reachable without signing in."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


@login_manager.user_loader
def load_user(session_token: str) -> User | None:
    """Find the user by their current session token; a rotated token ends the session."""
    # The header shows the user's district and province on every page: load them at once.
    # The unread-notification badge comes in the same round trip (notifications.unread_count).
    unread = (
        db.select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    row = db.session.execute(
        db.select(User, unread)
        .where(User.session_token == session_token)
        .options(joinedload(User.province), joinedload(User.district))
    ).one_or_none()
    if row is None or not row[0].active:
        return None
    user: User = row[0]
    g.unread_notifications = (user.id, int(row[1] or 0))
    return user


def require_login() -> Any:
    """before_request: everything needs a signed-in, active user unless marked public."""
    if request.endpoint is None or request.endpoint == "static":
        return None
    view = current_app.view_functions.get(request.endpoint)
    if view is not None and getattr(view, "is_public", False):
        return None
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None
