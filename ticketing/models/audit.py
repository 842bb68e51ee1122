"""The record of administrative changes (who, what, before, after, when)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.clock import utcnow
from ticketing.extensions import db

if TYPE_CHECKING:
    from ticketing.models.user import User


class AdminLogEntry(db.Model):  # type: ignore[name-defined]
    """One administrative change, kept for administrators to read."""

    __tablename__ = "admin_log"
    __table_args__ = (Index("ix_admin_log_province_id", "province_code", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The province the change belongs to; NULL for national changes.
    province_code: Mapped[str | None] = mapped_column(ForeignKey("provinces.code"))
    action: Mapped[str] = mapped_column(String(60))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[str | None] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    actor: Mapped[User | None] = relationship()
