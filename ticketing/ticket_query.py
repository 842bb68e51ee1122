"""The one ticket query: list parameters parsed once, then the scoped SELECT behind them.

Every reader of a ticket list goes through here: the list page, its CSV/XLSX export, the
dashboards' links (they are plain links to the list with these parameters, docs/dashboard.md)
and the JSON API. So the same parameters always give the same tickets.

``TicketQuery.from_args`` parses a query string into a typed, frozen value: integers bounded to
what an INTEGER column holds, dates clamped, choices checked against their vocabulary. Unknown or
malformed values are ignored (the list shows more, never an error page), as they always were.
``TicketQuery.select(user)`` starts from ``permissions.visible_tickets(user)`` and only narrows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, and_, any_, exists, false, func, or_, select, true
from sqlalchemy.orm import aliased, joinedload

from ticketing import permissions, reports, sla, vocabulary
from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import (
    ADMIN,
    FACILITATOR,
    FINAL_STATES,
    LEVELS,
    OPEN_STATES,
    STATES,
    Category,
    District,
    Province,
    School,
    Ticket,
    TicketEvent,
    User,
)
from ticketing.vocabulary import ROLE_TIER

# Quick filters ("tabs") of the list, in the order they are shown.
TABS = ("todo", "verify", "done", "all")
# Orders the list can be sorted by; "" is newest first (keyset pages with ?before=).
SORTS = ("", "deadline", "age", "changed", "school")
SLA_VALUES = ("met", "missed")
MAX_PAGE = 10_000
Q_MAX = 100

# Parameters whose presence means the user (or a dashboard link) asked for something: then the
# role's default tab does not apply.
_FILTER_PARAMS = (
    "tab", "state", "open", "category", "school", "district", "province", "level", "cohort",
    "mine", "overdue", "waiting", "escalated", "referred", "reopened", "resolved_by",
    "created_from", "created_to", "verified_from", "verified_to", "sla", "q", "holder", "linked",
    "reopened_in", "came_back_in",
)  # fmt: skip


def todo_states(user: Any) -> tuple[str, ...]:
    """The states in which a ticket waits for this user's tier (the "perlu ditangani" tab).

    PMO officers: the states of their tier (vocabulary.STATE_TIER); facilitators: resolved
    tickets to verify; administrators: every PMO state. Other roles: none.
    """
    role = getattr(user, "role", None)
    tier = vocabulary.ROLE_TIER.get(role) if role in set(vocabulary.Role) else None
    if tier is not None:
        return vocabulary.tier_states(tier)
    if role == FACILITATOR:
        return (vocabulary.State.RESOLVED,)  # the facilitator's turn: verify or reopen
    if role == ADMIN:
        return vocabulary.PMO_STATES
    return ()


def default_tab(user: Any) -> str:
    """The tab a user lands on: PMO officers their work, everyone else every ticket."""
    return "todo" if getattr(user, "role", None) in ROLE_TIER else "all"


def _flag(args: Mapping[str, Any], name: str) -> bool:
    return str(args.get(name) or "") == "1"


def _choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    return value if isinstance(value, str) and value in allowed else None


def _code(value: Any, length: int) -> str | None:
    text = str(value or "").strip()
    return text if text and len(text) <= length else None


def _date(value: Any) -> date | None:
    return reports.parse_date(value)


@dataclass(frozen=True)
class TicketQuery:
    """What a ticket list was asked for (see the module docstring)."""

    tab: str = "all"
    state: str | None = None  # a state, or "open"
    open: bool = False
    category: int | None = None
    school: int | None = None
    district: str | None = None
    province: str | None = None
    level: str | None = None
    cohort: int | None = None
    mine: bool = False
    overdue: bool = False
    waiting: bool = False
    escalated: bool = False
    referred: bool = False
    reopened: bool = False
    resolved_by: str | None = None
    created_from: date | None = None
    created_to: date | None = None
    verified_from: date | None = None
    verified_to: date | None = None
    sla: str | None = None
    q: str = ""
    holder: int | None = None
    linked: int | None = None  # a ticket: it and the tickets linked to it (a group)
    # A local month (first day): reopened in it (audit trail) / linked as a recurrence in it.
    reopened_in: date | None = None
    came_back_in: date | None = None
    sort: str = ""
    before: int | None = None
    page: int = 1
    # True when the tab is the role's default rather than asked for (not part of equality).
    tab_is_default: bool = False

    @classmethod
    def from_args(cls, args: Mapping[str, Any], user: Any = None) -> TicketQuery:
        """Parse a query string (request.args or a dict); malformed values are ignored."""
        asked = any(args.get(name) not in (None,) for name in _FILTER_PARAMS)
        tab = _choice(args.get("tab"), TABS)
        tab_is_default = tab is None and not asked
        if tab is None:
            tab = default_tab(user) if tab_is_default else "all"
        state = args.get("state")
        page = reports.parse_int(args.get("page"))
        return cls(
            tab=tab,
            state=state if state in STATES or state == "open" else None,
            open=_flag(args, "open"),
            category=reports.parse_int(args.get("category")),
            school=reports.parse_int(args.get("school")),
            district=_code(args.get("district"), 5),
            province=_code(args.get("province"), 2),
            level=_choice(args.get("level"), LEVELS),
            cohort=reports.parse_int(args.get("cohort")),
            mine=_flag(args, "mine"),
            overdue=_flag(args, "overdue"),
            waiting=_flag(args, "waiting"),
            escalated=_flag(args, "escalated"),
            referred=_flag(args, "referred"),
            reopened=_flag(args, "reopened"),
            resolved_by=_choice(args.get("resolved_by"), reports.TIERS),
            created_from=_date(args.get("created_from")),
            created_to=_date(args.get("created_to")),
            verified_from=_date(args.get("verified_from")),
            verified_to=_date(args.get("verified_to")),
            sla=_choice(args.get("sla"), SLA_VALUES),
            q=str(args.get("q") or "").strip()[:Q_MAX],
            holder=reports.parse_int(args.get("holder")),
            linked=reports.parse_int(args.get("linked")),
            reopened_in=reports.parse_month(args.get("reopened_in")),
            came_back_in=reports.parse_month(args.get("came_back_in")),
            sort=_choice(args.get("sort"), SORTS) or "",
            before=reports.parse_int(args.get("before")),
            page=min(max(page or 1, 1), MAX_PAGE),
            tab_is_default=tab_is_default,
        )

    # --- Turning it back into a query string -----------------------------------------------

    def as_args(self, **changes: Any) -> dict[str, str]:
        """The canonical query string (with changes), for links to other pages and exports."""
        # As replace(self, **changes) would give, without building it (a list page makes a
        # dozen links: dataclasses.replace was most of their cost).
        unknown = changes.keys() - _FIELD_NAMES
        if unknown:
            raise TypeError(f"not a list parameter: {sorted(unknown)}")
        value_of = lambda name: changes[name] if name in changes else getattr(self, name)  # noqa: E731
        args: dict[str, str] = {}
        for name in _ARG_NAMES:
            value = value_of(name)
            if name == "tab":
                if not value_of("tab_is_default") or "tab" in changes:
                    args["tab"] = value
            elif name == "page":
                if value != 1:
                    args["page"] = str(value)
            elif isinstance(value, bool):
                if value:
                    args[name] = "1"
            elif name in _MONTH_PARAMS and isinstance(value, date):
                args[name] = value.strftime("%Y-%m")
            elif isinstance(value, date):
                args[name] = value.isoformat()
            elif value not in (None, ""):
                args[name] = str(value)
        return args

    def export_args(self) -> dict[str, str]:
        """The query string of the export of this list: every filter, no page."""
        args = self.as_args(before=None, page=1)
        args["tab"] = self.tab  # explicit: the export has the list's tab, default or not
        return args

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list beyond the tab."""
        return any(getattr(self, name) != default for name, default in _FILTER_DEFAULTS)

    # --- The SELECT ------------------------------------------------------------------------

    def conditions(self, user: Any, now: datetime | None = None) -> list[ColumnElement[bool]]:
        """The WHERE clauses of every filter but the tab (the tab counts need them apart)."""
        now = now or utcnow()
        timezone = self.timezone(user)
        out: list[ColumnElement[bool]] = []
        if self.state == "open" or self.open:
            out.append(Ticket.state.in_(OPEN_STATES))
        if self.state in STATES:
            out.append(Ticket.state == self.state)
        if self.category is not None:
            out.append(reports.category_condition(self.category))
        if self.level is not None or self.cohort is not None:
            schools = select(School.id)
            if self.level is not None:
                schools = schools.where(School.level == self.level)
            if self.cohort is not None:
                schools = schools.where(School.cohort == self.cohort)
            out.append(Ticket.school_id.in_(schools))
        low, high = reports.day_bounds(self.created_from, self.created_to, timezone)
        if low is not None:
            out.append(Ticket.created_at >= low)
        if high is not None:
            out.append(Ticket.created_at < high)
        if self.province is not None:
            out.append(Ticket.province_code == self.province)
        if self.district is not None:
            out.append(Ticket.district_code == self.district)
        if self.school is not None:
            out.append(Ticket.school_id == self.school)
        if self.overdue:
            out.append(sla.overdue_filter(now))
        if self.escalated:
            out.append(Ticket.escalation_count > 0)
        if self.referred:
            out.append(Ticket.referral_count > 0)
        if self.reopened:
            out.append(Ticket.reopen_count > 0)
        if self.reopened_in is not None:
            out.append(reopened_between(*reports.month_bounds(self.reopened_in, timezone)))
        if self.came_back_in is not None:
            out.append(came_back_between(*reports.month_bounds(self.came_back_in, timezone)))
        if self.sla == "met":
            out.append(sla.within_deadline_condition(now))
        elif self.sla == "missed":
            out.append(~sla.within_deadline_condition(now))
        if self.resolved_by is not None:
            out.append(Ticket.state.in_(reports.RESOLVED_STATES))
            out.append(Ticket.resolved_tier == self.resolved_by)
        low, high = reports.day_bounds(self.verified_from, self.verified_to, timezone)
        if low is not None or high is not None:
            out.append(Ticket.state == "verified")
            if low is not None:
                out.append(Ticket.closed_at >= low)
            if high is not None:
                out.append(Ticket.closed_at < high)
        if self.mine:
            out.append(Ticket.assignee_id == _user_id(user))
        if self.waiting:
            out.append(and_(Ticket.state == "resolved", Ticket.facilitator_id == _user_id(user)))
        if self.holder is not None:
            out.append(Ticket.province_holder_id == self.holder)
        if self.linked is not None:
            out.append(linked_condition(self.linked))
        if self.q:
            out.append(_search(self.q))
        return out

    def timezone(self, user: Any) -> str:
        """The zone of the local days and months asked for: the province's named by
        ``province`` (or ``district``), else the user's (docs/dashboard.md)."""
        place = None
        if self.province is not None:
            place = db.session.get(Province, self.province)
        elif self.district is not None:
            district = db.session.get(District, self.district)
            place = district.province if district is not None else None
        return place.timezone if place is not None else _timezone(user)

    def select(self, user: Any, now: datetime | None = None) -> Select[Any]:
        """The user's visible tickets narrowed by every parameter (no order, no page)."""
        query = permissions.visible_tickets(user)
        where = [*self.conditions(user, now), tab_condition(self.tab, user)]
        return query.where(*where)

    def ordered(self, query: Select[Any], now: datetime | None = None) -> Select[Any]:
        """The query in this list's order (the same for the page and its export)."""
        return query.order_by(*self.order_keys())

    def order_keys(self) -> list[Any]:
        """The ORDER BY of this list."""
        sort = self.sort or ("deadline" if self.tab == "todo" else "")
        if sort == "deadline":
            # Ascending deadline puts the overdue first; tickets without one come last.
            return [Ticket.due_at.is_(None), Ticket.due_at, Ticket.id]
        if sort == "age":
            return [Ticket.created_at, Ticket.id]
        if sort == "changed":
            return [Ticket.updated_at.desc(), Ticket.id.desc()]
        if sort == "school":
            school_name = select(School.name).where(School.id == Ticket.school_id).scalar_subquery()
            return [school_name, Ticket.id]
        return [Ticket.id.desc()]

    @property
    def keyset(self) -> bool:
        """Pages go by ?before=<id> in the newest-first order, by ?page=N in the others."""
        return not (self.sort or self.tab == "todo")


def tab_condition(tab: str, user: Any) -> ColumnElement[bool]:
    """The WHERE clause of one quick filter for this user."""
    if tab == "todo":
        states = todo_states(user)
        if not states:
            return false()
        condition: ColumnElement[bool] = Ticket.state.in_(states)
        if getattr(user, "role", None) == FACILITATOR:
            condition = and_(condition, Ticket.facilitator_id == _user_id(user))
        return condition
    if tab == "verify":
        return Ticket.state == "resolved"
    if tab == "done":
        return Ticket.state.in_(FINAL_STATES)
    return true()


_MONTH_PARAMS = ("reopened_in", "came_back_in")
# The parameters in the query string's order, and the filters' defaults (TicketQuery()).
_FIELD_NAMES = frozenset(item.name for item in fields(TicketQuery))
_ARG_NAMES = tuple(item.name for item in fields(TicketQuery) if item.name != "tab_is_default")
_FILTER_DEFAULTS = tuple(
    (item.name, item.default)
    for item in fields(TicketQuery)
    if item.name not in ("tab", "sort", "before", "page", "tab_is_default")
)


def reopen_rows(low: datetime, high: datetime) -> tuple[ColumnElement[bool], ...]:
    """The ``reopen`` audit rows written in [low, high) (the ticket: ``TicketEvent.ticket_id``)."""
    return (
        TicketEvent.event == "reopen",
        TicketEvent.created_at >= low,
        TicketEvent.created_at < high,
    )


def came_back_rows(low: datetime, high: datetime) -> tuple[ColumnElement[bool], ...]:
    """The recurrence links made in [low, high) (the ticket that came back:
    ``TicketLink.ticket_id``)."""
    from ticketing.models import RECURRENCE, TicketLink

    return (
        TicketLink.kind == RECURRENCE,
        TicketLink.created_at >= low,
        TicketLink.created_at < high,
    )


def reopened_between(low: datetime, high: datetime) -> ColumnElement[bool]:
    """The ticket was reopened (a ``reopen`` audit row) in [low, high)."""
    return exists().where(TicketEvent.ticket_id == Ticket.id, *reopen_rows(low, high))


def came_back_between(low: datetime, high: datetime) -> ColumnElement[bool]:
    """The ticket was linked, in [low, high), as a recurrence of an earlier closed one."""
    from ticketing.models import TicketLink

    return exists().where(TicketLink.ticket_id == Ticket.id, *came_back_rows(low, high))


def _user_id(user: Any) -> int:
    return int(getattr(user, "id", 0) or 0)


def _timezone(user: Any) -> str:
    from ticketing.i18n import user_timezone

    return user_timezone(user)


def _like(text: str) -> str:
    """A LIKE pattern that treats % and _ typed by the user literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _search(text: str) -> ColumnElement[bool]:
    pattern = _like(text)
    schools = select(School.id).where(
        or_(School.name.ilike(pattern, escape="\\"), School.npsn.like(pattern, escape="\\"))
    )
    return or_(
        Ticket.number.ilike(pattern, escape="\\"),
        Ticket.title.ilike(pattern, escape="\\"),
        Ticket.school_id.in_(schools),
    )


def linked_condition(ticket_id: int) -> ColumnElement[bool]:
    """The ticket and those linked to it as related or duplicate (either way round)."""
    from ticketing.models import DUPLICATE, RELATED, TicketLink

    kinds = (RELATED, DUPLICATE)
    forward = select(TicketLink.other_ticket_id).where(
        TicketLink.ticket_id == ticket_id, TicketLink.kind.in_(kinds)
    )
    backward = select(TicketLink.ticket_id).where(
        TicketLink.other_ticket_id == ticket_id, TicketLink.kind.in_(kinds)
    )
    return or_(Ticket.id == ticket_id, Ticket.id.in_(forward), Ticket.id.in_(backward))


def auto_escalated(ticket_id: Any = Ticket.id) -> ColumnElement[bool]:
    """Whether the SLA sweeper (no actor) escalated the ticket: marked in every list."""
    return exists().where(
        TicketEvent.ticket_id == ticket_id,
        TicketEvent.event == "escalate",
        TicketEvent.actor_id.is_(None),
    )


def with_display(query: Select[Any]) -> Select[Any]:
    """Load what a list row shows in the same query: no query per row."""
    return query.options(
        joinedload(Ticket.school),
        joinedload(Ticket.district),
        joinedload(Ticket.province),
        joinedload(Ticket.category),
        joinedload(Ticket.assignee),
        joinedload(Ticket.province_holder),
    )


@dataclass
class Row:
    """One line of a list: the ticket and what the list marks on it."""

    ticket: Ticket
    auto_escalated: bool


@dataclass
class Page:
    """One page of a list, and where the next and previous pages start."""

    rows: list[Row]
    next_before: int | None = None
    next_page: int | None = None

    @property
    def items(self) -> list[Ticket]:
        """The tickets of the page."""
        return [row.ticket for row in self.rows]


def _chosen(user: Any, query: TicketQuery, size: int, now: datetime | None) -> Select[Any]:
    """The page's tickets in the list's order (one more than ``size``: is there a next page?)."""
    chosen = query.select(user, now)
    if query.keyset and query.before is not None:
        chosen = chosen.where(Ticket.id < query.before)
    chosen = query.ordered(chosen, now).limit(size + 1)
    if not query.keyset:
        chosen = chosen.offset((query.page - 1) * size)
    return chosen


def _more(query: TicketQuery, size: int, found: int, last_id: int | None) -> dict[str, int]:
    """Where the next page starts when the query found more than ``size`` rows (else none)."""
    if found <= size or size <= 0 or last_id is None:
        return {}
    if query.keyset:
        return {"next_before": last_id}
    return {"next_page": query.page + 1}


def page(user: Any, query: TicketQuery, size: int, now: datetime | None = None) -> Page:
    """One page of the list as ORM tickets (the API): ``size`` tickets in the list's order."""
    chosen = _chosen(user, query, size, now).with_only_columns(Ticket.id)
    # The page's ids first, then what the rows show for those ids only: joined before the
    # LIMIT, PostgreSQL hashed every school of the country to show 25 tickets (70 ms at 1M).
    stmt = query.ordered(select(Ticket).where(Ticket.id.in_(chosen)), now)
    stmt = stmt.add_columns(auto_escalated().label("auto"))
    result = db.session.execute(with_display(stmt)).unique()
    rows = [Row(ticket, bool(auto)) for ticket, auto in result]
    shown = rows[:size]
    return Page(shown, **_more(query, size, len(rows), shown[-1].ticket.id if shown else None))


class ListTicket(NamedTuple):
    """One ticket as a row of the list page shows it: plain values, not an ORM object.

    Its scope fields carry the same names as Ticket's, so that permissions (can_take) and the
    deadline helpers (sla.overdue_days, sla.deadline_day) read it as they read a ticket.
    """

    id: int
    number: str
    title: str
    state: str
    reopen_count: int
    version_id: int
    due_at: datetime | None
    created_at: datetime
    province_code: str
    district_code: str
    school_id: int
    facilitator_id: int
    province_holder_id: int | None
    referral_count: int
    category_id: int
    auto_escalated: bool
    school_name: str
    school_npsn: str
    district_name: str
    timezone: str
    category_name: str
    assignee_name: str | None
    holder_name: str | None

    @property
    def is_open(self) -> bool:
        """True until the ticket is verified or withdrawn."""
        return self.state not in FINAL_STATES


@dataclass
class ListPage:
    """One page of the list page: its rows, and where the next page starts."""

    rows: list[ListTicket]
    next_before: int | None = None
    next_page: int | None = None


# What a row reads of the ticket itself; the names beside it come from scalar subqueries.
_ROW_COLUMNS = (
    Ticket.id, Ticket.number, Ticket.title, Ticket.state, Ticket.reopen_count,
    Ticket.version_id, Ticket.due_at, Ticket.created_at, Ticket.province_code,
    Ticket.district_code, Ticket.school_id, Ticket.facilitator_id, Ticket.province_holder_id,
    Ticket.referral_count, Ticket.category_id, auto_escalated(),
    select(School.name).where(School.id == Ticket.school_id).scalar_subquery(),
    select(School.npsn).where(School.id == Ticket.school_id).scalar_subquery(),
    select(District.name).where(District.code == Ticket.district_code).scalar_subquery(),
    select(Province.timezone).where(Province.code == Ticket.province_code).scalar_subquery(),
)  # fmt: skip
_ASSIGNEE, _HOLDER = aliased(User), aliased(User)
_OFFICERS = (
    select(_ASSIGNEE.name).where(_ASSIGNEE.id == Ticket.assignee_id).scalar_subquery(),
    select(_HOLDER.name).where(_HOLDER.id == Ticket.province_holder_id).scalar_subquery(),
)
_CATEGORY = {
    locale: select(name).where(Category.id == Ticket.category_id).scalar_subquery()
    for locale, name in (("id", Category.name_id), ("en", Category.name_en))
}


def list_rows(chosen: Select[Any], order: list[Any], locale: str) -> list[ListTicket]:
    """The rows of ``chosen`` (tickets, ordered and limited) in ``order`` (chosen's)."""
    stmt = _rows_statement(chosen, order, locale, _dialect())
    return [ListTicket._make(row) for row in db.session.execute(stmt)]


def _rows_statement(chosen: Select[Any], order: list[Any], locale: str, dialect: str) -> Any:
    """One query for the rows of ``chosen`` and what each shows.

    Each name is a scalar subquery on a primary key, and the tickets are picked by id from
    an array on PostgreSQL: joined (school, district, province, category, two officers,
    and the ids as a semi-join) PostgreSQL spent several times the query's execution in
    planning the order of the joins (about 5 ms against 1 ms at 1M tickets).
    """
    ids = chosen.with_only_columns(Ticket.id).scalar_subquery()
    picked = Ticket.id == any_(func.array(ids)) if dialect == "postgresql" else Ticket.id.in_(ids)
    columns = (*_ROW_COLUMNS, _CATEGORY["en" if locale == "en" else "id"], *_OFFICERS)
    return select(*columns).where(picked).order_by(*order)


def list_page(
    user: Any, query: TicketQuery, size: int, locale: str, now: datetime | None = None
) -> ListPage:
    """One page of the list page: ``size`` rows in the list's order (one query)."""
    dialect = _dialect()
    stmt = _built(
        _memo_key("page", user, query, now, size, locale, dialect),
        lambda: _rows_statement(
            _chosen(user, query, size, now), query.order_keys(), locale, dialect
        ),
    )
    rows = [ListTicket._make(row) for row in db.session.execute(stmt)]
    shown = rows[:size]
    return ListPage(shown, **_more(query, size, len(rows), shown[-1].id if shown else None))


def tab_counts(user: Any, query: TicketQuery, now: datetime | None = None) -> dict[str, int]:
    """How many tickets each tab holds under the other filters (one query)."""

    def build() -> Any:
        # The conditions filter the tickets table itself (no subquery: re-pointing each tab's
        # condition at a subquery's columns cost more Python than the count cost the database).
        scope = permissions.visible_tickets(user).where(*query.conditions(user, now))
        columns = [func.count().filter(tab_condition(tab, user)).label(tab) for tab in TABS]
        return scope.with_only_columns(*columns).select_from(Ticket)

    tabless = replace(query, tab="all", sort="", before=None, page=1, tab_is_default=False)
    row = db.session.execute(_built(_memo_key("counts", user, tabless, now), build)).one()
    return {tab: int(row._mapping[tab] or 0) for tab in TABS}


# Statements built for the list page, by what they were built from. Building a statement
# and computing its cache key cost SQLAlchemy more Python than running it (about 1.4 ms of a
# 13 ms inbox request at 1M); a statement used again keeps its memoized key and compiled
# form, and only its values travel. Not the tickets: every request still runs the query.
_STATEMENTS: dict[tuple[Any, ...], Any] = {}
STATEMENTS_KEPT = 2_000


def _built(key: tuple[Any, ...] | None, build: Callable[[], Any]) -> Any:
    """The statement kept under ``key``, built now if new (always built when key is None)."""
    if key is None:
        return build()
    found = _STATEMENTS.get(key)
    if found is None:
        if len(_STATEMENTS) >= STATEMENTS_KEPT:
            _STATEMENTS.clear()  # rare (a new start): simpler than an LRU, and thread-safe
        found = _STATEMENTS[key] = build()
    return found


def _memo_key(
    kind: str, user: Any, query: TicketQuery, now: datetime | None, *more: Any
) -> tuple[Any, ...] | None:
    """What a list statement is built from, or None when building it reads more than the user's
    scope and the parameters: the clock (overdue, sla, an explicit ``now``) or rows (the
    local days' zone of the date filters, a category's subcategories)."""
    if now is not None or query.overdue or query.sla is not None or query.category is not None:
        return None
    if any(getattr(query, name) is not None for name in _ZONED_PARAMS):
        return None
    scope = (
        isinstance(user, User),
        getattr(user, "id", None),
        getattr(user, "role", None),
        getattr(user, "active", None),
        getattr(user, "district_code", None),
        getattr(user, "province_code", None),
    )
    return (kind, scope, query, *more)


_ZONED_PARAMS = (
    "created_from", "created_to", "verified_from", "verified_to", "reopened_in", "came_back_in",
)  # fmt: skip


def _dialect() -> str:
    return str(db.engine.dialect.name)


def tickets_for(user: User, args: Mapping[str, Any]) -> Select[Any]:
    """The ordered SELECT for a query string: what exports and the API read."""
    query = TicketQuery.from_args(args, user)
    return query.ordered(query.select(user))


def dashboard_args(filters: reports.Filters, *, verified: bool = False) -> dict[str, str]:
    """The list's query string behind a dashboard figure (docs/dashboard.md).

    The dashboard's period selects raised tickets, or verifications for the verified columns;
    the tab is "all" so that a figure always lists every ticket it counts, whatever the role.
    """
    query = TicketQuery(category=filters.category, level=filters.level, cohort=filters.cohort)
    if verified:
        query = replace(query, verified_from=filters.date_from, verified_to=filters.date_to)
    else:
        query = replace(query, created_from=filters.date_from, created_to=filters.date_to)
    return query.as_args()
