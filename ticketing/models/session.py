"""Sign-in sessions, one per device: listed on the account page and revocable one by one."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.clock import utcnow
from ticketing.extensions import db

if TYPE_CHECKING:
    from ticketing.models.user import User


def new_device_token() -> str:
    """The secret a browser carries (as its Flask-Login id); only its hash is stored."""
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """SHA-256 of a session token: a copy of the table does not give anyone a session."""
    return hashlib.sha256(token.encode()).hexdigest()


class UserSession(db.Model):  # type: ignore[name-defined]
    """One signed-in browser: created at sign-in, deleted at sign-out or revocation."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id_last_used_at", "user_id", "last_used_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<UserSession {self.id} user={self.user_id}>"
