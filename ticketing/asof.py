"""Figures as of a past moment, reconstructed from the audit trail (ticket_events).

A ticket's state at a moment T is the ``to_state`` of its last state-changing audit row
written at or before T (link and hand-over rows keep the state and are skipped); a ticket
with no row by then did not exist yet. So a report printed in March for 16 January shows
what was open on 16 January, whatever happened since.

The interface is a few functions over a scope (a Select of tickets, as in reports.py):
``moment_of`` (a local day -> the UTC moment at its end), ``states_at`` (one row per
ticket: state and when it entered it), ``open_counts`` (open and overdue tickets per group
and state, at one or more moments), ``open_by`` and ``overdue_by`` (the same for one moment).

What they read (issue 15): a ticket open at T either has not changed state since T (it is
open now, with the state, entry time and deadline of its own row: read from the open
tickets' index ``ix_tickets_open``, bounded by the open backlog) or changed state since T
(found through ``ix_tickets_changed``, bounded by the time since T; only these replay their
audit rows). Neither reads the closed history.

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


def _settled_open(scope: Select[Any], moment: datetime) -> Select[Any]:
    """The scope narrowed to tickets open now that have not changed state since ``moment``:
    their state, entry time and deadline then are those of their row.

    Open now means ``closed_at IS NULL`` as well as an open state (the workflow sets
    ``closed_at`` entering a final state, which is never left; the dashboards' open-ticket
    index and rollups rely on it too), so PostgreSQL reads the partial index ix_tickets_open.
    """
    return scope.where(
        Ticket.closed_at.is_(None),
        Ticket.state.in_(OPEN_STATES),
        _settled_before(moment),
        Ticket.created_at < moment,
    )


def _moved_since(scope: Select[Any], moment: datetime) -> Select[Any]:
    """The candidates (open at ``moment`` maybe) that changed state since: the audit rows
    say what they were then. With :func:`_settled_open`, every ticket open at ``moment``."""
    moved = changed_since(candidates(scope, moment), moment)
    # The ids first, from the index ix_tickets_changed alone: read as one query, PostgreSQL
    # read the rows of every ticket changed since (6,671 in 2,889 pages for 543 candidates).
    ids = moved.with_only_columns(Ticket.id).select_from(Ticket)
    return scope.where(Ticket.id.in_(ids))


def changed_since(scope: Select[Any], moment: datetime) -> Select[Any]:
    """The scope narrowed to tickets that may have changed state at or after ``moment``:
    every ticket with a state-changing audit row since then (and a few from the second
    before), read through ix_tickets_changed."""
    return scope.where(~_settled_before(moment))


def candidates(scope: Select[Any], moment: datetime) -> Select[Any]:
    """The scope narrowed to tickets that can have been open at ``moment``: raised before it
    and not closed by then. Verified and withdrawn are final and ``closed_at`` is written with
    the closing audit row, so this only saves reading the histories of the rest."""
    return scope.where(
        Ticket.created_at < moment, or_(Ticket.closed_at.is_(None), Ticket.closed_at >= moment)
    )


class Deadlines:
    """Deadlines by (province, category, state, local day entered), looked up once each.

    A deadline depends only on the local day a state was entered and the state's working
    days, so a province's thousands of open tickets need a few hundred calendar walks.
    Share one instance across the calls of one report.
    """

    def __init__(self) -> None:
        self.days: dict[tuple[str, int, str], int] = {}
        self.due: dict[tuple[str, int, date], datetime] = {}
        self.policies = sla.DeadlineDays()  # two queries, not two per key
        self.calendars: dict[str, sla.Calendar] = {}

    def of(self, province_code: str, category_id: int, state: str, entered_at: datetime,
           stored: datetime | None = None) -> datetime:  # fmt: skip
        """When the ticket's time in ``state`` ran out, having entered it at ``entered_at``:
        the ``stored`` deadline when known (asof.stored_due), else counted with today's
        settings."""
        if stored is not None:
            return stored
        key = (province_code, category_id, state)
        if key not in self.days:
            self.days[key] = self.policies(*key)
        days = self.days[key]
        calendar = self.calendars.get(province_code)
        if calendar is None:
            calendar = self.calendars[province_code] = sla.calendar_for(province_code)
        due_key = (province_code, days, calendar.local(entered_at).date())
        if due_key not in self.due:
            self.due[due_key] = calendar.add_working_days(entered_at, days)
        return self.due[due_key]


Key = tuple[str, ...]


@dataclass
class OpenCounts:
    """Tickets open at a moment per group (a tuple of the group columns' values as strings):
    how many in each open state, and how many past the deadline of their state then."""

    by_state: dict[Key, dict[str, int]]
    overdue: dict[Key, int]


def open_counts(scope: Select[Any], moments: Sequence[datetime], groups: Sequence[Any],
                deadlines: Deadlines | None = None) -> list[OpenCounts]:  # fmt: skip
    """Open and overdue tickets of the scope at each moment, per value of ``groups`` (Ticket
    columns), in the order of ``moments``; a group is present only where it has tickets.

    The tickets that have not changed state since a moment are counted in one grouped pass
    over the open tickets for all the moments (their stored deadline is the one then:
    ``due_at < moment``); only those that changed state since replay their audit rows, and
    their deadline is counted in Python when it was not stored (:class:`Deadlines`).
    """
    deadlines = deadlines or Deadlines()
    out = [OpenCounts(defaultdict(lambda: dict.fromkeys(OPEN_STATES, 0)), defaultdict(int))
           for _moment in moments]  # fmt: skip
    if not moments:
        return out
    columns = [group.label(f"g{i}") for i, group in enumerate(groups)]
    width = len(columns)
    in_sla = Ticket.state.in_(sla.SLA_STATES)
    measures: list[Any] = []
    for moment in moments:
        settled = and_(_settled_before(moment), Ticket.created_at < moment)
        measures += [
            func.count().filter(settled),
            func.count().filter(and_(settled, in_sla, Ticket.due_at < moment)),
            # A deadline not stored (none written yet): counted in Python below.
            func.count().filter(and_(settled, in_sla, Ticket.due_at.is_(None))),
        ]
    latest = max(moments)
    query = (
        _settled_open(scope, latest)
        .with_only_columns(*columns, Ticket.state, *measures)
        .select_from(Ticket)
        .group_by(*groups, Ticket.state)
    )
    unstored: list[int] = []
    for row in db.session.execute(query):
        key = tuple(str(v) for v in row[:width])
        state = row[width]
        for i, counts in enumerate(out):
            n, late, no_due = row[width + 1 + 3 * i : width + 4 + 3 * i]
            if n:
                counts.by_state[key][state] += int(n)
            if late:
                counts.overdue[key] += int(late)
            if no_due and i not in unstored:
                unstored.append(i)
    for i in unstored:
        moment = moments[i]
        rows = _settled_open(scope, moment).where(in_sla, Ticket.due_at.is_(None))
        _add_rows(out[i], moment, deadlines, rows.with_only_columns(
            *columns, Ticket.state, Ticket.state_changed_at, Ticket.province_code,
            Ticket.category_id, Ticket.due_at).select_from(Ticket))  # fmt: skip
    for moment, counts in zip(moments, out, strict=True):
        at = states_at(_moved_since(scope, moment), moment)
        query = (
            select(
                *columns,
                at.c.state,
                at.c.entered_at,
                Ticket.province_code,
                Ticket.category_id,
                stored_due(moment),
            )
            .select_from(at)
            .join(Ticket, Ticket.id == at.c.ticket_id)
            .where(at.c.state.in_(OPEN_STATES))
        )
        _add_rows(counts, moment, deadlines, query)
    for counts in out:
        counts.by_state = dict(counts.by_state)
        counts.overdue = dict(counts.overdue)
    return out


def _add_rows(counts: OpenCounts, moment: datetime, deadlines: Deadlines,
              query: Select[Any]) -> None:  # fmt: skip
    """Count tickets one row each: (groups..., state, entered_at, province, category, due)."""
    for row in db.session.execute(query):
        *key, state, entered_at, province_code, category_id, stored = row
        group = tuple(str(v) for v in key)
        counts.by_state[group][state] += 1
        if state in sla.SLA_STATES:
            due = deadlines.of(province_code, category_id, state, entered_at, stored)
            if due < moment:
                counts.overdue[group] += 1


def open_by(scope: Select[Any], moment: datetime, group: Any) -> dict[str, dict[str, int]]:
    """Open tickets at ``moment`` per value of ``group`` (a Ticket column) and state."""
    (counts,) = open_counts(scope, [moment], [group])
    return {key[0]: states for key, states in counts.by_state.items()}


def overdue_by(scope: Select[Any], moment: datetime, group: Any,
               deadlines: Deadlines | None = None) -> dict[str, int]:  # fmt: skip
    """Tickets open and past the deadline of their state at ``moment``, per group.

    The deadline is the one stored when the ticket entered its state, if it has not moved
    since; else the state's working days (today's settings) counted from when the ticket
    entered that state, in its province's calendar, as sla.deadline_for does.
    """
    (counts,) = open_counts(scope, [moment], [group], deadlines)
    return {key[0]: n for key, n in counts.overdue.items()}


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
    settled = (
        _settled_open(scope, moment)
        .with_only_columns(Ticket.created_at, Ticket.id)
        .select_from(Ticket)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    at = states_at(_moved_since(scope, moment), moment)
    moved = (
        select(Ticket.created_at, Ticket.id)
        .join(at, at.c.ticket_id == Ticket.id)
        .where(at.c.state.in_(OPEN_STATES))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    first = sorted([*db.session.execute(settled), *db.session.execute(moved)])[:limit]
    ids = [ticket_id for _created, ticket_id in first]
    query = (
        select(Ticket)
        .where(Ticket.id.in_(ids))
        .options(joinedload(Ticket.district), joinedload(Ticket.school))
        .order_by(Ticket.created_at, Ticket.id)
    )
    return list(db.session.scalars(query)) if ids else []


# Reopened most is counted from the reopens since the moment unless there are at least this
# many of them (nationally) and fewer before it (an early moment): the side with fewer rows.
REOPENS_SINCE_LIMIT = 20_000


def reopened_most(scope: Select[Any], moment: datetime, limit: int = 10,
                  ) -> list[tuple[Ticket, int]]:  # fmt: skip
    """The tickets reopened most often before ``moment``, with how often.

    A ticket's ``reopen_count`` counts its reopen audit rows (the workflow writes both), so
    reopens before ``moment`` are that count less the reopens since, which only the tickets
    reopened since have: for a recent moment, few. The first ``limit`` by ``reopen_count``
    (ix_tickets_reopened) plus those reopened since hold the first ``limit`` by reopens
    before ``moment``: each ticket reopened since can push at most one other out. For an
    early moment the reopens before it are the fewer, and they are counted instead.
    """
    if _reopens_beyond(TicketEvent.created_at >= moment) and not _reopens_beyond(
        TicketEvent.created_at < moment
    ):
        return _reopened_before(scope, moment, limit)
    # A ticket reopened since changed state since: its id is in ix_tickets_changed.
    changed = changed_since(scope, moment).with_only_columns(Ticket.id).select_from(Ticket)
    since = (
        select(TicketEvent.ticket_id, func.count().label("n"))
        .where(
            TicketEvent.event == "reopen",
            TicketEvent.created_at >= moment,
            TicketEvent.ticket_id.in_(changed),
        )
        .group_by(TicketEvent.ticket_id)
    )
    later: dict[int, int] = {ticket_id: int(n) for ticket_id, n in db.session.execute(since)}
    columns = (Ticket.id, Ticket.reopen_count, Ticket.created_at)
    top = (
        scope.with_only_columns(*columns)
        .select_from(Ticket)
        .where(Ticket.reopen_count > 0)
        .order_by(Ticket.reopen_count.desc(), Ticket.created_at, Ticket.id)
        .limit(limit + len(later))
    )
    rows = {row.id: row for row in db.session.execute(top)}
    if later:
        extra = select(*columns).where(Ticket.id.in_([i for i in later if i not in rows]))
        rows.update({row.id: row for row in db.session.execute(extra)})
    counted = [(row.id, (row.reopen_count or 0) - later.get(row.id, 0), row.created_at)
               for row in rows.values()]  # fmt: skip
    first = sorted((-n, created, i) for i, n, created in counted if n > 0)[:limit]
    return _with_tickets([(i, -n) for n, _created, i in first])


def _reopens_beyond(when: Any) -> bool:
    """Whether there are REOPENS_SINCE_LIMIT reopen audit rows or more at ``when`` (counted
    no further, on the index of events by kind and time)."""
    rows = select(TicketEvent.created_at).where(TicketEvent.event == "reopen", when)
    counted = select(func.count()).select_from(rows.limit(REOPENS_SINCE_LIMIT).subquery("rows"))
    return (db.session.scalar(counted) or 0) >= REOPENS_SINCE_LIMIT


def _with_tickets(counts: list[tuple[int, int]]) -> list[tuple[Ticket, int]]:
    """(ticket id, count) -> (loaded ticket with its district and school, count), in order."""
    if not counts:
        return []
    query = (
        select(Ticket)
        .where(Ticket.id.in_([i for i, _n in counts]))
        .options(joinedload(Ticket.district), joinedload(Ticket.school))
    )
    tickets = {t.id: t for t in db.session.scalars(query)}
    return [(tickets[i], n) for i, n in counts]


def _reopened_before(scope: Select[Any], moment: datetime, limit: int,
                     ) -> list[tuple[Ticket, int]]:  # fmt: skip
    """reopened_most from the reopen audit rows before ``moment`` (an early moment)."""
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
        select(Ticket.id, counts.c.n)
        .join(counts, counts.c.ticket_id == Ticket.id)
        .order_by(counts.c.n.desc(), Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return _with_tickets([(i, int(n)) for i, n in db.session.execute(query)])
