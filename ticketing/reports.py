"""Dashboard figures: grouped aggregates over the user's visible tickets (read-only).

Every query starts from a scope (``permissions.visible_tickets(user)``, or the public scope of a
province) and is one grouped aggregate in SQL: never a query per row.

Meaning of the figures (docs/dashboard.md says the same for users):
- The period (from/to, days in the province's time zone) selects the tickets *raised* in it
  (a cohort); open-by-state, overdue, median age, shares and the reopen rate describe them.
- "Verified in the period" and "median days to verify" count the verifications that *happened*
  in the period (closed_at), whatever the day the ticket was raised.
- Reopen rate = reopen events / resolve events. The workflow keeps ``reopen_count`` in the same
  transaction as the events, and every resolve ends in exactly one reopen or verify or is the
  current state, so resolves = reopen_count + [state in (resolved, verified)]. The tests check
  this against the TicketEvent rows.
- Medians: percentile_cont on PostgreSQL; on SQLite the values are fetched per group in one
  query and the median is taken in Python.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    case,
    extract,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import joinedload

from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import (
    LEVELS,
    OPEN_STATES,
    STATES,
    Category,
    District,
    Province,
    School,
    Ticket,
)

RESOLVED_STATES = ("resolved", "verified")
TIERS = ("district", "province")
# Columns a dashboard table can be sorted by (Row attribute names).
SORT_KEYS = (
    "label", "total", "raised", "assigned", "escalated", "resolved", "open_total", "overdue",
    "median_age_days", "escalated_count", "escalated_share", "district_share", "reopen_rate",
    "verified", "median_days_to_verify",
)  # fmt: skip


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def zone_offset(timezone: str) -> timedelta:
    """The zone's UTC offset; Indonesian zones have no daylight saving time."""
    offset = datetime.now(ZoneInfo(timezone)).utcoffset()
    return offset or timedelta(0)


def day_bounds(
    start: date | None, end: date | None, timezone: str
) -> tuple[datetime | None, datetime | None]:
    """Local days [start, end] as naive UTC [low, high) for comparisons with stored times."""
    offset = zone_offset(timezone)
    low = datetime.combine(start, time()) - offset if start else None
    high = datetime.combine(end + timedelta(days=1), time()) - offset if end else None
    return low, high


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters: period (local days), category, school level, cohort."""

    date_from: date | None = None
    date_to: date | None = None
    category: int | None = None
    level: str | None = None
    cohort: int | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> Filters:
        """Parse the query string; malformed values are ignored."""
        level = args.get("level")
        return cls(
            date_from=_date(args.get("from")),
            date_to=_date(args.get("to")),
            category=_int(args.get("category")),
            level=level if level in LEVELS else None,
            cohort=_int(args.get("cohort")),
        )

    def as_args(self) -> dict[str, str]:
        """The dashboard query string for these filters."""
        args = {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "category": self.category,
            "level": self.level,
            "cohort": self.cohort,
        }
        return {k: str(v) for k, v in args.items() if v is not None}

    def list_args(self, *, verified: bool = False) -> dict[str, str]:
        """The ticket-list query string (docs/dashboard.md) that shows the tickets behind."""
        args: dict[str, Any] = {"category": self.category, "level": self.level,
                                "cohort": self.cohort}  # fmt: skip
        prefix = "verified" if verified else "created"
        args[f"{prefix}_from"] = self.date_from.isoformat() if self.date_from else None
        args[f"{prefix}_to"] = self.date_to.isoformat() if self.date_to else None
        return {k: str(v) for k, v in args.items() if v is not None}


@dataclass
class Row:
    """The figures of one group (a district, province, school or category) or the total."""

    key: str
    label: str = ""
    total: int = 0
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPEN_STATES, 0))
    overdue: int = 0
    median_age_days: float | None = None
    escalated_count: int = 0
    resolved_count: int = 0  # tickets now resolved or verified
    resolved_district: int = 0
    reopens: int = 0
    verified: int = 0  # verifications in the period
    median_days_to_verify: float | None = None

    @property
    def raised(self) -> int:
        """Open tickets waiting for the district."""
        return self.by_state["raised"]

    @property
    def assigned(self) -> int:
        """Open tickets handled by the district."""
        return self.by_state["assigned"]

    @property
    def escalated(self) -> int:
        """Open tickets at the province."""
        return self.by_state["escalated"]

    @property
    def resolved(self) -> int:
        """Tickets waiting for the facilitator's verification."""
        return self.by_state["resolved"]

    @property
    def open_total(self) -> int:
        """All open tickets."""
        return sum(self.by_state.values())

    @property
    def resolves(self) -> int:
        """Resolve events of these tickets (see the module docstring)."""
        return self.reopens + self.resolved_count

    @property
    def escalated_share(self) -> float | None:
        """Tickets escalated to the province at least once, of all tickets."""
        return self.escalated_count / self.total if self.total else None

    @property
    def district_share(self) -> float | None:
        """Resolved or verified tickets whose (last) fix came from the district."""
        return self.resolved_district / self.resolved_count if self.resolved_count else None

    @property
    def reopen_rate(self) -> float | None:
        """Fixes rejected by facilitators, of all fixes."""
        return self.reopens / self.resolves if self.resolves else None


@dataclass
class Table:
    """Rows of one dashboard table and their total."""

    rows: list[Row]
    total: Row


# Building blocks.


def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _category_ids(category: int) -> Select[Any]:
    # A category filter includes its subcategories.
    return select(Category.id).where(or_(Category.id == category, Category.parent_id == category))


def narrowed(scope: Select[Any], filters: Filters, timezone: str, *, period: bool = True,
             ) -> Select[Any]:  # fmt: skip
    """The scope narrowed by category, level, cohort and (if ``period``) the raised days."""
    query = scope
    if filters.category is not None:
        query = query.where(Ticket.category_id.in_(_category_ids(filters.category)))
    if filters.level is not None or filters.cohort is not None:
        schools = select(School.id)
        if filters.level is not None:
            schools = schools.where(School.level == filters.level)
        if filters.cohort is not None:
            schools = schools.where(School.cohort == filters.cohort)
        query = query.where(Ticket.school_id.in_(schools))
    if period:
        low, high = day_bounds(filters.date_from, filters.date_to, timezone)
        if low is not None:
            query = query.where(Ticket.created_at >= low)
        if high is not None:
            query = query.where(Ticket.created_at < high)
    return query


def _columns(query: Select[Any], *columns: Any) -> Select[Any]:
    # select_from: a scope without conditions (national) must still read the tickets table.
    return query.with_only_columns(*columns).select_from(Ticket)


def _aggregate(query: Select[Any], columns: list[Any], group: Any,
               ) -> list[Any]:  # fmt: skip
    """Replace the scope's columns by aggregates, grouped (with a total row on PostgreSQL)."""
    if group is None:
        return list(db.session.execute(_columns(query, literal_column("NULL"), *columns)))
    key = group.label("key")
    grouped = _columns(query, key, *columns)
    if _is_postgres():
        # ROLLUP adds the total row (key NULL) in the same scan.
        return list(db.session.execute(grouped.group_by(func.rollup(group))))
    rows = list(db.session.execute(grouped.group_by(group)))
    rows.extend(db.session.execute(_columns(query, literal_column("NULL"), *columns)))
    return rows


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _median_py(values: Iterable[float]) -> float | None:
    items = list(values)
    return statistics.median(items) if items else None


def _medians_sqlite(query: Select[Any], group: Any,
                    value: Callable[[Any], float], *columns: Any,
                    ) -> dict[str | None, float | None]:  # fmt: skip
    """Median of ``value(row)`` per group and overall, from one query (SQLite)."""
    key = group if group is not None else literal_column("NULL")
    per: dict[str | None, list[float]] = defaultdict(list)
    everything: list[float] = []
    for row in db.session.execute(_columns(query, key, *columns)):
        number = value(row)
        per[None if row[0] is None else str(row[0])].append(number)
        everything.append(number)
    result: dict[str | None, float | None] = {k: _median_py(v) for k, v in per.items()}
    result[None] = _median_py(everything)
    return result


def figures(scope: Select[Any], filters: Filters, timezone: str,
            group: Any, now: datetime | None = None) -> Table:  # fmt: skip
    """All the figures per group of ``group`` (a Ticket column), and the total row."""
    now = now or utcnow()
    is_open = Ticket.state.in_(OPEN_STATES)
    cohort = narrowed(scope, filters, timezone)
    columns: list[Any] = [
        func.count().label("total"),
        *[_count_if(Ticket.state == s).label(s) for s in OPEN_STATES],
        _count_if(and_(is_open, Ticket.due_at < now)).label("overdue"),
        _count_if(Ticket.escalation_count > 0).label("escalated_count"),
        _count_if(Ticket.state.in_(RESOLVED_STATES)).label("resolved_count"),
        _count_if(and_(Ticket.state.in_(RESOLVED_STATES), Ticket.resolved_tier == "district"))
        .label("resolved_district"),
        func.coalesce(func.sum(Ticket.reopen_count), 0).label("reopens"),
    ]  # fmt: skip
    postgres = _is_postgres()
    if postgres:
        created = extract("epoch", Ticket.created_at)
        columns.append(
            func.percentile_cont(0.5).within_group(created).filter(is_open).label("median_created")
        )
    rows: dict[str | None, Row] = {}
    for result in _aggregate(cohort, columns, group):
        key = None if result[0] is None else str(result[0])
        row = Row(key=key or "", total=int(result.total))
        row.by_state = {s: int(getattr(result, s)) for s in OPEN_STATES}
        row.overdue = int(result.overdue)
        row.escalated_count = int(result.escalated_count)
        row.resolved_count = int(result.resolved_count)
        row.resolved_district = int(result.resolved_district)
        row.reopens = int(result.reopens)
        if postgres and result.median_created is not None:
            row.median_age_days = (now.timestamp() - float(result.median_created)) / 86_400
        rows[key] = row
    if not postgres:
        ages = _medians_sqlite(
            cohort.where(is_open), group, lambda r: (now - _dt(r[1])).total_seconds() / 86_400,
            Ticket.created_at,
        )  # fmt: skip
        for key, median in ages.items():
            if key in rows:
                rows[key].median_age_days = median
    _verified(scope, filters, timezone, group, rows)
    total = rows.pop(None, None) or Row(key="")
    ordered = sorted(rows.values(), key=lambda r: r.key)
    return Table(ordered, total)


def _dt(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def _verified(scope: Select[Any], filters: Filters, timezone: str,
              group: Any, rows: dict[str | None, Row]) -> None:  # fmt: skip
    """Verifications in the period and the median days from raised to verified."""
    query = narrowed(scope, filters, timezone, period=False).where(Ticket.state == "verified")
    low, high = day_bounds(filters.date_from, filters.date_to, timezone)
    if low is not None:
        query = query.where(Ticket.closed_at >= low)
    if high is not None:
        query = query.where(Ticket.closed_at < high)
    columns: list[Any] = [func.count().label("verified")]
    if _is_postgres():
        took = extract("epoch", Ticket.closed_at - Ticket.created_at)
        columns.append(func.percentile_cont(0.5).within_group(took).label("median"))
    medians: dict[str | None, float | None] = {}
    if not _is_postgres():
        medians = _medians_sqlite(
            query, group, lambda r: (_dt(r[2]) - _dt(r[1])).total_seconds() / 86_400,
            Ticket.created_at, Ticket.closed_at,
        )  # fmt: skip
    for result in _aggregate(query, columns, group):
        key = None if result[0] is None else str(result[0])
        row = rows.setdefault(key, Row(key=key or ""))
        row.verified = int(result.verified)
        if _is_postgres():
            row.median_days_to_verify = (
                float(result.median) / 86_400 if result.median is not None else None
            )
        else:
            row.median_days_to_verify = medians.get(key)


# Labels for the groups.


def _label_districts(table: Table) -> Table:
    names = dict(db.session.execute(select(District.code, District.name)).all())
    for row in table.rows:
        row.label = names.get(row.key, row.key)
    return table


def _label_provinces(table: Table) -> Table:
    names = dict(db.session.execute(select(Province.code, Province.name)).all())
    for row in table.rows:
        row.label = names.get(row.key, row.key)
    return table


def _label_schools(table: Table) -> Table:
    ids = [int(r.key) for r in table.rows]
    names = {
        str(i): f"{n} ({npsn})"
        for i, n, npsn in db.session.execute(
            select(School.id, School.name, School.npsn).where(School.id.in_(ids))
        )
    }
    for row in table.rows:
        row.label = names.get(row.key, row.key)
    return table


def category_labels(locale: str) -> dict[str, str]:
    """Category id -> name in the locale ("Parent: child" for subcategories)."""
    categories = list(db.session.scalars(select(Category)))
    by_id = {c.id: c for c in categories}
    labels = {}
    for c in categories:
        parent = by_id.get(c.parent_id) if c.parent_id else None
        name = c.label(locale)
        labels[str(c.id)] = f"{parent.label(locale)}: {name}" if parent else name
    return labels


def _label_categories(table: Table, locale: str) -> Table:
    labels = category_labels(locale)
    for row in table.rows:
        row.label = labels.get(row.key, row.key)
    return table


# The dashboards.


def national(scope: Select[Any], filters: Filters) -> Table:
    """One row per province (national administrators)."""
    return _label_provinces(figures(scope, filters, "Asia/Jakarta", Ticket.province_code))


def province(scope: Select[Any], province: Province, filters: Filters) -> Table:
    """One row per district of the province."""
    scoped = scope.where(Ticket.province_code == province.code)
    table = figures(scoped, filters, province.timezone, Ticket.district_code)
    return _label_districts(table)


def _district_scope(scope: Select[Any], district: District) -> Select[Any]:
    # The province condition lets the dashboard index (province, district, ...) serve it.
    return scope.where(
        Ticket.province_code == district.province_code, Ticket.district_code == district.code
    )


def district_by_school(scope: Select[Any], district: District, filters: Filters) -> Table:
    """One row per school of the district."""
    table = figures(_district_scope(scope, district), filters, district.province.timezone,
                    Ticket.school_id)  # fmt: skip
    return _label_schools(table)


def by_category(scope: Select[Any], filters: Filters, timezone: str, locale: str) -> Table:
    """One row per category, within the given scope."""
    return _label_categories(figures(scope, filters, timezone, Ticket.category_id), locale)


def district_scope(scope: Select[Any], district: District) -> Select[Any]:
    """The scope narrowed to one district (public name of _district_scope)."""
    return _district_scope(scope, district)


def oldest_open(scope: Select[Any], district: District, filters: Filters,
                limit: int = 10) -> list[Ticket]:  # fmt: skip
    """The district's oldest open tickets (within the filters)."""
    query = narrowed(_district_scope(scope, district), filters, district.province.timezone)
    query = (
        query.where(Ticket.state.in_(OPEN_STATES))
        .options(joinedload(Ticket.school), joinedload(Ticket.category))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return list(db.session.scalars(query).unique())


def _month(column: Any, timezone: str) -> Any:
    hours = int(zone_offset(timezone).total_seconds() // 3600)
    if _is_postgres():
        return func.to_char(column + literal_column(f"interval '{hours} hours'"), "YYYY-MM")
    return func.strftime("%Y-%m", column, f"{hours:+d} hours")


def months_between(first: date, last: date) -> list[str]:
    """'YYYY-MM' for every month from first to last."""
    out, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def monthly_trend(scope: Select[Any], filters: Filters, timezone: str,
                  now: datetime | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Raised and verified per month (local), over the period or the last 12 months."""
    now = now or utcnow()
    today = (now + zone_offset(timezone)).date()
    last = filters.date_to or today
    first = filters.date_from or (last.replace(day=1) - timedelta(days=335)).replace(day=1)
    window = replace(filters, date_from=first, date_to=last)
    low, high = day_bounds(first, last, timezone)
    base = narrowed(scope, window, timezone, period=False)
    raised_month = _month(Ticket.created_at, timezone)
    raised: dict[str, int] = dict(
        db.session.execute(
            base.where(Ticket.created_at >= low, Ticket.created_at < high)
            .with_only_columns(raised_month, func.count())
            .select_from(Ticket)
            .group_by(raised_month)
        ).all()
    )
    verified_month = _month(Ticket.closed_at, timezone)
    verified: dict[str, int] = dict(
        db.session.execute(
            base.where(Ticket.state == "verified", Ticket.closed_at >= low, Ticket.closed_at < high)
            .with_only_columns(verified_month, func.count())
            .select_from(Ticket)
            .group_by(verified_month)
        ).all()
    )
    return [
        {"month": m, "raised": int(raised.get(m, 0)), "verified": int(verified.get(m, 0))}
        for m in months_between(first, last)
    ]


def sort_rows(rows: list[Row], key: str | None, descending: bool) -> list[Row]:
    """Sort by any figure; empty figures (no data) go last either way."""
    if key not in SORT_KEYS:
        return rows
    present = [r for r in rows if getattr(r, key) is not None]
    missing = [r for r in rows if getattr(r, key) is None]
    return sorted(present, key=lambda r: getattr(r, key), reverse=descending) + missing


# The ticket list behind a number (used by the export; the list view may reuse it).


def filter_tickets(query: Select[Any], args: Mapping[str, Any], timezone: str,
                   now: datetime | None = None) -> Select[Any]:  # fmt: skip
    """Narrow a ticket query by the list parameters of docs/dashboard.md."""
    now = now or utcnow()
    state = args.get("state")
    if state == "open" or args.get("open") == "1":
        query = query.where(Ticket.state.in_(OPEN_STATES))
    elif state in STATES:
        query = query.where(Ticket.state == state)
    filters = Filters(
        date_from=_date(args.get("created_from")),
        date_to=_date(args.get("created_to")),
        category=_int(args.get("category")),
        level=args.get("level") if args.get("level") in LEVELS else None,
        cohort=_int(args.get("cohort")),
    )
    query = narrowed(query, filters, timezone)
    if args.get("province"):
        query = query.where(Ticket.province_code == str(args["province"])[:2])
    if args.get("district"):
        query = query.where(Ticket.district_code == str(args["district"])[:5])
    school = _int(args.get("school"))
    if school is not None:
        query = query.where(Ticket.school_id == school)
    if args.get("overdue") == "1":
        query = query.where(Ticket.state.in_(OPEN_STATES), Ticket.due_at < now)
    if args.get("escalated") == "1":
        query = query.where(Ticket.escalation_count > 0)
    if args.get("reopened") == "1":
        query = query.where(Ticket.reopen_count > 0)
    if args.get("resolved_by") in TIERS:
        query = query.where(
            Ticket.state.in_(RESOLVED_STATES), Ticket.resolved_tier == args["resolved_by"]
        )
    low, high = day_bounds(
        _date(args.get("verified_from")), _date(args.get("verified_to")), timezone
    )
    if low is not None or high is not None:
        query = query.where(Ticket.state == "verified")
        if low is not None:
            query = query.where(Ticket.closed_at >= low)
        if high is not None:
            query = query.where(Ticket.closed_at < high)
    return query
