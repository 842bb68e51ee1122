"""What the dashboard pages draw from the figures: SVG charts, headline figures, the
small-cell rule of the public view, and the as-of tables. No queries of its own except
through reports.py, recurrence.py and asof.py; the views stay thin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import Select

from ticketing import asof, charts, reports
from ticketing.clock import utcnow
from ticketing.i18n import STATE_LABELS
from ticketing.models import OPEN_STATES, RECURRENCE, Ticket, TicketLink

# The public view shows no figure that counts fewer tickets than this (but zero).
SMALL_CELL = 5
HIDDEN = "<5"


def chart_data(by_group: reports.Table | None, categories: reports.Table,
               trend: list[dict[str, Any]], locale: str, states_title: str = "",
               public: bool = False) -> dict[str, Any]:  # fmt: skip
    """The page's charts as inline SVG, and the trend with month names for its table.

    In the public view, the charts leave out what the tables hide (hidden_cells).
    """
    hide_small = public
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
    raised = [_shown(t["raised"], hide_small) for t in trend]
    verified = [_shown(t["verified"], hide_small) for t in trend]
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
            "raised": [_text(t["raised"], hide_small) for t in trend],
            "verified": [_text(t["verified"], hide_small) for t in trend],
        },
    }


def _shown(value: int, hide_small: bool) -> int:
    """What a chart may draw: a small count is drawn as nothing in the public view."""
    return 0 if hide_small and 0 < value < SMALL_CELL else value


def _text(value: int, hide_small: bool) -> str | int:
    return HIDDEN if hide_small and 0 < value < SMALL_CELL else value


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


def month_bounds(today: date, timezone: str) -> tuple[datetime, datetime]:
    """The current local month as naive UTC [low, high)."""
    first = today.replace(day=1)
    nxt = (first + timedelta(days=32)).replace(day=1)
    return asof.moment_of(first - timedelta(days=1), timezone), asof.moment_of(
        nxt - timedelta(days=1), timezone
    )


def this_month(scope: Select[Any], timezone: str, now: datetime | None = None,
               ) -> tuple[int, int, str]:  # fmt: skip
    """(reopen events, recurrence links made) this local month in the scope, and its key."""
    from sqlalchemy import func, select

    from ticketing.extensions import db

    now = now or utcnow()
    today = (now + reports.zone_offset(timezone)).date()
    low, high = month_bounds(today, timezone)
    reopened = asof.events_between(scope, low, high, Ticket.province_code, ["reopen"])
    reopens = sum(v["reopen"] for v in reopened.values())
    came_back = db.session.scalar(
        select(func.count())
        .select_from(TicketLink)
        .join(Ticket, Ticket.id == TicketLink.ticket_id)
        .where(
            TicketLink.kind == RECURRENCE,
            TicketLink.created_at >= low,
            TicketLink.created_at < high,
            *asof.scope_on_joined_tickets(scope),
        )
    )
    return reopens, int(came_back or 0), today.strftime("%Y-%m")


def as_text(value: float | int | None) -> str:
    """A figure for a headline (integers only)."""
    return "-" if value is None else f"{value:,}".replace(",", ".")


def markup(value: Any) -> Markup:
    """Mark pre-rendered SVG as safe for the templates (built by charts.py, escaped)."""
    return value if isinstance(value, Markup) else Markup("")
