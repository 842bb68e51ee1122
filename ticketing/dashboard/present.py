"""What the dashboard pages draw from the figures: SVG charts, headline figures, the
small-cell rule of the public view, and the as-of tables. No queries of its own except
through reports.py, recurrence.py and asof.py; the views stay thin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import Select

from ticketing import charts, reports, ticket_query
from ticketing.clock import utcnow
from ticketing.i18n import STATE_LABELS
from ticketing.models import OPEN_STATES, Ticket

# The public view shows no figure that counts fewer tickets than this (but zero).
SMALL_CELL = 5
HIDDEN = "<5"


def chart_data(by_group: reports.Table | None, categories: reports.Table,
               trend: list[dict[str, Any]], locale: str, states_title: str = "",
               public: bool = False) -> dict[str, Any]:  # fmt: skip
    """The page's charts as inline SVG, and the trend with month names for its table.

    In the public view, the charts leave out what the tables hide (hidden_cells).
    """
    states = None
    if by_group is not None:
        rows = by_group.rows
        gone = hidden_cells(by_group) if public else set()
        series = [
            charts.Series(
                str(STATE_LABELS[s]),
                [0 if (r.key, s) in gone else r.by_state[s] for r in rows],
                charts.PALETTE[i],
            )
            for i, s in enumerate(OPEN_STATES)
        ]
        states = charts.hbars([r.label for r in rows], series, states_title)
    gone_categories = hidden_cells(categories) if public else set()
    cat_values = [0 if (r.key, "total") in gone_categories else r.total for r in categories.rows]
    category_chart = charts.hbars(
        [r.label for r in categories.rows],
        [charts.Series(_("Tickets"), cat_values, charts.PALETTE[1])],
        _("Tickets by category"),
    )
    months = [charts.month_label(t["month"], locale) for t in trend]
    shown = public_trend(trend) if public else trend
    raised = [t["raised"] or 0 for t in shown]
    verified = [t["verified"] or 0 for t in shown]
    trend_chart = charts.columns(
        [charts.month_label(t["month"], locale, short=True) for t in trend],
        [
            charts.Series(_("Raised"), raised, charts.PALETTE[0]),
            charts.Series(_("Verified"), verified, charts.PALETTE[3]),
        ],
        _("Raised and verified per month"),
    )
    return {
        "states_svg": states,
        "categories_svg": category_chart,
        "trend_svg": trend_chart,
        "trend": {
            "labels": months,
            "raised": [HIDDEN if t["raised"] is None else t["raised"] for t in shown],
            "verified": [HIDDEN if t["verified"] is None else t["verified"] for t in shown],
        },
    }


TREND_SERIES = ("raised", "verified")


def hidden_trend(trend: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(month, series) pairs of the monthly trend the public view must not show.

    Primary: counts of 1 to 4. Complementary: a series' sum over the months can be known (the
    table's total under a period filter is the raised series' sum, its "verified in the
    period" the verified series'), so where exactly one month of a series is hidden, the next
    smallest count of that series is hidden too: subtraction then gives only the sum of two
    hidden months, never one of them.
    """
    hidden: set[tuple[str, str]] = set()
    for name in TREND_SERIES:
        cells = [(point["month"], name, int(point[name])) for point in trend]
        hidden |= {(month, name) for month, _n, value in cells if 0 < value < SMALL_CELL}
        if sum((month, name) in hidden for month, _n, _v in cells) == 1:
            _hide_next(hidden, cells)
    return hidden


def public_trend(trend: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The trend as the public view gives it (page, charts, API): hidden counts None."""
    hidden = hidden_trend(trend)
    return [
        {**point, **{n: None if (point["month"], n) in hidden else point[n] for n in TREND_SERIES}}
        for point in trend
    ]


# The small-cell rule of the public view.

# For each share or median column: the count it is taken of.
_BASES = {
    "median_age_days": "open_total", "escalated_share": "total",
    "district_share": "resolved_count", "reopen_rate": "resolves",
    "recurrence_rate": "fixes", "median_days_to_verify": "verified", "compliance": "total",
}  # fmt: skip
_COUNTS: tuple[str, ...] = (
    "within", "total", *OPEN_STATES, "open_total", "overdue", "verified",
)  # fmt: skip
# Counts that add up to another in the same row (a hidden one could be recovered).
_ROW_GROUPS: tuple[tuple[str, ...], ...] = (tuple(OPEN_STATES),)


def hidden_cells(table: reports.Table) -> set[tuple[str, str]]:
    """(row key, column) pairs the public view must not show.

    Primary: counts of 1 to 4, and shares or medians taken of fewer than 5 tickets.
    Secondary: where exactly one count is hidden in a column (over the rows, with the total
    shown) or in a row's group of states (with the open total shown), the next smallest
    count is hidden too, so that no hidden figure can be worked out by subtraction.
    """
    rows = table.rows
    hidden: set[tuple[str, str]] = set()
    for row in rows:
        for name in _COUNTS:
            if 0 < getattr(row, name) < SMALL_CELL:
                hidden.add((row.key, name))
        for name, base in _BASES.items():
            if getattr(row, base) < SMALL_CELL:
                hidden.add((row.key, name))
    for name, base in _BASES.items():
        if getattr(table.total, base) < SMALL_CELL:
            hidden.add(("", name))
    for name in _COUNTS:
        if 0 < getattr(table.total, name) < SMALL_CELL:
            hidden.add(("", name))
    changed = True
    while changed:
        changed = False
        for name in _COUNTS:
            keys = [r for r in rows if (r.key, name) in hidden]
            if len(keys) == 1 and ("", name) not in hidden:
                changed |= _hide_next(hidden, [(r.key, name, getattr(r, name)) for r in rows])
        for row in rows:
            for group in _ROW_GROUPS:
                inside = [n for n in group if (row.key, n) in hidden]
                if len(inside) == 1:
                    changed |= _hide_next(hidden, [(row.key, n, getattr(row, n)) for n in group])
    return hidden


def _hide_next(hidden: set[tuple[str, str]], cells: list[tuple[str, str, int]]) -> bool:
    """Hide the smallest shown non-zero cell of ``cells``; True if one was hidden."""
    shown = [(v, k, n) for k, n, v in cells if (k, n) not in hidden and v > 0]
    if not shown:
        return False
    _value, key, name = min(shown)
    hidden.add((key, name))
    return True


def small_counts_in(table: reports.Table) -> bool:
    """Whether any figure of the table is hidden (the page then says why)."""
    return bool(hidden_cells(table))


# Headline figures: the few numbers every dashboard opens with.


@dataclass
class Headline:
    """One large number, what it means, and the list behind it."""

    key: str
    label: str
    value: int | str
    href: str | None = None


@dataclass
class Headlines:
    """The headline figures of a page, and the month the monthly ones count."""

    items: list[Headline] = field(default_factory=list)
    month: str = ""


def this_month(scope: Select[Any], timezone: str, now: datetime | None = None,
               ) -> tuple[int, int, date]:  # fmt: skip
    """(tickets reopened, tickets that came back) this local month in the scope, and the
    month's first day: the same tickets as the list's ``reopened_in`` and ``came_back_in``
    conditions (ticket_query.py), so a headline's link lists exactly the tickets it counts."""
    from sqlalchemy import func, select

    from ticketing.asof import scope_on_joined_tickets
    from ticketing.extensions import db
    from ticketing.models import TicketEvent, TicketLink

    now = now or utcnow()
    month = (now + reports.zone_offset(timezone)).date().replace(day=1)
    low, high = reports.month_bounds(month, timezone)
    in_scope = scope_on_joined_tickets(scope)

    def tickets_of(ticket_id: Any, rows: tuple[Any, ...]) -> Any:
        # Driven by the month's rows, not by the scope's tickets: as an EXISTS per ticket
        # inside an aggregate, PostgreSQL probed the events once per ticket of the province
        # (74,000 probes, 4 s at 1M tickets).
        return (
            select(func.count(ticket_id.distinct()))
            .join(Ticket, Ticket.id == ticket_id)
            .where(*rows, *in_scope)
            .scalar_subquery()
        )

    reopened = tickets_of(TicketEvent.ticket_id, ticket_query.reopen_rows(low, high))
    came_back = tickets_of(TicketLink.ticket_id, ticket_query.came_back_rows(low, high))
    row = db.session.execute(select(reopened, came_back)).one()
    return int(row[0] or 0), int(row[1] or 0), month


def as_text(value: float | int | None) -> str:
    """A figure for a headline (integers only)."""
    return "-" if value is None else f"{value:,}".replace(",", ".")


def markup(value: Any) -> Markup:
    """Mark pre-rendered SVG as safe for the templates (built by charts.py, escaped)."""
    return value if isinstance(value, Markup) else Markup("")
