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
- SLA compliance = tickets that never missed a PMO deadline and are not past one now
  (``sla.within_deadline_condition``) / all tickets; overdue = open and past the current
  deadline (``sla.overdue_filter``).
- Cost: one pass counts every additive figure per combination of the table's groups (e.g.
  district x category) with FILTERed aggregates; Python adds the rows up per table. Medians
  are not additive: percentile_cont per table on PostgreSQL, values fetched in one query and
  taken in Python on SQLite.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import joinedload
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

from ticketing import rollups, sla
from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import (
    ALL_DAYS,
    ALL_TIME,
    LEVELS,
    OPEN_STATES,
    WHOLE_MONTH,
    Category,
    District,
    OpenRollup,
    Province,
    School,
    SchoolRollup,
    SchoolVerifyRollup,
    Ticket,
    TicketRollup,
    VerifyRollup,
)
from ticketing.params import bounded_int
from ticketing.vocabulary import State, Tier

RESOLVED_STATES = (State.RESOLVED, State.VERIFIED)
TIERS: tuple[Tier, ...] = tuple(Tier)
# Columns a dashboard table can be sorted by (Row attribute names).
SORT_KEYS: tuple[str, ...] = (
    "label", "total", *OPEN_STATES, "open_total", "overdue",
    "median_age_days", "escalated_count", "escalated_share", "referred_share",
    "district_share", "reopen_rate", "recurrence_rate",
    "verified", "median_days_to_verify", "within", "compliance",
)  # fmt: skip


def parse_int(value: Any) -> int | None:
    """An integer query parameter; malformed or beyond an INTEGER column: None (ignored)."""
    return bounded_int(value)


# Dates in filters are clamped to the years the programme can have tickets in: 0001-01-01 or
# 9999-12-31 overflow datetime arithmetic, and the monthly trend draws one point per month.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def parse_date(value: Any) -> date | None:
    """A date query parameter (YYYY-MM-DD), clamped; malformed: None (ignored)."""
    try:
        day = date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    return None if day is None else min(max(day, FIRST_DAY), LAST_DAY)


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


def parse_month(value: Any) -> date | None:
    """A month from a query string ('2026-05' -> date(2026, 5, 1)); None if malformed."""
    text = str(value or "").strip()
    if len(text) != 7 or text[4] != "-":
        return None
    try:
        first = date(int(text[:4]), int(text[5:]), 1)
    except ValueError:
        return None
    return first if date(2000, 1, 1) <= first <= date(2099, 12, 1) else None


def month_bounds(first: date, timezone: str) -> tuple[datetime, datetime]:
    """The local month starting on ``first`` as naive UTC [low, high)."""
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    low, high = day_bounds(first, last, timezone)
    assert low is not None and high is not None
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
            date_from=parse_date(args.get("from")),
            date_to=parse_date(args.get("to")),
            category=parse_int(args.get("category")),
            level=level if level in LEVELS else None,
            cohort=parse_int(args.get("cohort")),
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
    referred_count: int = 0  # tickets referred to the central PMO at least once
    resolved_count: int = 0  # tickets now resolved or verified
    resolved_district: int = 0
    reopens: int = 0
    verified: int = 0  # verifications in the period
    median_days_to_verify: float | None = None
    within: int = 0  # tickets that never missed a PMO deadline and are not past one now
    # Filled by ticketing.recurrence: fixes verified in the period, and of them came back.
    fixes: int = 0
    came_back: int = 0

    def __getattr__(self, name: str) -> int:
        """``row.raised``, ``row.escalated``...: open tickets in that state (sorting, export)."""
        if name in OPEN_STATES:
            return int(self.__dict__.get("by_state", {}).get(name, 0))
        raise AttributeError(name)

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
    def referred_share(self) -> float | None:
        """Tickets referred to the central PMO at least once, of all tickets."""
        return self.referred_count / self.total if self.total else None

    @property
    def district_share(self) -> float | None:
        """Resolved or verified tickets whose (last) fix came from the district."""
        return self.resolved_district / self.resolved_count if self.resolved_count else None

    @property
    def reopen_rate(self) -> float | None:
        """Fixes rejected by facilitators, of all fixes."""
        return self.reopens / self.resolves if self.resolves else None

    @property
    def recurrence_rate(self) -> float | None:
        """Closed fixes that came back as a new ticket, of all closed fixes (recurrence.py)."""
        return self.came_back / self.fixes if self.fixes else None

    @property
    def compliance(self) -> float | None:
        """SLA compliance: tickets handled within their deadlines, of all tickets."""
        return sla.compliance_share(self.total, self.within)


@dataclass
class Table:
    """Rows of one dashboard table and their total."""

    rows: list[Row]
    total: Row
    # The rows' fixes and came_back are filled (the rollups count them with the figures).
    with_recurrence: bool = False


# Building blocks.


def _is_postgres() -> bool:
    return db.engine.dialect.name == "postgresql"


def _category_ids(category: int) -> Select[Any]:
    # A category filter includes its subcategories.
    return select(Category.id).where(or_(Category.id == category, Category.parent_id == category))


def category_condition(category: int) -> ColumnElement[bool]:
    """Tickets of the category or one of its subcategories."""
    return Ticket.category_id.in_(_category_ids(category))


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


def _between(column: Any, low: datetime | None, high: datetime | None,
             ) -> ColumnElement[bool] | None:  # fmt: skip
    """low <= column < high; None when the range is open on both sides (no condition)."""
    conditions = []
    if low is not None:
        conditions.append(column >= low)
    if high is not None:
        conditions.append(column < high)
    return and_(*conditions) if conditions else None


def _both(first: ColumnElement[bool] | None, second: ColumnElement[bool] | None,
          ) -> ColumnElement[bool] | None:  # fmt: skip
    if first is None:
        return second
    return first if second is None else and_(first, second)


def _count(condition: ColumnElement[bool] | None) -> Any:
    # count(*) FILTER (WHERE ...): PostgreSQL and SQLite >= 3.30 both have it.
    return func.count().filter(condition) if condition is not None else func.count()


def _sum(column: Any, condition: ColumnElement[bool] | None) -> Any:
    total = func.sum(column)
    return func.coalesce(total.filter(condition) if condition is not None else total, 0)


def _median_of_runs(values: list[float]) -> float | None:
    """The median of a list made of sorted runs, sorted in place (timsort merges the runs)."""
    if not values:
        return None
    values.sort()
    middle = len(values) // 2
    if len(values) % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / 2


def _epoch(column: Any) -> Any:
    # date_part gives float8; EXTRACT gives numeric since PostgreSQL 14, about twice as slow
    # to sort in percentile_cont.
    return func.date_part(literal_column("'epoch'"), column)


def _key(value: Any) -> str:
    return str(value)


@dataclass
class _Conditions:
    """The SQL conditions every figure of one dashboard request is built from."""

    now: datetime
    cohort: ColumnElement[bool] | None  # raised in the period (None: no period)
    verified: ColumnElement[bool]  # verified in the period
    is_open: ColumnElement[bool]
    opened: ColumnElement[bool]  # open and raised in the period (what the age median reads)


def _conditions(filters: Filters, timezone: str, now: datetime) -> _Conditions:
    low, high = day_bounds(filters.date_from, filters.date_to, timezone)
    cohort = _between(Ticket.created_at, low, high)
    closed = _between(Ticket.closed_at, low, high)
    is_open = Ticket.state.in_(OPEN_STATES)
    is_verified = Ticket.state == State.VERIFIED
    return _Conditions(
        now=now,
        cohort=cohort,
        verified=is_verified if closed is None else and_(is_verified, closed),
        is_open=is_open,
        opened=is_open if cohort is None else and_(cohort, is_open),
    )


def _count_columns(c: _Conditions) -> list[Any]:
    """The additive figures of a group, as FILTERed aggregates of one pass over the tickets."""
    resolved = Ticket.state.in_(RESOLVED_STATES)
    return [
        _count(c.cohort).label("total"),
        *[_count(_both(c.cohort, Ticket.state == s)).label(s) for s in OPEN_STATES],
        _count(_both(c.cohort, sla.overdue_filter(c.now))).label("overdue"),
        _count(_both(c.cohort, Ticket.escalation_count > 0)).label("escalated_count"),
        _count(_both(c.cohort, Ticket.referral_count > 0)).label("referred_count"),
        _count(_both(c.cohort, resolved)).label("resolved_count"),
        _count(_both(c.cohort, and_(resolved, Ticket.resolved_tier == Tier.DISTRICT)))
        .label("resolved_district"),
        _sum(Ticket.reopen_count, c.cohort).label("reopens"),
        _count(_both(c.cohort, sla.within_deadline_condition(c.now))).label("within"),
        _count(c.verified).label("verified"),
    ]  # fmt: skip


ADDITIVE = ("total", "overdue", "escalated_count", "referred_count", "resolved_count",
            "resolved_district", "reopens", "within", "verified")  # fmt: skip


def _add(row: Row, result: Any) -> None:
    for name in ADDITIVE:
        setattr(row, name, getattr(row, name) + int(getattr(result, name)))
    for s in OPEN_STATES:
        row.by_state[s] += int(getattr(result, s))


def _value_lists(c: _Conditions) -> list[Any]:
    """The values behind the medians, collected per group in the same pass.

    Medians are not additive, and percentile_cont per table costs a sort and a scan each
    (about 50-100 ms per table at 74,000 tickets); the lists add one array per group to the
    pass that counts, and Python takes the exact medians per table.
    """
    # Days to verify are whole days (rollups.took_days), as the rollups count them; the age
    # of an open ticket is counted from the local day it was raised (rollups.local_day).
    took = rollups.took_days_sql(_is_postgres())
    raised = _raised_day_sql()
    if _is_postgres():
        return [
            func.array_agg(raised).filter(c.opened).label("created"),
            func.array_agg(took).filter(c.verified).label("took"),
        ]
    return [
        func.json_group_array(raised).filter(c.opened).label("created"),
        func.json_group_array(took).filter(c.verified).label("took"),
    ]  # fmt: skip


def _raised_day_sql() -> Any:
    """The local day a ticket was raised (its province's zone), as days since 1970-01-01."""
    offsets = {
        code: rollups.offset_hours(zone)
        for code, zone in db.session.execute(select(Province.code, Province.timezone))
    }
    hours = case(offsets, value=Ticket.province_code, else_=7) if offsets else literal(7)
    if _is_postgres():
        seconds = cast(func.floor(_epoch(Ticket.created_at)), BigInteger)
    else:
        seconds = cast(func.strftime("%s", Ticket.created_at), Integer)
    return (seconds + hours * 3600) // rollups.DAY_SECONDS


def today_number(now: datetime, timezone: str) -> int:
    """Today in the zone, as days since 1970-01-01 (ages of open tickets count from it)."""
    seconds = int(now.replace(tzinfo=UTC).timestamp()) + rollups.offset_hours(timezone) * 3600
    return seconds // rollups.DAY_SECONDS


def _values(value: Any) -> list[float]:
    # Sorted here, per group x category (small lists): a table's and the total's lists are
    # then concatenations of sorted runs, which list.sort merges almost for free.
    if value is None:
        return []
    if isinstance(value, str):  # SQLite: a JSON array
        return sorted(float(v) for v in json.loads(value))
    return sorted(value)  # PostgreSQL: float8[] arrives as a list of floats


class _Values:
    """Values of one table per group key, and of the total (key None)."""

    def __init__(self) -> None:
        self.by_key: dict[str | None, list[float]] = defaultdict(list)

    def add(self, key: str | None, values: list[float]) -> None:
        if values:
            self.by_key[key].extend(values)

    def median(self, key: str | None) -> float | None:
        return _median_of_runs(self.by_key.get(key, []))


def figures_by(scope: Select[Any], filters: Filters, timezone: str, groups: list[Any],
               now: datetime | None = None) -> list[Table]:  # fmt: skip
    """All the figures per value of each column in ``groups``, and the total row.

    One pass over the scope computes every figure per combination of the group columns (e.g.
    district x category: a few hundred rows) and Python adds them up per table; the tables
    share the total row.
    """
    now = now or utcnow()
    from_rollups = _from_rollups(scope, filters, timezone, groups, now)
    if from_rollups is not None:
        return from_rollups
    c = _conditions(filters, timezone, now)
    base = narrowed(scope, filters, timezone, period=False)
    if c.cohort is not None:
        base = base.where(or_(c.cohort, c.verified))
    keys = [g.label(f"k{i}") for i, g in enumerate(groups)]
    query = _columns(base, *keys, *_count_columns(c), *_value_lists(c)).group_by(*groups)
    per: list[dict[str, Row]] = [{} for _ in groups]
    total = Row(key="")
    created, took = _Values(), [_Values() for _ in groups]
    ages = [_Values() for _ in groups]
    for result in db.session.execute(query):
        _add(total, result)
        opened, verified = _values(result.created), _values(result.took)
        created.add(None, opened)
        took[0].add(None, verified)
        for i, rows in enumerate(per):
            key = _key(result[i])
            _add(rows.setdefault(key, Row(key=key)), result)
            ages[i].add(key, opened)
            took[i].add(key, verified)
    today = today_number(now, timezone)

    def age(median: float | None) -> float | None:
        return None if median is None else today - median

    total.median_age_days = age(created.median(None))
    total.median_days_to_verify = took[0].median(None)
    for i, rows in enumerate(per):
        for key, row in rows.items():
            row.median_age_days = age(ages[i].median(key))
            row.median_days_to_verify = took[i].median(key)
    return [
        Table(sorted((r for r in rows.values() if r.total or r.verified), key=lambda r: r.key),
              total)
        for rows in per
    ]  # fmt: skip


# Reading the rollups (ticketing/rollups.py): the same figures without a pass over the tickets.

ROLLUP_GROUPS = ("province_code", "district_code", "category_id")
# The district dashboard's groups, read from the rollups at the grain of a school.
SCHOOL_GROUPS = ("school_id", "category_id")


@dataclass(frozen=True)
class _Place:
    """What a scope holds in full: one province ([] = every province), or one district."""

    provinces: list[str]
    district: str | None = None


def _scope_place(scope: Select[Any]) -> _Place | None:
    """The province or district whose tickets the scope holds in full, or None.

    Only a scope made of nothing but ``province_code == X`` conditions (or none: national),
    optionally with ``district_code == Y`` ones, can be answered from the rollups; anything
    narrower (a facilitator, an expert) reads tickets.
    """
    # The FROMs of the selected columns, and no join or select_from (get_final_froms would
    # say the same but compiles the statement: 3-7 ms, four times per dashboard request).
    froms = scope.columns_clause_froms
    if scope._setup_joins or scope._from_obj:
        return None
    if len(froms) != 1 or not froms[0].compare(Ticket.__table__):
        return None
    clause = scope.whereclause
    if clause is None:
        return _Place([])
    parts = list(clause.clauses) if isinstance(clause, BooleanClauseList) else [clause]
    if isinstance(clause, BooleanClauseList) and clause.operator is not operators.and_:
        return None
    codes: dict[str, set[str]] = {"province_code": set(), "district_code": set()}
    for part in parts:
        if not (isinstance(part, BinaryExpression) and part.operator is operators.eq
                and isinstance(part.right, BindParameter)):  # fmt: skip
            return None
        column = next((c for c in codes if part.left.compare(Ticket.__table__.c[c])), None)
        if column is None:
            return None
        codes[column].add(str(part.right.value))
    provinces, districts = codes["province_code"], codes["district_code"]
    if len(provinces) != 1 or len(districts) > 1:
        return None
    return _Place(list(provinces), next(iter(districts), None))


def _scope_provinces(scope: Select[Any]) -> list[str] | None:
    """The province whose tickets the scope holds in full ([] = every province), or None."""
    place = _scope_place(scope)
    return None if place is None or place.district is not None else place.provinces


def _months(filters: Filters, timezone: str, provinces: list[str], now: datetime,
            ) -> tuple[date | None, date | None] | None:  # fmt: skip
    """The period as whole local months (first, last), or None when it is not whole months.

    The rollups count local months of each province; a period is served from them only when
    it covers whole months in the same zone (a period ending today covers the current month:
    nothing is raised later than now).
    """
    first, last = filters.date_from, filters.date_to
    if first is None and last is None:
        return None, None
    if provinces:
        # From the session's identity map when the page has loaded them (no round trip).
        found = [db.session.get(Province, code) for code in provinces]
        zones = [p.timezone for p in found if p is not None]
    else:
        zones = list(db.session.scalars(select(Province.timezone).distinct()))
    if {rollups.offset_hours(z) for z in zones} - {rollups.offset_hours(timezone)}:
        return None
    today = (now + zone_offset(timezone)).date()
    if first is not None and first.day != 1:
        return None
    if last is not None and last < today and (last + timedelta(days=1)).day != 1:
        return None
    return first, (None if last is None or last >= today else last.replace(day=1))


@dataclass(frozen=True)
class _Shape:
    """What the form of a rollup statement depends on; the values are bound parameters.

    The statements are built once per shape (``functools.cache``): building a statement of
    unions and windows cost several ms of Python per request, and its compiled form is then
    found in SQLAlchemy's cache without walking a new tree.
    """

    postgres: bool
    names: tuple[str, ...]  # the tables' group columns
    district: bool  # one district's rows (the school grain), else provinces or the nation
    provinces: bool  # province_code IN :provinces (False: the nation, or a district)
    first: bool  # period >= :first
    last: bool  # period <= :last
    category: bool  # category_id in :category or its subcategories


def _shape(place: _Place, months: tuple[date | None, date | None], filters: Filters,
           names: list[str]) -> tuple[_Shape, dict[str, Any]]:  # fmt: skip
    """The shape of a rollup read and the values of its parameters."""
    first, last = months
    values: dict[str, Any] = {"first": first, "last": last, "district": place.district,
                              "provinces": place.provinces or None,
                              "category": filters.category}  # fmt: skip
    shape = _Shape(
        postgres=_is_postgres(), names=tuple(names), district=place.district is not None,
        provinces=place.district is None and bool(place.provinces), first=first is not None,
        last=last is not None, category=filters.category is not None,
    )  # fmt: skip
    if place.district is not None:
        values["provinces"] = None
    return shape, {k: v for k, v in values.items() if v is not None}


def _rollup_where(model: Any, shape: _Shape) -> list[Any]:
    """The rows of the shape's place, period and category, with bound parameters."""
    where = [model.period == ALL_TIME] if not (shape.first or shape.last) else [
        model.period > ALL_TIME]  # fmt: skip
    if shape.first:
        where.append(model.period >= bindparam("first", type_=Date))
    if shape.last:
        where.append(model.period <= bindparam("last", type_=Date))
    if shape.district:
        where.append(model.district_code == bindparam("district", type_=String))
    elif shape.provinces:
        where.append(model.province_code.in_(bindparam("provinces", expanding=True)))
    if shape.category:
        category = bindparam("category", type_=Integer)
        ids = select(Category.id).where(
            or_(Category.id == category, Category.parent_id == category)
        )
        where.append(model.category_id.in_(ids))
    return where


def _median_of_counts(counts: Mapping[int, int]) -> float | None:
    """The exact median of values given as value -> how many times it occurs."""
    size = sum(counts.values())
    if not size:
        return None
    wanted = [(size - 1) // 2, size // 2]  # 0-based ranks of the middle value(s)
    found: list[float] = []
    seen = 0
    for value in sorted(counts):
        seen += counts[value]
        while wanted and wanted[0] < seen:
            found.append(float(value))
            wanted.pop(0)
    return sum(found) / len(found)


def _from_rollups(scope: Select[Any], filters: Filters, timezone: str, groups: list[Any],
                  now: datetime) -> list[Table] | None:  # fmt: skip
    """figures_by from the rollups, or None when they cannot answer.

    Counts by state, escalations, fixes, reopens and SLA breaches come from ticket_rollups
    (school_rollups for a district), verifications and their median from verify_rollups
    (counts per whole day), the median age of the open tickets from open_rollups. What
    depends on the clock (overdue now, past a PMO deadline now) is the open tickets' count
    less those whose deadline has not passed: one pass over the tickets *not yet due*
    (ix_tickets_open_due), which the deadlines bound, not the open backlog.
    """
    if not current_app.config.get("DASHBOARD_ROLLUPS", True):
        return None  # the bench's comparison (and a switch should the rollups ever be doubted)
    if filters.level or filters.cohort is not None:
        return None
    place = _scope_place(scope)
    if place is None:
        return None
    names = [str(getattr(g, "key", "")) for g in groups]
    allowed = ROLLUP_GROUPS if place.district is None else SCHOOL_GROUPS
    if any(n not in allowed for n in names):
        return None
    months = _months(filters, timezone, place.provinces, now)
    if months is None:
        return None
    per: list[dict[str, Row]] = [{} for _ in groups]
    total = Row(key="")

    def row_in(i: int, key: str) -> Row:
        found = per[i].get(key)
        if found is None:
            found = per[i][key] = Row(key=key)
        return found

    def rows_of(result: Any) -> list[Row]:
        return [total, *(row_in(i, _key(result[i])) for i in range(len(groups)))]

    unbreached: dict[int, int] = defaultdict(int)  # id(row) -> count
    # Per table's group and state, every table in one statement (SQL adds the combinations
    # up); the total is the first table's rows added up.
    shape, values = _shape(place, months, filters, names)
    for i, key, state, *measures in db.session.execute(_rollup_counts(shape), values):
        tickets, escalated, referred, fixed_by_district, reopens, clean = (
            int(v or 0) for v in measures
        )
        # Past a PMO deadline now is counted below; take those states' clean tickets away.
        clean_now = 0 if state in sla.PMO_STATES else clean
        for row in (row_in(i, key), total) if i == 0 else (row_in(i, key),):
            row.total += tickets
            if state in row.by_state:
                row.by_state[state] += tickets
            if state in RESOLVED_STATES:
                row.resolved_count += tickets
            row.escalated_count += escalated
            row.referred_count += referred
            row.resolved_district += fixed_by_district
            row.reopens += reopens
            unbreached[id(row)] += clean_now
    # Verifications, their median days and the recurrence counts per table's group and for
    # the total (key ''), medians located in the distributions by SQL: one row per group.
    for i, key, verified, came_back, low, high in db.session.execute(
        _rollup_verifications(shape), values
    ):
        row = total if i < 0 else row_in(i, key)
        row.verified, row.fixes, row.came_back = int(verified), int(verified), int(came_back)
        row.median_days_to_verify = (low + high) / 2
    # The clock: open tickets whose deadline has not passed (or that have none).
    c = _conditions(filters, timezone, now)
    base = narrowed(scope, replace(filters, date_from=None, date_to=None), timezone, period=False)
    base = base.where(Ticket.closed_at.is_(None), Ticket.state.in_(OPEN_STATES))
    if c.cohort is not None:
        base = base.where(c.cohort)
    keys = [g.label(f"k{i}") for i, g in enumerate(groups)]
    clean_in_time = and_(Ticket.sla_breaches == 0, Ticket.state.in_(sla.PMO_STATES),
                         Ticket.due_at >= now)  # fmt: skip

    def not_due(condition: ColumnElement[bool]) -> Select[Any]:
        return _columns(
            base.where(condition), *keys, func.count().label("waiting"),
            _count(clean_in_time).label("in_time"),
        ).group_by(*groups)  # fmt: skip

    # Two ranges of ix_tickets_open_due (deadline ahead; no deadline), added up below: with
    # "due_at >= now OR due_at IS NULL" PostgreSQL read the province's whole open backlog
    # (23,000 index entries at 1M for 650 tickets).
    waiting: dict[int, int] = defaultdict(int)
    both = union_all(not_due(Ticket.due_at >= now), not_due(Ticket.due_at.is_(None)))
    for result in db.session.execute(both):
        for row in rows_of(result):
            waiting[id(row)] += int(result.waiting)
            unbreached[id(row)] += int(result.in_time)
    ages = _open_ages(place, names, months, filters, scope, timezone, now, c)
    for row in [total, *(r for rows in per for r in rows.values())]:
        row.within = unbreached[id(row)]
        row.overdue = row.open_total - waiting[id(row)]
    total.median_age_days = ages[0].get(None)
    for i, rows in enumerate(per):
        for key, row in rows.items():
            row.median_age_days = ages[i].get(key)
    return [
        Table(sorted((r for r in rows.values() if r.total or r.verified), key=lambda r: r.key),
              total, with_recurrence=True)
        for rows in per
    ]  # fmt: skip


def _text(column: Any) -> Any:
    """A group column as text (the tables' keys are strings; one column serves every table)."""
    return column if isinstance(column.type, String) else cast(column, String)


def _per_table(postgres: bool, columns: list[Any], within: list[Any], measures: list[Any],
               where: list[Any], *, total: bool) -> Any:  # fmt: skip
    """One aggregate of a rollup table per table's group column (and for the total):
    rows (t, k, *within, *measures), t the table's index (-1: the total, whose k is '').

    PostgreSQL: GROUPING SETS, one scan. A UNION ALL of one GROUP BY per table scans the rows
    once per table, and PostgreSQL ran its parts in parallel workers (a 1 ms read took 20-40 ms
    to start two workers on a loaded machine). SQLite has no GROUPING SETS: the UNION ALL.
    """
    if postgres:
        sets = [tuple_(column, *within) for column in columns]
        if total:
            sets.append(tuple_(*within))
        table = case(
            *[(func.grouping(column) == 0, i) for i, column in enumerate(columns)], else_=-1
        )
        key = func.coalesce(*[_text(column) for column in columns], "")
        return (
            select(table.label("t"), key.label("k"), *within, *measures)
            .where(*where)
            .group_by(func.grouping_sets(*sets))
        )
    parts = [
        select(literal(i).label("t"), _text(column).label("k"), *within, *measures)
        .where(*where)
        .group_by(column, *within)
        for i, column in enumerate(columns)
    ]
    if total:
        parts.append(
            select(literal(-1).label("t"), literal("").label("k"), *within, *measures)
            .where(*where)
            .group_by(*within)
        )
    return union_all(*parts)


def _grain(shape: _Shape) -> tuple[Any, Any]:
    """The counts and verifications rollups of the shape's place (a district's: per school)."""
    if shape.district:
        return SchoolRollup, SchoolVerifyRollup
    return TicketRollup, VerifyRollup


@cache
def _rollup_counts(shape: _Shape) -> Any:
    """Each table's additive rollup measures per group and state: (table, key, state, ...)."""
    R = _grain(shape)[0]
    measures = [R.tickets, R.escalated, R.referred, R.resolved_district, R.reopens,
                R.unbreached]  # fmt: skip
    return _per_table(
        shape.postgres, [getattr(R, name) for name in shape.names], [R.state],
        [func.sum(m) for m in measures], _rollup_where(R, shape), total=False,
    )  # fmt: skip


def _running(column: Any, group: list[Any], order: Any | None = None) -> Any:
    """A window sum as a BIGINT (sum of a BIGINT is NUMERIC on PostgreSQL: ranks divide)."""
    return cast(func.sum(column).over(partition_by=group, order_by=order), BigInteger)


@cache
def _rollup_verifications(shape: _Shape) -> Any:
    """Per table's group, and for the total (table -1, key ''): (table, key, verifications,
    of them came back, the days of the low and the high middle verification).

    The distribution by whole days of each group is summed, then counted up in day order
    (a window); a middle rank r (0-based) lies in the first day whose running count passes r.
    """
    V = _grain(shape)[1]
    where = [*_rollup_where(V, shape), V.days != ALL_DAYS]
    d = _per_table(
        shape.postgres, [getattr(V, name) for name in shape.names], [V.days],
        [func.sum(V.tickets).label("n"), func.sum(V.came_back).label("cb")], where, total=True,
    ).subquery("d")  # fmt: skip
    group = [d.c.t, d.c.k]
    c = select(
        d.c.t, d.c.k, d.c.days, d.c.cb,
        _running(d.c.n, group, d.c.days).label("upto"), _running(d.c.n, group).label("size"),
    ).subquery("c")  # fmt: skip
    return select(
        c.c.t, c.c.k, func.max(c.c.size), func.sum(c.c.cb),
        func.min(c.c.days).filter(c.c.upto > (c.c.size - 1) // 2),
        func.min(c.c.days).filter(c.c.upto > c.c.size // 2),
    ).group_by(c.c.t, c.c.k)  # fmt: skip


def recurrence_from_rollups(scope: Select[Any], filters: Filters, timezone: str, group: Any,
                            now: datetime | None = None,
                            ) -> dict[str, tuple[int, int]] | None:  # fmt: skip
    """recurrence.counts_by from verify_rollups (fixes, of them came back), or None."""
    if not current_app.config.get("DASHBOARD_ROLLUPS", True):
        return None
    if filters.level or filters.cohort is not None:
        return None
    place = _scope_place(scope)
    if place is None:
        return None
    name = str(getattr(group, "key", ""))
    if name not in (ROLLUP_GROUPS if place.district is None else SCHOOL_GROUPS):
        return None
    months = _months(filters, timezone, place.provinces, now or utcnow())
    if months is None:
        return None
    shape, values = _shape(place, months, filters, [name])
    return {
        str(key): (int(fixes), int(came_back or 0))
        for key, fixes, came_back in db.session.execute(_recurrence_counts(shape), values)
        if fixes
    }


@cache
def _recurrence_counts(shape: _Shape) -> Any:
    """Fixes and of them came back per value of the shape's one group column."""
    V = _grain(shape)[1]
    column = getattr(V, shape.names[0])
    return (
        select(column, func.sum(V.tickets), func.sum(V.came_back))
        .where(*_rollup_where(V, shape), V.days != ALL_DAYS)
        .group_by(column)
    )


# open_rollups' dim per table group, at a province (or the nation) and at a district; a
# national table per province groups the province-level rows by their place.
_PROVINCE_DIMS = {"district_code": "district", "category_id": "category",
                  "province_code": "district"}  # fmt: skip
_DISTRICT_DIMS = {"school_id": "school", "category_id": "dcategory"}


def _open_ages(place: _Place, names: list[str], months: tuple[date | None, date | None],
               filters: Filters, scope: Select[Any], timezone: str, now: datetime,
               c: _Conditions) -> list[dict[str | None, float | None]]:  # fmt: skip
    """Per table, the median age in days of the open tickets per group (key None: total).

    From open_rollups, in one statement: each group's month rows locate the month of its
    middle ticket(s), then that month's day rows the day (running counts, as for the days to
    verify). With a category filter the province's and district's distributions (which do
    not split by category) cannot answer: the open tickets are read.
    """
    today = today_number(now, timezone)
    if filters.category is not None:
        return _open_ages_from_tickets(names, filters, scope, timezone, today, c)
    out: list[dict[str | None, float | None]] = [{} for _ in names]
    found: dict[tuple[int, str], list[int]] = defaultdict(list)
    shape, values = _shape(place, months, filters, names)
    for i, key, period, day in db.session.execute(_open_middles(shape), values):
        found[(i, key)].append((period.replace(day=day) - rollups.EPOCH).days)
    for (i, key), days in found.items():
        median = today - sum(days) / len(days)
        if i < 0:
            out[0][None] = median
        else:
            out[i][key] = median
    return out


@cache
def _open_middles(shape: _Shape) -> Any:
    """(table, key, month, day) of the low and the high middle open ticket of each group of
    each table, and of the total (table -1, key ''), from open_rollups."""
    OR = OpenRollup
    names = shape.names
    dims = _DISTRICT_DIMS if shape.district else _PROVINCE_DIMS
    where: list[Any] = []
    if shape.district:
        where.append(OR.place == bindparam("district", type_=String))
    elif shape.provinces:
        where.append(OR.place.in_(bindparam("provinces", expanding=True)))
    if shape.first:
        where.append(OR.period >= bindparam("first", type_=Date))
    if shape.last:
        where.append(OR.period <= bindparam("last", type_=Date))

    def group_of(i: int) -> Any:
        # A national table per province groups the province-level rows by their place.
        return OR.place if i >= 0 and names[i] == "province_code" else OR.group_key

    # The month rows per group (ix_open_rollups_months), with running counts in month order.
    month_parts = [
        select(literal(i).label("t"), group_of(i).label("k"), OR.period,
               func.sum(OR.tickets).label("n"))
        .where(*where, OR.dim == dims[name], OR.day == WHOLE_MONTH)
        .group_by(group_of(i), OR.period)
        for i, name in enumerate(names)
    ]  # fmt: skip
    month_parts.append(
        select(literal(-1).label("t"), literal("").label("k"), OR.period,
               func.sum(OR.tickets).label("n"))
        .where(*where, OR.dim == dims[names[0]], OR.day == WHOLE_MONTH)
        .group_by(OR.period)
    )  # fmt: skip
    # CTEs: each is computed once, though read by several parts below.
    m = union_all(*month_parts).cte("m")
    group = [m.c.t, m.c.k]
    counted = select(
        m.c.t, m.c.k, m.c.period, m.c.n,
        _running(m.c.n, group, m.c.period).label("upto"), _running(m.c.n, group).label("size"),
    ).cte("mc")  # fmt: skip
    # The month of each middle rank, and the rank within that month (w: low 0, high 1).
    spot_parts = []
    for which, rank in ((0, (counted.c.size - 1) // 2), (1, counted.c.size // 2)):
        before = counted.c.upto - counted.c.n
        spot_parts.append(
            select(counted.c.t, counted.c.k, counted.c.period, literal(which).label("w"),
                   (rank - before).label("r"))
            .where(before <= rank, rank < counted.c.upto)
        )  # fmt: skip
    s = union_all(*spot_parts).cte("s")
    # The day rows of those months (ix_open_rollups_days): the group's own, or for the total
    # every group's rows of the first table's dim.
    day_parts = []
    for i in (*range(len(names)), -1):
        dim = dims[names[max(i, 0)]]
        same_group = [group_of(i) == s.c.k] if i >= 0 else []
        day_parts.append(
            select(s.c.t, s.c.k, s.c.period, s.c.w, s.c.r, OR.day,
                   func.sum(OR.tickets).label("n"))
            .join_from(s, OR, and_(*where, OR.dim == dim, OR.period == s.c.period,
                                   OR.day != WHOLE_MONTH, *same_group))
            .where(s.c.t == i)
            .group_by(s.c.t, s.c.k, s.c.period, s.c.w, s.c.r, OR.day)
        )  # fmt: skip
    d = union_all(*day_parts).subquery("d")
    days = select(
        d.c.t, d.c.k, d.c.period, d.c.w, d.c.r, d.c.day,
        _running(d.c.n, [d.c.t, d.c.k, d.c.w], d.c.day).label("upto"),
    ).subquery("dc")  # fmt: skip
    return (
        select(days.c.t, days.c.k, days.c.period, func.min(days.c.day))
        .where(days.c.upto > days.c.r)
        .group_by(days.c.t, days.c.k, days.c.w, days.c.period)
    )


def _open_ages_from_tickets(names: list[str], filters: Filters, scope: Select[Any],
                            timezone: str, today: int,
                            c: _Conditions) -> list[dict[str | None, float | None]]:  # fmt: skip
    """_open_ages from a pass over the open tickets (a category filter)."""
    base = narrowed(scope, replace(filters, date_from=None, date_to=None), timezone, period=False)
    base = base.where(Ticket.closed_at.is_(None), Ticket.state.in_(OPEN_STATES))
    if c.cohort is not None:
        base = base.where(c.cohort)
    raised = _raised_day_sql()
    values = func.array_agg(raised) if _is_postgres() else func.json_group_array(raised)
    groups = [getattr(Ticket, n) for n in names]
    keys = [g.label(f"k{i}") for i, g in enumerate(groups)]
    query = _columns(base, *keys, values.label("created")).group_by(*groups)
    lists: list[dict[str | None, list[float]]] = [defaultdict(list) for _ in names]
    for result in db.session.execute(query):
        opened = _values(result.created)
        lists[0][None].extend(opened)
        for i in range(len(names)):
            lists[i][_key(result[i])].extend(opened)
    out = []
    for by_key in lists:
        medians: dict[str | None, float | None] = {}
        for key, found in by_key.items():
            median = _median_of_runs(found)
            medians[key] = None if median is None else today - median
        out.append(medians)
    return out


def figures(scope: Select[Any], filters: Filters, timezone: str,
            group: Any, now: datetime | None = None) -> Table:  # fmt: skip
    """All the figures per group of ``group`` (a Ticket column), and the total row."""
    return figures_by(scope, filters, timezone, [group], now)[0]


# Labels for the groups.


def _label_districts(table: Table) -> Table:
    codes = [r.key for r in table.rows]
    query = select(District.code, District.name).where(District.code.in_(codes))
    names: dict[str, str] = {code: name for code, name in db.session.execute(query)}
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


def national_tables(scope: Select[Any], filters: Filters, locale: str) -> tuple[Table, Table]:
    """The national page's tables (per province, per category) from one pass."""
    provinces, categories = figures_by(
        scope, filters, "Asia/Jakarta", [Ticket.province_code, Ticket.category_id]
    )
    return _label_provinces(provinces), _label_categories(categories, locale)


def province(scope: Select[Any], province: Province, filters: Filters) -> Table:
    """One row per district of the province."""
    scoped = scope.where(Ticket.province_code == province.code)
    table = figures(scoped, filters, province.timezone, Ticket.district_code)
    return _label_districts(table)


def province_tables(scope: Select[Any], province: Province, filters: Filters,
                    locale: str) -> tuple[Table, Table]:  # fmt: skip
    """The province page's tables (per district, per category) from one pass."""
    scoped = scope.where(Ticket.province_code == province.code)
    districts, categories = figures_by(
        scoped, filters, province.timezone, [Ticket.district_code, Ticket.category_id]
    )
    return _label_districts(districts), _label_categories(categories, locale)


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


def district_tables(scope: Select[Any], district: District, filters: Filters,
                    locale: str) -> tuple[Table, Table]:  # fmt: skip
    """The district page's tables (per school, per category) from one pass."""
    schools, categories = figures_by(
        _district_scope(scope, district), filters, district.province.timezone,
        [Ticket.school_id, Ticket.category_id],
    )  # fmt: skip
    return _label_schools(schools), _label_categories(categories, locale)


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
        # date_trunc is cheaper than to_char per row; _month_text formats the few results.
        shifted = column + literal_column(f"interval '{hours} hours'")
        return func.date_trunc(literal_column("'month'"), shifted)
    return func.strftime("%Y-%m", column, f"{hours:+d} hours")


def _month_text(value: Any) -> str:
    return value.strftime("%Y-%m") if isinstance(value, date) else str(value)


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
    from_rollups = _trend_from_rollups(scope, window, timezone, now)
    if from_rollups is not None:
        return from_rollups
    low, high = day_bounds(first, last, timezone)
    base = narrowed(scope, window, timezone, period=False)
    # One pass for both series: group by (raised month, verified month) pairs (a few hundred
    # at most) and add them up per series here.
    was_raised = and_(Ticket.created_at >= low, Ticket.created_at < high)
    was_verified = and_(Ticket.state == State.VERIFIED, Ticket.closed_at >= low,
                        Ticket.closed_at < high)  # fmt: skip
    raised_month = _month(Ticket.created_at, timezone).label("raised_month")
    verified_month = _month(Ticket.closed_at, timezone).label("verified_month")
    raised: dict[str, int] = defaultdict(int)
    verified: dict[str, int] = defaultdict(int)
    pairs = _columns(
        base.where(or_(was_raised, was_verified)),
        raised_month, verified_month, _count(was_raised).label("raised"),
        _count(was_verified).label("verified"),
    ).group_by(raised_month, verified_month)  # fmt: skip
    for result in db.session.execute(pairs):
        if result.raised:
            raised[_month_text(result.raised_month)] += int(result.raised)
        if result.verified:
            verified[_month_text(result.verified_month)] += int(result.verified)
    return [
        {"month": m, "raised": int(raised.get(m, 0)), "verified": int(verified.get(m, 0))}
        for m in months_between(first, last)
    ]


def _trend_from_rollups(scope: Select[Any], window: Filters, timezone: str, now: datetime,
                        ) -> list[dict[str, Any]] | None:  # fmt: skip
    """monthly_trend from the month rows of the rollups, or None when they cannot answer."""
    place = _scope_place(scope)
    if not current_app.config.get("DASHBOARD_ROLLUPS", True):
        return None
    if place is None or window.level or window.cohort is not None:
        return None
    months = _months(window, timezone, place.provinces, now)
    if months is None or months[0] is None:
        return None
    series: dict[str, dict[str, int]] = {"raised": defaultdict(int), "verified": defaultdict(int)}
    shape, values = _shape(place, months, window, [])
    for name, period, tickets in db.session.execute(_trend_rows(shape), values):
        series[name][_month_text(period)] += int(tickets or 0)
    assert window.date_from is not None and window.date_to is not None
    return [
        {"month": m, "raised": series["raised"].get(m, 0),
         "verified": series["verified"].get(m, 0)}
        for m in months_between(window.date_from, window.date_to)
    ]  # fmt: skip


@cache
def _trend_rows(shape: _Shape) -> Any:
    """Raised and verified per month: both series in one statement, each from its month index
    alone (ix_*_months)."""
    parts = []
    for name, model in zip(("raised", "verified"), _grain(shape), strict=True):
        where = _rollup_where(model, shape)
        if name == "verified":
            where.append(model.days == ALL_DAYS)  # one row per month and place
        parts.append(
            select(literal(name).label("series"), model.period, func.sum(model.tickets))
            .where(*where)
            .group_by(model.period)
        )
    return union_all(*parts)


def sort_rows(rows: list[Row], key: str | None, descending: bool) -> list[Row]:
    """Sort by any figure; empty figures (no data) go last either way."""
    if key is None or key not in SORT_KEYS:
        return rows
    present = [r for r in rows if getattr(r, key) is not None]
    missing = [r for r in rows if getattr(r, key) is None]
    return sorted(present, key=lambda r: getattr(r, key), reverse=descending) + missing


# Consultations (services/consultations.py): open and answered per field, median answer time.


@dataclass
class ConsultationRow:
    """The consultations of one field (category) among the scope's tickets."""

    label: str
    open: int = 0
    answered: int = 0
    median_hours_to_answer: float | None = None


def consultation_figures(scope: Select[Any], locale: str) -> list[ConsultationRow]:
    """Open and answered consultations per field, and the median time to answer (hours)."""
    from statistics import median

    from ticketing.models import Consultation
    from ticketing.vocabulary import ConsultationState

    ids = scope.with_only_columns(Ticket.id).order_by(None)
    rows = db.session.execute(
        select(Consultation.category_id, Consultation.state, Consultation.created_at,
               Consultation.answered_at)
        .where(Consultation.ticket_id.in_(ids))
    ).all()  # fmt: skip
    labels = category_labels(locale)
    by_field: dict[int, ConsultationRow] = {}
    waits: dict[int, list[float]] = {}
    for category_id, state, created_at, answered_at in rows:
        row = by_field.setdefault(category_id, ConsultationRow(labels.get(str(category_id), "")))
        if state == ConsultationState.REQUESTED:
            row.open += 1
        elif state == ConsultationState.ANSWERED:
            row.answered += 1
            if answered_at is not None:
                hours = (answered_at - created_at).total_seconds() / 3600
                waits.setdefault(category_id, []).append(hours)
    for category_id, row in by_field.items():
        if waits.get(category_id):
            row.median_hours_to_answer = round(median(waits[category_id]), 1)
    return sorted(by_field.values(), key=lambda r: r.label)
