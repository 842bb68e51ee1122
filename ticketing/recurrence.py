"""Problems that came back: verified fixes later linked to a new ticket as a recurrence.

Recurrence rate = closed fixes that came back / closed fixes, where a closed fix is a ticket
verified (in the period, when one is given) and "came back" means a later ticket was linked
to it as a recurrence (services/links.py). Read-only, like reports.py, from the same scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, func, select
from sqlalchemy.orm import aliased, joinedload

from ticketing import reports
from ticketing.extensions import db
from ticketing.models import RECURRENCE, Ticket, TicketLink


def _came_back() -> Any:
    return exists().where(TicketLink.other_ticket_id == Ticket.id, TicketLink.kind == RECURRENCE)


def _fixes(scope: Select[Any], filters: reports.Filters, timezone: str) -> Select[Any]:
    """The scope's verified tickets, verified within the period (if any), other filters too."""
    query = reports.narrowed(scope, filters, timezone, period=False).where(
        Ticket.state == "verified"
    )
    low, high = reports.day_bounds(filters.date_from, filters.date_to, timezone)
    if low is not None:
        query = query.where(Ticket.closed_at >= low)
    if high is not None:
        query = query.where(Ticket.closed_at < high)
    return query


def counts_by(scope: Select[Any], filters: reports.Filters, timezone: str,
              group: Any) -> dict[str, tuple[int, int]]:  # fmt: skip
    """Per value of ``group`` (a Ticket column): (closed fixes, of them came back).

    From the dashboard rollups when they can answer (reports.recurrence_from_rollups).
    """
    from_rollups = reports.recurrence_from_rollups(scope, filters, timezone, group)
    if from_rollups is not None:
        return from_rollups
    came_back = _came_back()
    query = (
        _fixes(scope, filters, timezone)
        .with_only_columns(
            group.label("k"),
            func.count().label("fixes"),
            func.count().filter(came_back).label("came_back"),
        )
        .select_from(Ticket)
        .group_by(group)
    )
    return {str(r.k): (int(r.fixes), int(r.came_back)) for r in db.session.execute(query)}


def fill(table: reports.Table, counts: dict[str, tuple[int, int]]) -> reports.Table:
    """Put the counts on the table's rows and total (rows without fixes get zero)."""
    table.total.fixes = sum(f for f, _c in counts.values())
    table.total.came_back = sum(c for _f, c in counts.values())
    for row in table.rows:
        row.fixes, row.came_back = counts.get(row.key, (0, 0))
    return table


@dataclass(frozen=True)
class CameBack:
    """A verified ticket and the later ticket linked to it as the same problem."""

    fixed: Ticket
    again: Ticket


def came_back(scope: Select[Any], filters: reports.Filters, timezone: str,
              limit: int = 200) -> list[CameBack]:  # fmt: skip
    """The fixes of the scope that came back, newest recurrence first (for the list page)."""
    again = aliased(Ticket)
    fixed_ids = _fixes(scope, filters, timezone).with_only_columns(Ticket.id).select_from(Ticket)
    query = (
        select(Ticket, again)
        .join(
            TicketLink, and_(TicketLink.other_ticket_id == Ticket.id, TicketLink.kind == RECURRENCE)
        )
        .join(again, again.id == TicketLink.ticket_id)
        .where(Ticket.id.in_(fixed_ids))
        .options(joinedload(Ticket.school), joinedload(Ticket.district))
        .order_by(again.created_at.desc(), again.id.desc())
        .limit(limit)
    )
    return [CameBack(fixed, new) for fixed, new in db.session.execute(query).unique()]
