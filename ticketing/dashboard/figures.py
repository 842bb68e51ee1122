"""The figures of each dashboard, as the pages and the API both get them (through the cache).

One function per dashboard, so the page and ``/api/v1/dashboard/...`` show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Select

from ticketing import recurrence, reports
from ticketing.dashboard import cache as dashboard_cache
from ticketing.models import District, Province, Ticket

Figures = tuple[reports.Table, reports.Table, list[dict[str, Any]]]


def remember(kind: str, scope: Select[Any], filters: reports.Filters, locale: str,
             compute: Callable[[], Figures]) -> Figures:  # fmt: skip
    """A dashboard's tables and trend, from the short-lived cache (cache.py) if fresh."""
    key = dashboard_cache.key_for(kind, scope, filters.as_args(), locale)
    return dashboard_cache.remember(key, compute)


def came_back(tables: tuple[reports.Table, reports.Table], scope: Select[Any],
              filters: reports.Filters, timezone: str,
              groups: tuple[Any, Any]) -> tuple[reports.Table, reports.Table]:  # fmt: skip
    """The recurrence rate (ticketing/recurrence.py) on each table, beside the reopen rate."""
    for table, group in zip(tables, groups, strict=True):
        if not table.with_recurrence:  # the rollups brought the counts with the figures
            recurrence.fill(table, recurrence.counts_by(scope, filters, timezone, group))
    return tables


def national(scope: Select[Any], filters: reports.Filters, locale: str) -> Figures:
    """Per province and per category, and the monthly trend (national administrators)."""
    return remember(
        "national", scope, filters, locale,
        lambda: (*came_back(reports.national_tables(scope, filters, locale), scope, filters,
                            "Asia/Jakarta", (Ticket.province_code, Ticket.category_id)),
                 reports.monthly_trend(scope, filters, "Asia/Jakarta")),
    )  # fmt: skip


def province(kind: str, scope: Select[Any], province: Province, filters: reports.Filters,
             locale: str) -> Figures:  # fmt: skip
    """Per district and per category of a province ("province" page or "public" view)."""
    return remember(
        kind, scope, filters, locale,
        lambda: (*came_back(reports.province_tables(scope, province, filters, locale), scope,
                            filters, province.timezone, (Ticket.district_code, Ticket.category_id)),
                 reports.monthly_trend(scope, filters, province.timezone)),
    )  # fmt: skip


def district(scope: Select[Any], district: District, filters: reports.Filters,
             locale: str) -> Figures:  # fmt: skip
    """Per school and per category of a district (``scope`` already narrowed to it)."""
    return remember(
        "district", scope, filters, locale,
        lambda: (*came_back(reports.district_tables(scope, district, filters, locale), scope,
                            filters, district.province.timezone,
                            (Ticket.school_id, Ticket.category_id)),
                 reports.monthly_trend(scope, filters, district.province.timezone)),
    )  # fmt: skip
