"""A user's own notifications: list, mark as read, e-mail preference (never commits)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update

from ticketing.clock import utcnow
from ticketing.errors import NotFound
from ticketing.extensions import db
from ticketing.models import Notification, User


def for_user(user: User) -> Select[tuple[Notification]]:
    """The user's notifications, newest first (a query to paginate)."""
    return (
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id.desc())
    )


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's own notifications as read; others' are 'not found'."""
    row = db.session.get(Notification, notification_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_l("Notification not found."))
    if row.read_at is None:
        row.read_at = utcnow()
    db.session.flush()
    return row


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user as read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_email_notifications(user: User, enabled: bool) -> User:
    """Turn the user's notification e-mails on or off (in-app notifications stay)."""
    user.email_notifications = bool(enabled)
    db.session.flush()
    return user
