"""Dashboard rollups: ticket figures summed per district, category, month and state.

Maintained by ``ticketing.rollups`` in the same transaction as every ticket change, and
checked against the tickets by ``flask rollups check``. Rows are keyed by the state *string*,
so a state added to the workflow needs no change here.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.extensions import db

# ``days`` of the verify_rollups rows that count every verification of a month (the trend).
ALL_DAYS = -1
# The ``period`` of the rows that sum all time (the dashboards' default view); other rows hold
# the first day of a month in the province's time zone.
ALL_TIME = date(1900, 1, 1)


class TicketRollup(db.Model):  # type: ignore[name-defined]
    """Tickets raised in a period (month or all time), per district, category and state."""

    __tablename__ = "ticket_rollups"

    # Key order: a province's rows for a range of months are one index range.
    province_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    district_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(12), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)  # escalated at least once
    referred: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # to central
    resolved_district: Mapped[int] = mapped_column(Integer, default=0)  # last fixed by district
    reopens: Mapped[int] = mapped_column(Integer, default=0)  # sum of reopen_count
    unbreached: Mapped[int] = mapped_column(Integer, default=0)  # never missed a PMO deadline


class VerifyRollup(db.Model):  # type: ignore[name-defined]
    """Verifications in a period (month or all time), per district, category and whole days taken.

    A compact exact distribution: the median days from raised to verified is read off the
    counts per whole day. One more row per month and place, ``days = ALL_DAYS``, counts them
    all, so the monthly trend reads a row per month rather than the distribution.
    """

    __tablename__ = "verify_rollups"
    __table_args__ = (
        # The monthly trend reads only the ALL_DAYS rows of a province's months.
        Index(
            "ix_verify_rollups_months",
            "province_code",
            "period",
            postgresql_include=["tickets"],
            postgresql_where=text("days = -1"),
            sqlite_where=text("days = -1"),
        ),
    )

    # Key order: a province's rows for a range of months are one index range.
    province_code: Mapped[str] = mapped_column(String(2), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True, index=True)
    district_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
