"""Deadline settings per province (and category) and extra days off."""

from __future__ import annotations

from datetime import date

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.extensions import db
from ticketing.vocabulary import DEADLINE_STATES, sql_in


class SlaPolicy(db.Model):  # type: ignore[name-defined]
    """Working days allowed in a state, for a province and optionally one category."""

    __tablename__ = "sla_policies"
    __table_args__ = (
        UniqueConstraint("province_code", "category_id", "state", name="scope_state"),
        CheckConstraint(sql_in("state", DEADLINE_STATES), name="state"),
        CheckConstraint("working_days > 0", name="working_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"))
    state: Mapped[str] = mapped_column(String(12))
    working_days: Mapped[int] = mapped_column(Integer)


class DayOff(db.Model):  # type: ignore[name-defined]
    """An extra day off in a province (cuti bersama), beyond national holidays."""

    __tablename__ = "days_off"
    __table_args__ = (UniqueConstraint("province_code", "day", name="province_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    day: Mapped[date] = mapped_column(Date)
    name: Mapped[str] = mapped_column(String(120))
