"""Users: facilitators, district and province PMO officers, administrators."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.vocabulary import Role, role_scope_check, sql_in

if TYPE_CHECKING:
    from ticketing.models.region import District, Province
    from ticketing.models.school import SchoolAssignment

# The roles are defined in ticketing/vocabulary.py; these names stay for callers.
FACILITATOR = Role.FACILITATOR
DISTRICT_PMO = Role.DISTRICT_PMO
PROVINCE_PMO = Role.PROVINCE_PMO
ADMIN = Role.ADMIN
ROLES: tuple[Role, ...] = tuple(Role)


def new_session_token() -> str:
    """A fresh value for User.session_token; changing it ends every session."""
    return secrets.token_urlsafe(32)


class User(UserMixin, db.Model):  # type: ignore[name-defined]
    """A person who signs in; role and scope decide what they see and do."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(sql_in("role", Role), name="role"),
        # Scope must match the role (vocabulary.ROLE_SCOPE): district roles carry a district
        # (and its province), the province PMO a province, an administrator a province or
        # nothing (national).
        CheckConstraint(role_scope_check(), name="scope_matches_role"),
        CheckConstraint("locale IN ('id', 'en')", name="locale"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str | None] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(20))
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"), index=True)
    district_code: Mapped[str | None] = mapped_column(ForeignKey("districts.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # Flask-Login "alternative token": rotating it signs the user out everywhere.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token, unique=True)
    locale: Mapped[str] = mapped_column(String(2), default="id", server_default="id")
    email_notifications: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    # One e-mail a day (flask notify digest) instead of one per event.
    email_digest: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)

    province: Mapped[Province | None] = relationship()
    district: Mapped[District | None] = relationship()
    assignments: Mapped[list[SchoolAssignment]] = relationship(
        back_populates="facilitator", cascade="all, delete-orphan"
    )

    # The token of the device session this object was loaded for (or just started): it is
    # the Flask-Login identity, so each browser carries its own, revocable one.
    # (Plain instance attributes, not columns: set by services.sessions and the user loader.)
    if TYPE_CHECKING:
        device_token: str | None
        device_session_id: int | None

    def get_id(self) -> str:
        """Flask-Login identity: this device's session token, never the primary key."""
        token = getattr(self, "device_token", None)
        if not token:
            raise RuntimeError("start a device session (services.sessions.start) first")
        return str(token)

    @property
    def is_active(self) -> bool:
        """Disabled accounts cannot sign in and lose their sessions."""
        return self.active

    @property
    def is_national(self) -> bool:
        """An administrator without a province sees the whole country."""
        return self.role == ADMIN and self.province_code is None

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"
