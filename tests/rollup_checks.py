"""Shared checks: the dashboard rollups agree with figures computed from the tickets."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from sqlalchemy import select

from ticketing import recurrence, reports, rollups
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
    province = select(Ticket).where(Ticket.province_code == "35")
    districts = sorted(set(db.session.scalars(province.with_only_columns(Ticket.district_code))))
    # (scope, groups): the province and national pages, and each district page (its schools).
    cases = [(province, [Ticket.district_code, Ticket.category_id])]
    cases += [(province.where(Ticket.district_code == d), [Ticket.school_id, Ticket.category_id])
              for d in districts]  # fmt: skip
    if full:
        cases.append((select(Ticket), [Ticket.province_code, Ticket.category_id]))
    filter_sets = [reports.Filters()]
    if full:
        # A category filter: the open tickets' ages come from a pass over them.
        category = db.session.scalar(province.with_only_columns(Ticket.category_id).limit(1))
        filter_sets.append(reports.Filters(category=category))
        # A whole-month period (this month, ending today).
        today = (now + reports.zone_offset("Asia/Jakarta")).date()
        filter_sets.append(reports.Filters(date_from=today.replace(day=1), date_to=today))
    for (scope, groups), filters in [(c, f) for c in cases for f in filter_sets]:
        # Any extra condition sends figures_by to the tickets (the path the rollups replace).
        from_tickets = reports.figures_by(scope.where(Ticket.id > 0), filters, "Asia/Jakarta",
                                          groups, now)  # fmt: skip
        from_rollups = reports._from_rollups(scope, filters, "Asia/Jakarta", groups, now)
        if scope.whereclause is None and filters.date_from is not None:
            assert from_rollups is None  # national figures with a period need one zone
            continue
        assert from_rollups is not None
        for group, table in zip(groups, from_tickets, strict=True):
            mine = recurrence.counts_by(scope, filters, "Asia/Jakarta", group)
            theirs = recurrence.counts_by(scope.where(Ticket.id > 0), filters, "Asia/Jakarta",
                                          group)  # fmt: skip
            assert mine == theirs
            # The rollups bring the recurrence counts with the figures; the tickets' tables
            # get them from the pass over the verified tickets (as the dashboards do).
            recurrence.fill(table, theirs)
        for mine, theirs in zip(from_rollups, from_tickets, strict=True):
            assert mine.with_recurrence and not theirs.with_recurrence
            assert _rows(mine) == _rows(theirs), [
                (k, a[k], b[k])
                for a, b in zip(_rows(mine), _rows(theirs), strict=True)
                for k in a
                if a[k] != b[k]
            ]
    if not full:
        return
    for scope in [province, *(province.where(Ticket.district_code == d) for d in districts),
                  select(Ticket)]:  # fmt: skip
        today = (now + reports.zone_offset("Asia/Jakarta")).date()
        trend = reports._trend_from_rollups(
            scope,
            reports.Filters(date_from=today.replace(day=1), date_to=today),
            "Asia/Jakarta",
            now,
        )
        # National figures with a period need one zone: only a province's trend is a rollup.
        assert (trend is None) == (scope.whereclause is None)
        every = reports.Filters()
        assert reports.monthly_trend(scope, every, "Asia/Jakarta", now) == (
            reports.monthly_trend(scope.where(Ticket.id > 0), every, "Asia/Jakarta", now)
        )
