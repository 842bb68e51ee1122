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
    __table_args__ = (
        # The monthly trend: a province's month rows summed per month, from the index alone
        # (the rows of one month are scattered over the heap: one page read per row).
        Index("ix_ticket_rollups_months", "province_code", "period",
              postgresql_include=["tickets"]),
    )  # fmt: skip

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
    # Of them, fixes that came back: a later ticket linked to them as a recurrence.
    came_back: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SchoolRollup(db.Model):  # type: ignore[name-defined]
    """ticket_rollups at the grain of a school: the district dashboard's rows per school."""

    __tablename__ = "school_rollups"
    __table_args__ = (
        # The district's monthly trend, from the index alone (as ix_ticket_rollups_months).
        Index("ix_school_rollups_months", "district_code", "period",
              postgresql_include=["tickets"]),
    )  # fmt: skip

    # Key order: a district's rows for a period are one index range.
    district_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(12), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    escalated: Mapped[int] = mapped_column(Integer, default=0)
    referred: Mapped[int] = mapped_column(Integer, default=0)
    resolved_district: Mapped[int] = mapped_column(Integer, default=0)
    reopens: Mapped[int] = mapped_column(Integer, default=0)
    unbreached: Mapped[int] = mapped_column(Integer, default=0)


class SchoolVerifyRollup(db.Model):  # type: ignore[name-defined]
    """verify_rollups at the grain of a school (the district dashboard)."""

    __tablename__ = "school_verify_rollups"
    __table_args__ = (
        # The district's monthly trend reads only the ALL_DAYS rows of its months.
        Index(
            "ix_school_verify_rollups_months",
            "district_code",
            "period",
            postgresql_include=["tickets"],
            postgresql_where=text("days = -1"),
            sqlite_where=text("days = -1"),
        ),
    )

    district_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    school_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    category_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    days: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
    # Of them, fixes that came back: a later ticket linked to them as a recurrence.
    came_back: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


# ``dim`` of open_rollups: which table's groups a row counts, at which ``place``.
OPEN_DIMS = {
    # place = a province code
    "district": "district_code",
    "category": "category_id",
    # place = a district code
    "school": "school_id",
    "dcategory": "category_id",
}
# ``day`` of the open_rollups rows that count a whole month.
WHOLE_MONTH = 0


class OpenRollup(db.Model):  # type: ignore[name-defined]
    """Open tickets by the local day they were raised: the median age of the open tickets.

    One distribution per table of the dashboards (not per combination of groups, which would
    be as many rows as open tickets): per district and per category of a province, per school
    and per category of a district. Each month has a row (``day = WHOLE_MONTH``) and a row
    per day of the month, so a median is found in the month rows first and then in the days
    of one month: rows read are bounded by the calendar, not by the open backlog.
    """

    __tablename__ = "open_rollups"
    __table_args__ = (
        # The month rows, read first (the day rows are read for a median's month only).
        Index(
            "ix_open_rollups_months",
            "place",
            "dim",
            "period",
            postgresql_include=["group_key", "tickets"],
            postgresql_where=text("day = 0"),
            sqlite_where=text("day = 0"),
        ),
        # The day rows of a median's months, from the index alone (they are scattered over
        # the heap as tickets are raised: one page read per row otherwise).
        Index(
            "ix_open_rollups_days",
            "place",
            "dim",
            "period",
            "group_key",
            postgresql_include=["day", "tickets"],
            postgresql_where=text("day <> 0"),
            sqlite_where=text("day <> 0"),
        ),
    )

    place: Mapped[str] = mapped_column(String(5), primary_key=True)
    dim: Mapped[str] = mapped_column(String(10), primary_key=True)
    period: Mapped[date] = mapped_column(Date, primary_key=True)
    day: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    group_key: Mapped[str] = mapped_column(String(12), primary_key=True)
    tickets: Mapped[int] = mapped_column(Integer, default=0)
