"""What officers keep for their daily work: reply templates per province, saved list views."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.clock import utcnow
from ticketing.extensions import db

if TYPE_CHECKING:
    from ticketing.models.user import User

TEMPLATE_TITLE_MAX = 120
VIEW_NAME_MAX = 60
VIEW_QUERY_MAX = 1000


class ReplyTemplate(db.Model):  # type: ignore[name-defined]
    """A ready reply ("jawaban siap pakai") of a province, kept by its administrators."""

    __tablename__ = "reply_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    title: Mapped[str] = mapped_column(String(TEMPLATE_TITLE_MAX))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class SavedView(db.Model):  # type: ignore[name-defined]
    """A named set of list parameters of one user (the list's query string)."""

    __tablename__ = "saved_views"
    __table_args__ = (UniqueConstraint("user_id", "name", name="user_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(VIEW_NAME_MAX))
    query_string: Mapped[str] = mapped_column(String(VIEW_QUERY_MAX))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    user: Mapped[User] = relationship()
