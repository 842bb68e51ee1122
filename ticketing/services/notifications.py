"""A user's own notifications: list, mark as read, e-mail preference (never commits)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select, update
from sqlalchemy.orm import joinedload

from ticketing.clock import utcnow
from ticketing.errors import NotFound
from ticketing.extensions import db
from ticketing.models import Notification, User
from ticketing.notifications import forget_unread


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
    forget_unread()
    return row


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user as read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    forget_unread()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def set_email_notifications(user: User, enabled: bool, digest: bool | None = None) -> User:
    """Turn the user's notification e-mails on or off (in-app notifications stay), and choose
    one daily digest instead of one e-mail per event."""
    user.email_notifications = bool(enabled)
    if digest is not None and bool(digest) != user.email_digest:
        if digest:
            # What came before was e-mailed already (or not wanted): the digest starts now.
            db.session.execute(
                update(Notification)
                .where(Notification.user_id == user.id, Notification.digested_at.is_(None))
                .values(digested_at=utcnow())
            )
        user.email_digest = bool(digest)
    db.session.flush()
    return user


def unread_groups(user: User, limit: int = 200) -> list[tuple[str, list[Notification]]]:
    """The user's unread notifications grouped by kind (newest group first), for the page."""
    from ticketing.notifications import group_by_kind

    rows = list(
        db.session.scalars(
            select(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .options(joinedload(Notification.ticket))
            .order_by(Notification.id.desc())
            .limit(limit)
        )
    )
    return group_by_kind(rows)


def mark_kind_read(user: User, kind: str) -> int:
    """Mark every unread notification of one kind as read; returns how many."""
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.user_id == user.id,
            Notification.kind == kind,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    forget_unread()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
