"""Dashboard rollups: kept in the same transaction as every ticket change, checked on demand.

A ticket contributes to a few rollup rows (models/rollup.py): its raised month and "all time"
in ``ticket_rollups`` (keyed by its state string, so new states need no code here), and, once
verified, its verification month and "all time" in ``verify_rollups`` with the whole days it
took. The service layer takes the ticket's contribution before a change and calls
:func:`apply` after it (after the other change hooks, which set ``sla_breaches``), so the
rollups move in the same transaction as the ticket and its audit row: they commit together
or not at all. Upserts add deltas (``x = x + excluded.x``), so concurrent transitions on
PostgreSQL serialise on the rollup rows they share; keys are applied in sorted order so two
transactions never wait on each other in opposite orders.

``flask rollups check`` recomputes every row from the tickets in SQL and reports rows that
differ; ``flask rollups rebuild`` replaces them (after a bulk load, or to repair).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import Date, case, cast, func, literal, literal_column, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from ticketing.models import (
    ALL_DAYS,
    ALL_TIME,
    OPEN_DIMS,
    OPEN_STATES,
    RECURRENCE,
    WHOLE_MONTH,
    OpenRollup,
    Province,
    SchoolRollup,
    SchoolVerifyRollup,
    Ticket,
    TicketLink,
    TicketRollup,
    VerifyRollup,
)

RESOLVED_STATES = ("resolved", "verified")
DAY_SECONDS = 86_400
TICKET_KEY = ("province_code", "period", "district_code", "category_id", "state")
TICKET_MEASURES = (
    "tickets", "escalated", "referred", "resolved_district", "reopens", "unbreached"
)  # fmt: skip
VERIFY_KEY = ("province_code", "period", "district_code", "category_id", "days")
VERIFY_MEASURES = ("tickets", "came_back")
OPEN_MEASURES = ("tickets",)
SCHOOL_KEY = ("district_code", "period", "school_id", "category_id", "state")
SCHOOL_VERIFY_KEY = ("district_code", "period", "school_id", "category_id", "days")
OPEN_KEY = ("place", "dim", "period", "day", "group_key")
TABLES: dict[str, tuple[Any, tuple[str, ...], tuple[str, ...]]] = {
    "ticket_rollups": (TicketRollup, TICKET_KEY, TICKET_MEASURES),
    "verify_rollups": (VerifyRollup, VERIFY_KEY, VERIFY_MEASURES),
    "school_rollups": (SchoolRollup, SCHOOL_KEY, TICKET_MEASURES),
    "school_verify_rollups": (SchoolVerifyRollup, SCHOOL_VERIFY_KEY, VERIFY_MEASURES),
    "open_rollups": (OpenRollup, OPEN_KEY, OPEN_MEASURES),
}
# The place of each dim of open_rollups: the ticket's province or its district.
OPEN_PLACE = {"district": "province_code", "category": "province_code",
              "school": "district_code", "dcategory": "district_code"}  # fmt: skip
EPOCH = date(1970, 1, 1)

# (table, key) -> measures
Facts = dict[tuple[str, tuple[Any, ...]], dict[str, int]]


def offset_hours(timezone: str) -> int:
    """The zone's whole-hour UTC offset (Indonesian zones: +7, +8, +9; no daylight saving)."""
    offset = datetime.now(ZoneInfo(timezone)).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 3600)


def local_month(moment: datetime, hours: int) -> date:
    """The first day of the local month of a naive UTC moment."""
    local = moment + timedelta(hours=hours)
    return date(local.year, local.month, 1)


def local_day(moment: datetime, hours: int) -> date:
    """The local day of a naive UTC moment, on whole seconds (as the SQL of :func:`computed`)."""
    seconds = int(moment.replace(tzinfo=UTC).timestamp()) + hours * 3600
    return EPOCH + timedelta(days=seconds // DAY_SECONDS)


def took_days(created: datetime, closed: datetime) -> int:
    """Whole days from raised to closed, on whole seconds (the same rule as the SQL below)."""
    start = int(created.replace(tzinfo=UTC).timestamp())
    end = int(closed.replace(tzinfo=UTC).timestamp())
    return (end - start) // DAY_SECONDS


def facts(ticket: Ticket) -> Facts:
    """The rollup rows this ticket adds to, as it is now."""
    if ticket.state is None or ticket.created_at is None:
        return {}
    hours = offset_hours(ticket.province.timezone)
    place = (ticket.province_code, ticket.district_code, ticket.category_id)
    measures = {
        "tickets": 1,
        "escalated": int((ticket.escalation_count or 0) > 0),
        "referred": int((ticket.referral_count or 0) > 0),
        "resolved_district": int(
            ticket.state in RESOLVED_STATES and ticket.resolved_tier == "district"
        ),
        "reopens": ticket.reopen_count or 0,
        "unbreached": int((ticket.sla_breaches or 0) == 0),
    }
    province, rest = place[0], place[1:]
    district, school = ticket.district_code, ticket.school_id
    out: Facts = {}
    for period in (ALL_TIME, local_month(ticket.created_at, hours)):
        out[("ticket_rollups", (province, period, *rest, ticket.state))] = measures
        out[("school_rollups", (district, period, school, ticket.category_id, ticket.state))] = (
            measures
        )
    if ticket.state == "verified" and ticket.closed_at is not None:
        days = took_days(ticket.created_at, ticket.closed_at)
        month = local_month(ticket.closed_at, hours)
        fix = {"tickets": 1, "came_back": int(_came_back(ticket))}
        for period, bucket in ((ALL_TIME, days), (month, days), (month, ALL_DAYS)):
            out[("verify_rollups", (province, period, *rest, bucket))] = fix
            key = (district, period, school, ticket.category_id, bucket)
            out[("school_verify_rollups", key)] = fix
    if ticket.state in OPEN_STATES:
        raised = local_day(ticket.created_at, hours)
        month = raised.replace(day=1)
        for dim, column in OPEN_DIMS.items():
            where = getattr(ticket, OPEN_PLACE[dim])
            group = str(getattr(ticket, column))
            for day in (WHOLE_MONTH, raised.day):
                out[("open_rollups", (where, dim, month, day, group))] = {"tickets": 1}
    return out


def _came_back(ticket: Ticket) -> bool:
    """Whether a later ticket was linked to this one as a recurrence (ticketing/recurrence.py)."""
    if ticket.id is None:
        return False
    from ticketing.extensions import db

    linked = sa.exists().where(
        TicketLink.other_ticket_id == ticket.id, TicketLink.kind == RECURRENCE
    )
    return bool(db.session.scalar(select(linked)))


def _came_back_sql() -> Any:
    return sa.exists().where(TicketLink.other_ticket_id == Ticket.id, TicketLink.kind == RECURRENCE)


def _deltas(before: Facts, after: Facts) -> dict[str, list[dict[str, Any]]]:
    """Per table, the rows to add (negative to take away), zero rows dropped, keys sorted."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for table, key in sorted(set(before) | set(after), key=lambda k: (k[0], repr(k[1]))):
        _model, key_names, measures = TABLES[table]
        old, new = before.get((table, key), {}), after.get((table, key), {})
        delta = {m: new.get(m, 0) - old.get(m, 0) for m in measures}
        if any(delta.values()):
            rows.setdefault(table, []).append(dict(zip(key_names, key, strict=True)) | delta)
    return rows


def apply(session: Any, before: Facts, after: Facts) -> None:
    """Move the rollups from a ticket's old contribution to its new one (same transaction).

    Also for several tickets at once (``summed`` contributions): one upsert per row.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    for table, rows in _deltas(before, after).items():
        model, key_names, measures = TABLES[table]
        insert = (pg_insert if postgres else sqlite_insert)(model)
        columns = model.__table__.c
        statement = insert.on_conflict_do_update(
            index_elements=list(key_names),
            set_={m: columns[m] + insert.excluded[m] for m in measures},
        )
        # An executemany (psycopg pipelines it): of a thousand rows, faster than one
        # multi-row INSERT, which SQLAlchemy and psycopg take seconds to compile and parse.
        session.execute(statement, rows)


# --- Recomputing from the tickets -----------------------------------------------------------


def _offsets(conn: Connection) -> dict[str, int]:
    return {
        code: offset_hours(zone)
        for code, zone in conn.execute(select(Province.code, Province.timezone))
    }


def _month_sql(column: Any, offsets: Mapping[str, int], postgres: bool) -> Any:
    """The local month of a UTC column, per the ticket's province, as a DATE."""
    if postgres:
        hours = case(offsets, value=Ticket.province_code, else_=7) if offsets else literal(7)
        shifted = column + hours * literal_column("interval '1 hour'")
        return cast(func.date_trunc(literal_column("'month'"), shifted), Date)
    names = {code: f"{h:+d} hours" for code, h in offsets.items()}
    modifier = case(names, value=Ticket.province_code, else_="+7 hours") if names else "+7 hours"
    return func.date(column, modifier, "start of month")


def took_days_sql(postgres: bool) -> Any:
    """Whole days from raised to closed on whole seconds (as :func:`took_days`)."""
    if postgres:

        def seconds(column: Any) -> Any:
            return cast(
                func.floor(func.date_part(literal_column("'epoch'"), column)), sa.BigInteger
            )
    else:

        def seconds(column: Any) -> Any:
            return cast(func.strftime("%s", column), sa.Integer)

    # Floor division of integers (``/`` would divide as NUMERIC, and PostgreSQL rounds a
    # NUMERIC cast to an integer: 1.6 days became 2 here and 1 in Python).
    return (seconds(Ticket.closed_at) - seconds(Ticket.created_at)) // DAY_SECONDS


def _period(value: Any) -> Any:
    return literal(ALL_TIME, Date) if value is None else value


def _grouped(month: Any) -> list[Any]:
    # "All time" is a constant: grouping by a bound parameter confuses PostgreSQL.
    return [] if month is None else [month]


def _local_sql(offsets: Mapping[str, int], postgres: bool) -> tuple[Any, Any]:
    """(first day of the local month, day of the month) of tickets.created_at, in SQL."""
    if postgres:
        hours = case(offsets, value=Ticket.province_code, else_=7) if offsets else literal(7)
        shifted = Ticket.created_at + hours * literal_column("interval '1 hour'")
        month = cast(func.date_trunc(literal_column("'month'"), shifted), Date)
        day = cast(func.date_part(literal_column("'day'"), shifted), sa.Integer)
        return month, day
    names = {code: f"{h:+d} hours" for code, h in offsets.items()}
    modifier = case(names, value=Ticket.province_code, else_="+7 hours") if names else "+7 hours"
    sqlite_month: Any = func.date(Ticket.created_at, modifier, "start of month")
    day = cast(func.strftime("%d", Ticket.created_at, modifier), sa.Integer)
    return sqlite_month, day


def computed(conn: Connection) -> dict[str, list[sa.Select[Any]]]:
    """Per table, SELECTs that recompute its rows from the tickets (all time, and per month)."""
    postgres = conn.dialect.name == "postgresql"
    offsets = _offsets(conn)
    selects: dict[str, list[Any]] = {name: [] for name in TABLES}
    resolved_district = sa.and_(
        Ticket.state.in_(RESOLVED_STATES), Ticket.resolved_tier == "district"
    )
    # (table, columns before the period, columns after it): provinces' and districts' grain.
    grains = (
        ("ticket_rollups", "verify_rollups", [Ticket.province_code],
         [Ticket.district_code, Ticket.category_id]),
        ("school_rollups", "school_verify_rollups", [Ticket.district_code],
         [Ticket.school_id, Ticket.category_id]),
    )  # fmt: skip
    for counts, verifies, head, tail in grains:
        for month in (None, _month_sql(Ticket.created_at, offsets, postgres)):
            period = _period(month).label("period")
            selects[counts].append(
                select(
                    *head, period, *tail, Ticket.state,
                    func.count().label("tickets"),
                    func.count().filter(Ticket.escalation_count > 0).label("escalated"),
                    func.count().filter(Ticket.referral_count > 0).label("referred"),
                    func.count().filter(resolved_district).label("resolved_district"),
                    func.coalesce(func.sum(Ticket.reopen_count), 0).label("reopens"),
                    func.count().filter(Ticket.sla_breaches == 0).label("unbreached"),
                ).group_by(*_grouped(month), *head, *tail, Ticket.state)
            )  # fmt: skip
        days = took_days_sql(postgres).label("days")
        verified = sa.and_(Ticket.state == "verified", Ticket.closed_at.is_not(None))
        closed_month = _month_sql(Ticket.closed_at, offsets, postgres)
        for month, bucket in ((None, days), (closed_month, days),
                              (closed_month, literal(ALL_DAYS).label("days"))):  # fmt: skip
            period = _period(month).label("period")
            grouped = [bucket] if bucket is days else []
            selects[verifies].append(
                select(
                    *head,
                    period,
                    *tail,
                    bucket,
                    func.count().label("tickets"),
                    func.count().filter(_came_back_sql()).label("came_back"),
                )
                .where(verified)
                .group_by(*_grouped(month), *head, *tail, *grouped)
            )
    month, day = _local_sql(offsets, postgres)
    for dim, column in OPEN_DIMS.items():
        place = getattr(Ticket, OPEN_PLACE[dim])
        group = cast(getattr(Ticket, column), sa.String(12))
        for bucket in (literal(WHOLE_MONTH), day):
            selects["open_rollups"].append(
                select(
                    place.label("place"), literal(dim).label("dim"), month.label("period"),
                    bucket.label("day"), group.label("group_key"), func.count().label("tickets"),
                )
                .where(Ticket.state.in_(OPEN_STATES))
                .group_by(place, month, *([] if bucket is not day else [day]), group)
            )  # fmt: skip
    return selects


def rebuild(conn: Connection) -> dict[str, int]:
    """Replace every rollup row with one recomputed from the tickets; rows written per table."""
    written = {}
    for table, queries in computed(conn).items():
        model, key_names, measures = TABLES[table]
        conn.execute(sa.delete(model))
        for query in queries:
            conn.execute(sa.insert(model).from_select([*key_names, *measures], query))
        written[table] = int(conn.execute(select(func.count()).select_from(model)).scalar_one())
    return written


def differences(conn: Connection, limit: int = 50) -> list[str]:
    """Rollup rows that differ from the tickets ('stored' vs 'expected'); empty when in step."""
    out: list[str] = []
    for table, queries in computed(conn).items():
        model, key_names, measures = TABLES[table]
        columns = model.__table__.c
        stored = select(*[columns[c] for c in (*key_names, *measures)]).where(
            sa.or_(*[columns[m] != 0 for m in measures])
        )
        expected = sa.union_all(*queries).subquery()
        expected_rows = select(*[expected.c[c] for c in (*key_names, *measures)])
        for label, first, second in (("stored", stored, expected_rows),
                                     ("expected", expected_rows, stored)):  # fmt: skip
            query = sa.except_(first, second).limit(limit)
            for row in conn.execute(query):
                values = ", ".join(f"{c}={v}" for c, v in zip((*key_names, *measures), row,
                                                              strict=True))  # fmt: skip
                out.append(f"{table}: {label} row not matched: {values}")
    return out[:limit]


def zero_rows_removed(conn: Connection) -> int:
    """Delete rows whose measures are all zero (left behind by changes); returns how many."""
    removed = 0
    for model, _key, measures in TABLES.values():
        columns = model.__table__.c
        result = conn.execute(sa.delete(model).where(*[columns[m] == 0 for m in measures]))
        removed += max(result.rowcount or 0, 0)
    return removed


def contributions(tickets: Iterable[Ticket]) -> Facts:
    """The summed facts of several tickets (tests compare them with the stored rows)."""
    return summed(facts(ticket) for ticket in tickets)


def summed(many: Iterable[Facts]) -> Facts:
    """Several contributions added up, row by row (a batch of changes applies the sums)."""
    total: Facts = {}
    for one in many:
        for key, measures in one.items():
            row = total.setdefault(key, dict.fromkeys(measures, 0))
            for m, v in measures.items():
                row[m] += v
    return total
