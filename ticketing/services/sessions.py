"""Sign-in sessions per device: start at sign-in, find per request, list, revoke."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import g, has_request_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload

from ticketing.clock import utcnow
from ticketing.errors import NotFound
from ticketing.extensions import db
from ticketing.models import Notification, User, UserSession
from ticketing.models.session import hash_token, new_device_token

# A session unused this long is over, whatever its cookie says (the remember cookie lasts
# as long, see config.REMEMBER_COOKIE_DURATION).
IDLE_LIMIT = timedelta(days=30)
# "Last used" is written at most this often: not a write per request.
TOUCH_EVERY = timedelta(minutes=5)


def start(user: User, *, user_agent: str = "", ip_address: str = "") -> UserSession:
    """A new session for this device; its token becomes the user's Flask-Login id."""
    token = new_device_token()
    now = utcnow()
    row = UserSession(
        user_id=user.id,
        token_hash=hash_token(token),
        user_agent=(user_agent or "")[:300],
        ip_address=(ip_address or "")[:45],
        created_at=now,
        last_used_at=now,
    )
    db.session.add(row)
    db.session.flush()
    user.device_token = token
    user.device_session_id = row.id
    return row


def load(token: str) -> User | None:
    """The active user of a live session token, with their region (one query), or None."""
    if not token or len(token) > 200:
        return None
    now = utcnow()
    # The unread notifications (the header's badge on every page) come in the same round trip.
    unread = (
        select(func.count(Notification.id))
        .where(Notification.user_id == User.id, Notification.read_at.is_(None))
        .scalar_subquery()
    )
    found = db.session.execute(
        select(User, UserSession.id, UserSession.last_used_at, unread)
        .join(UserSession, UserSession.user_id == User.id)
        .where(UserSession.token_hash == hash_token(token))
        .where(UserSession.last_used_at > now - IDLE_LIMIT)
        .options(joinedload(User.province), joinedload(User.district))
    ).first()
    if found is None:
        return None
    user, session_id, last_used, unread_count = found
    if not user.active:
        return None
    if has_request_context():
        g.unread_notifications = (user.id, int(unread_count or 0))  # notifications.unread_count
    user.device_token = token
    user.device_session_id = session_id
    if now - last_used > TOUCH_EVERY:
        _touch(session_id, now)
    return user


def _touch(session_id: int, now: datetime) -> None:
    """Record the use in its own short transaction, apart from the request's work."""
    try:
        with db.engine.begin() as connection:
            connection.execute(
                update(UserSession).where(UserSession.id == session_id).values(last_used_at=now)
            )
    except SQLAlchemyError:  # best effort: a busy database must not refuse the page
        return


def for_user(user: User) -> list[UserSession]:
    """The user's live sessions, most recently used first."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(UserSession.user_id == user.id)
            .where(UserSession.last_used_at > utcnow() - IDLE_LIMIT)
            .order_by(UserSession.last_used_at.desc(), UserSession.id.desc())
        )
    )


def revoke(user: User, session_id: int) -> None:
    """End one of the user's own sessions (404 for anyone else's)."""
    row = db.session.get(UserSession, session_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_l("Session not found."))
    db.session.delete(row)
    db.session.flush()


def end(user: User, session_id: int) -> None:
    """End this session of the user if it still exists (signing out)."""
    db.session.execute(
        delete(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id),
        execution_options={"synchronize_session": False},
    )


def revoke_all(user: User, *, keep: int | None = None) -> int:
    """End every session of the user (except ``keep``); returns how many ended."""
    query = delete(UserSession).where(UserSession.user_id == user.id)
    if keep is not None:
        query = query.where(UserSession.id != keep)
    result = db.session.execute(query, execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)


# --- What the account page shows: the device, from its user agent --------------------------


@dataclass(frozen=True)
class Device:
    """A readable name for a browser on a system."""

    browser: str
    system: str

    def __str__(self) -> str:
        return f"{self.browser} · {self.system}"


_BROWSERS = (
    (r"SamsungBrowser/", "Samsung Internet"),
    (r"Edg(e|A|iOS)?/", "Edge"),
    (r"OPR/|Opera", "Opera"),
    (r"Firefox/|FxiOS/", "Firefox"),
    (r"Chrome/|CriOS/|Chromium/", "Chrome"),
    (r"Safari/", "Safari"),
)
_SYSTEMS = (
    (r"Android", "Android"),
    (r"iPhone", "iPhone"),
    (r"iPad", "iPad"),
    (r"CrOS", "ChromeOS"),
    (r"Windows", "Windows"),
    (r"Mac OS X|Macintosh", "macOS"),
    (r"Linux", "Linux"),
)


def describe_device(user_agent: str) -> Device:
    """'Chrome · Android' and the like; unknown parts are named as such."""
    browser = next((n for p, n in _BROWSERS if re.search(p, user_agent or "")), None)
    system = next((n for p, n in _SYSTEMS if re.search(p, user_agent or "")), None)
    return Device(browser or str(_l("Unknown browser")), system or str(_l("unknown system")))
