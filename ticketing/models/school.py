"""Schools (identified by NPSN) and which facilitator supports which school."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.clock import utcnow
from ticketing.extensions import db

if TYPE_CHECKING:
    from ticketing.models.region import District, Province
    from ticketing.models.user import User

LEVELS = ("PAUD", "SD", "SMP", "SMA", "SMK", "SLB")
STATUSES = ("negeri", "swasta")


class School(db.Model):  # type: ignore[name-defined]
    """A school in the programme; its district decides where its tickets go."""

    __tablename__ = "schools"
    __table_args__ = (
        CheckConstraint("level IN ('PAUD', 'SD', 'SMP', 'SMA', 'SMK', 'SLB')", name="level"),
        CheckConstraint("status IS NULL OR status IN ('negeri', 'swasta')", name="status"),
        CheckConstraint("length(npsn) = 8", name="npsn_length"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    npsn: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(4))
    status: Mapped[str | None] = mapped_column(String(10))
    cohort: Mapped[int | None] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"), index=True)
    # Kept on the row so province-wide queries need no join.
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    district: Mapped[District] = relationship()
    province: Mapped[Province] = relationship()

    def __repr__(self) -> str:
        return f"<School {self.npsn} {self.name}>"


class SchoolAssignment(db.Model):  # type: ignore[name-defined]
    """A facilitator supports a school (3 to 5 schools each, in one district)."""

    __tablename__ = "school_assignments"
    __table_args__ = (UniqueConstraint("facilitator_id", "school_id", name="facilitator_school"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    facilitator: Mapped[User] = relationship(back_populates="assignments")
    school: Mapped[School] = relationship()
