"""Shared checks: the dashboard rollups agree with figures computed from the tickets."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select

from ticketing import reports, rollups
from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import Ticket


def _rows(table: reports.Table) -> list[dict[str, object]]:
    out = []
    for row in [table.total, *table.rows]:
        values = asdict(row)
        for name in ("median_age_days", "median_days_to_verify"):
            if values[name] is not None:
                values[name] = round(values[name], 6)
        out.append(values)
    return out


def assert_rollups_agree(now: datetime | None = None, *, full: bool = True) -> None:
    """The stored rollups equal a recomputation, and the dashboards read the same figures.

    ``full=False`` (the state test, after every step) compares the province's tables only.
    """
    assert rollups.differences(db.session.connection()) == []
    now = now or utcnow()
    filters = reports.Filters()
    groups = [Ticket.district_code, Ticket.category_id]
    scopes = [select(Ticket).where(Ticket.province_code == "35")]
    if full:
        scopes.append(select(Ticket))
    for scope in scopes:
        # Any extra condition sends figures_by to the tickets (the path the rollups replace).
        from_tickets = reports.figures_by(scope.where(Ticket.id > 0), filters, "Asia/Jakarta",
                                          groups, now)  # fmt: skip
        from_rollups = reports._from_rollups(scope, filters, "Asia/Jakarta", groups, now)
        assert from_rollups is not None
        for mine, theirs in zip(from_rollups, from_tickets, strict=True):
            assert _rows(mine) == _rows(theirs), [
                (k, a[k], b[k])
                for a, b in zip(_rows(mine), _rows(theirs), strict=True)
                for k in a
                if a[k] != b[k]
            ]
        if not full:
            continue
        today = (now + reports.zone_offset("Asia/Jakarta")).date()
        trend = reports._trend_from_rollups(
            scope,
            reports.Filters(date_from=today.replace(day=1), date_to=today),
            "Asia/Jakarta",
            now,
        )
        # National figures with a period need one zone: only a province's trend is a rollup.
        assert (trend is None) == (scope.whereclause is None)
        assert reports.monthly_trend(scope, filters, "Asia/Jakarta", now) == (
            reports.monthly_trend(scope.where(Ticket.id > 0), filters, "Asia/Jakarta", now)
        )
