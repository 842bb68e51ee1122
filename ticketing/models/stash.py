"""Text of a form that could not be accepted, kept until the user is back on the form."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.clock import utcnow
from ticketing.extensions import db


class FormStash(db.Model):  # type: ignore[name-defined]
    """A refused POST's text (too large, session or CSRF token expired), found by a token
    kept in the browser's session; read once, on the form's page, then deleted."""

    __tablename__ = "form_stashes"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(String(500))
    # JSON: {"fields": [[name, value], ...], "dropped": [file name, ...]}
    data: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)
