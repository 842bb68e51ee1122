"""Figures as of a past moment, reconstructed from the audit trail (ticket_events).

A ticket's state at a moment T is the ``to_state`` of its last state-changing audit row
written at or before T (link and hand-over rows keep the state and are skipped); a ticket
with no row by then did not exist yet. So a report printed in March for 16 January shows
what was open on 16 January, whatever happened since.

The interface is a few functions over a scope (a Select of tickets, as in reports.py):
``moment_of`` (a local day -> the UTC moment at its end), ``states_at`` (one row per
ticket: state and when it entered it), ``open_by`` (open tickets per group and state) and
``overdue_by``. Rollup tables (issue 15) may later answer ``open_by`` for whole days
without changing its callers.

What the figures mean, written down in docs/dashboard.md: a ticket belongs to the district
it was raised in (``tickets.district_code`` is set when it is raised and never changes, so a
school that moves later leaves its old tickets where they were). "Overdue as of T" uses the
deadline stored on the ticket when it entered the state it was in at T, if it has not changed
state since (the deadline then, whatever the settings now: exact); for a ticket that moved on
since T, the deadline of its state at T is counted again from when it entered that state,
with today's deadline settings and days off (exact unless those changed in between).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from ticketing import sla
from ticketing.extensions import db
from ticketing.models import OPEN_STATES, Ticket, TicketEvent

SETTLED_MARGIN = timedelta(seconds=1)


def moment_of(day: date, timezone: str) -> datetime:
    """The end of the local ``day`` (next local midnight) as naive UTC: 'as of 16 January'."""
    local = datetime.combine(day + timedelta(days=1), time(0), tzinfo=ZoneInfo(timezone))
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def parse_day(value: Any) -> date | None:
    """An ISO day from a query string (2023-01-16), within the programme's years; else None."""
    try:
        day = date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
    if day is None or not date(2000, 1, 1) <= day <= date(2099, 12, 31):
        return None
    return day


def _changes_state(event: Any) -> Any:
    return or_(event.from_state.is_(None), event.from_state != event.to_state)


def states_at(scope: Select[Any], moment: datetime) -> Any:
    """A subquery: per ticket of the scope that existed at ``moment``, its state then and
    when it entered that state (columns ticket_id, state, entered_at).

    The last state-changing event is found per ticket by a correlated subquery that reads the
    ticket's own events through the (ticket_id, id) index, on SQLite and PostgreSQL alike,
    rather than grouping the whole events table by ticket.
    """
    event = aliased(TicketEvent)

    def last(column: Any) -> Any:
        # The newest state-changing event of this ticket before the moment (index backward).
        return (
            select(column)
            .where(event.ticket_id == Ticket.id, event.created_at < moment, _changes_state(event))
            .order_by(event.id.desc())
            .limit(1)
            .correlate(Ticket)
            .scalar_subquery()
        )

    # Two lookups per ticket and no join back to the events: a join on the event id made
    # PostgreSQL hash the whole events table. A ticket settled before the moment needs
    # neither (CASE evaluates the lookups only for the others).
    settled = _settled_before(moment)
    return (
        scope.with_only_columns(
            Ticket.id.label("ticket_id"),
            case((settled, Ticket.state), else_=last(event.to_state)).label("state"),
            case((settled, Ticket.state_changed_at), else_=last(event.created_at)).label(
                "entered_at"
            ),
        )
        .select_from(Ticket)
        .subquery("state_at")
    )


def _settled_before(moment: datetime) -> Any:
    """The ticket has not changed state since before ``moment``: its state then is its state
    now, entered at ``state_changed_at``.

    The workflow writes ``state_changed_at`` and the audit row's time from one clock reading;
    the second of margin covers rows written before it did (a few microseconds apart).
    """
    return Ticket.state_changed_at < moment - SETTLED_MARGIN


def stored_due(moment: datetime) -> Any:
    """The ticket's stored deadline when it has not changed state since ``moment`` (then it
    is the deadline set when it entered its state at ``moment``), else NULL."""
    event = aliased(TicketEvent)
    later = (
        exists()
        .where(event.ticket_id == Ticket.id, event.created_at >= moment, _changes_state(event))
        .correlate(Ticket)
    )
    return case((_settled_before(moment), Ticket.due_at), (~later, Ticket.due_at), else_=None)


def candidates(scope: Select[Any], moment: datetime) -> Select[Any]:
    """The scope narrowed to tickets that can have been open at ``moment``: raised before it
    and not closed by then. Verified and withdrawn are final and ``closed_at`` is written with
    the closing audit row, so this only saves reading the histories of the rest."""
    return scope.where(
        Ticket.created_at < moment, or_(Ticket.closed_at.is_(None), Ticket.closed_at >= moment)
    )


@dataclass(frozen=True)
class Snap:
    """A ticket open at a moment: where it belongs, its state then and since when."""

    ticket_id: int
    province_code: str
    district_code: str
    category_id: int
    school_id: int
    state: str
    entered_at: datetime
    due_at: datetime | None  # stored_due: the deadline then, when known exactly


def open_at(scope: Select[Any], moment: datetime) -> list[Snap]:
    """Every ticket of the scope open at ``moment``, in one query (group them as you need)."""
    at = states_at(candidates(scope, moment), moment)
    query = (
        select(
            at.c.ticket_id,
            Ticket.province_code,
            Ticket.district_code,
            Ticket.category_id,
            Ticket.school_id,
            at.c.state,
            at.c.entered_at,
            stored_due(moment),
        )
        .select_from(at)
        .join(Ticket, Ticket.id == at.c.ticket_id)
        .where(at.c.state.in_(OPEN_STATES))
    )
    return [Snap(*row) for row in db.session.execute(query)]


def open_by(scope: Select[Any], moment: datetime, group: Any) -> dict[str, dict[str, int]]:
    """Open tickets at ``moment`` per value of ``group`` (a Ticket column) and state."""
    at = states_at(candidates(scope, moment), moment)
    query = (
        select(group.label("k"), at.c.state, func.count().label("n"))
        .select_from(at)
        .join(Ticket, Ticket.id == at.c.ticket_id)
        .where(at.c.state.in_(OPEN_STATES))
        .group_by(group, at.c.state)
    )
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OPEN_STATES, 0))
    for row in db.session.execute(query):
        out[str(row.k)][row.state] = int(row.n)
    return dict(out)


class Deadlines:
    """Deadlines by (province, category, state, local day entered), looked up once each.

    A deadline depends only on the local day a state was entered and the state's working
    days, so a province's thousands of open tickets need a few hundred calendar walks.
    Share one instance across the calls of one report.
    """

    def __init__(self) -> None:
        self.days: dict[tuple[str, int, str], int] = {}
        self.due: dict[tuple[str, int, date], datetime] = {}

    def of(self, province_code: str, category_id: int, state: str, entered_at: datetime,
           stored: datetime | None = None) -> datetime:  # fmt: skip
        """When the ticket's time in ``state`` ran out, having entered it at ``entered_at``:
        the ``stored`` deadline when known (asof.stored_due), else counted with today's
        settings."""
        if stored is not None:
            return stored
        key = (province_code, category_id, state)
        if key not in self.days:
            self.days[key] = sla.deadline_days(*key)
        days = self.days[key]
        day = sla.calendar_for(province_code).local(entered_at).date()
        due_key = (province_code, days, day)
        if due_key not in self.due:
            self.due[due_key] = sla.add_working_days(entered_at, days, province_code)
        return self.due[due_key]


def overdue_by(scope: Select[Any], moment: datetime, group: Any,
               deadlines: Deadlines | None = None) -> dict[str, int]:  # fmt: skip
    """Tickets open and past the deadline of their state at ``moment``, per group.

    The deadline is the one stored when the ticket entered its state, if it has not moved
    since; else the state's working days (today's settings) counted from when the ticket
    entered that state, in its province's calendar, as sla.deadline_for does.
    """
    deadlines = deadlines or Deadlines()
    at = states_at(candidates(scope, moment), moment)
    query = (
        select(
            group.label("k"),
            at.c.state,
            at.c.entered_at,
            Ticket.province_code,
            Ticket.category_id,
            stored_due(moment).label("stored"),
        )
        .select_from(at)
        .join(Ticket, Ticket.id == at.c.ticket_id)
        .where(at.c.state.in_(sla.SLA_STATES))
    )
    out: dict[str, int] = defaultdict(int)
    for row in db.session.execute(query):
        due = deadlines.of(
            row.province_code, row.category_id, row.state, row.entered_at, row.stored
        )
        if due < moment:
            out[str(row.k)] += 1
    return dict(out)


def state_counts(scope: Select[Any], moment: datetime) -> dict[str, int]:
    """Every state (open and closed) at ``moment`` over the whole scope."""
    at = states_at(scope, moment)
    query = (
        select(at.c.state, func.count())
        .select_from(at)
        .where(at.c.state.is_not(None))
        .group_by(at.c.state)
    )
    return {state: int(n) for state, n in db.session.execute(query)}


def scope_on_joined_tickets(scope: Select[Any]) -> list[Any]:
    """The scope's conditions for a query that already joins the tickets table.

    A plain scope (conditions on the tickets only) gives its WHERE clause, which lets the
    database start from the other table's index (SQLite drove ``ticket_id IN (the scope's
    ids)`` from the 74,000 ids of a province: 300 ms at 1M). Otherwise ``id IN (scope)``.
    """
    plain = not (scope._setup_joins or scope._from_obj) and all(
        f.compare(Ticket.__table__) for f in scope.columns_clause_froms
    )
    if plain:
        return [] if scope.whereclause is None else [scope.whereclause]
    return [Ticket.id.in_(scope.with_only_columns(Ticket.id).select_from(Ticket).scalar_subquery())]


def events_between(scope: Select[Any], low: datetime, high: datetime, group: Any,
                   events: Sequence[str]) -> dict[str, dict[str, int]]:  # fmt: skip
    """How many audit rows of each event were written in [low, high), per group."""
    query = (
        select(group.label("k"), TicketEvent.event, func.count().label("n"))
        .select_from(TicketEvent)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            and_(TicketEvent.created_at >= low, TicketEvent.created_at < high),
            TicketEvent.event.in_(list(events)),
            *scope_on_joined_tickets(scope),
        )
        .group_by(group, TicketEvent.event)
    )
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(events, 0))
    for row in db.session.execute(query):
        out[str(row.k)][row.event] = int(row.n)
    return dict(out)


def oldest_open(scope: Select[Any], moment: datetime, limit: int = 10) -> list[Ticket]:
    """The tickets open at ``moment`` that were raised earliest."""
    at = states_at(candidates(scope, moment), moment)
    query = (
        select(Ticket)
        .join(at, at.c.ticket_id == Ticket.id)
        .where(at.c.state.in_(OPEN_STATES))
        .options(joinedload(Ticket.district), joinedload(Ticket.school))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def reopened_most(scope: Select[Any], moment: datetime, limit: int = 10,
                  ) -> list[tuple[Ticket, int]]:  # fmt: skip
    """The tickets reopened most often before ``moment``, with how often."""
    ids = scope.with_only_columns(Ticket.id).select_from(Ticket).scalar_subquery()
    counts = (
        select(TicketEvent.ticket_id, func.count().label("n"))
        .where(
            TicketEvent.event == "reopen",
            TicketEvent.created_at < moment,
            TicketEvent.ticket_id.in_(ids),
        )
        .group_by(TicketEvent.ticket_id)
        .subquery("reopens")
    )
    query = (
        select(Ticket, counts.c.n)
        .join(counts, counts.c.ticket_id == Ticket.id)
        .options(joinedload(Ticket.district), joinedload(Ticket.school))
        .order_by(counts.c.n.desc(), Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return [(ticket, int(n)) for ticket, n in db.session.execute(query)]
