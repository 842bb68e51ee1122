"""Exports of ticket lists and dashboard tables as CSV (streamed) and XLSX (openpyxl).

Column headers come from the explicit dictionaries below (Indonesian for 'id', English for
'en'); the names of states and tiers come from the vocabulary's labels in that language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from sqlalchemy import Select
from sqlalchemy.orm import joinedload

from ticketing.errors import InvalidInput
from ticketing.extensions import db
from ticketing.models import Ticket
from ticketing.reports import Table, category_labels
from ticketing.vocabulary import OPEN_STATES, STATE_LABELS, TIER_LABELS

FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

TICKET_FIELDS = (
    "number", "created_at", "state", "province", "district", "npsn", "school", "level",
    "cohort", "category", "title", "escalations", "referrals", "reopens", "resolved_tier", "due_at",
    "closed_at",
)  # fmt: skip
TABLE_FIELDS = (
    "code", "name", "total", *OPEN_STATES, "open_total",
    "overdue", "median_age_days", "escalated_share", "referred_share", "district_share",
    "reopen_rate",
    "verified", "median_days_to_verify", "within_deadline", "compliance", "recurrence_rate",
)  # fmt: skip
# A table field's Row attribute, where the names differ.
_ROW_ATTRIBUTES = {"code": "key", "name": "label", "within_deadline": "within"}

HEADERS: dict[str, dict[str, str]] = {
    "id": {
        "number": "Nomor", "created_at": "Diajukan", "state": "Status", "province": "Provinsi",
        "district": "Kabupaten/Kota", "npsn": "NPSN", "school": "Sekolah", "level": "Jenjang",
        "cohort": "Angkatan", "category": "Kategori", "title": "Judul",
        "escalations": "Jumlah eskalasi", "reopens": "Dibuka kembali",
        "resolved_tier": "Diselesaikan oleh", "due_at": "Tenggat", "closed_at": "Ditutup",
        "code": "Kode", "name": "Nama", "total": "Jumlah tiket", "open_total": "Terbuka",
        "overdue": "Terlambat", "median_age_days": "Median umur tiket terbuka (hari)",
        "escalated_share": "Porsi dieskalasi ke provinsi",
        "referred_share": "Porsi dirujuk ke PMO Pusat", "referrals": "Jumlah rujukan ke pusat",
        "district_share": "Porsi diselesaikan kabupaten/kota",
        "reopen_rate": "Tingkat dibuka kembali", "verified": "Terverifikasi dalam periode",
        "median_days_to_verify": "Median hari sampai terverifikasi",
        "within_deadline": "Ditangani dalam tenggat",
        "compliance": "Kepatuhan tenggat (SLA)",
        "recurrence_rate": "Tingkat muncul kembali setelah diperbaiki",
    },
    "en": {
        "number": "Number", "created_at": "Raised", "state": "State", "province": "Province",
        "district": "District", "npsn": "NPSN", "school": "School", "level": "Level",
        "cohort": "Cohort", "category": "Category", "title": "Title",
        "escalations": "Escalations", "reopens": "Reopens", "resolved_tier": "Resolved by",
        "due_at": "Deadline", "closed_at": "Closed",
        "code": "Code", "name": "Name", "total": "Tickets", "open_total": "Open",
        "overdue": "Overdue", "median_age_days": "Median age of open tickets (days)",
        "escalated_share": "Share escalated to the province",
        "referred_share": "Share referred to the central PMO", "referrals": "Referrals to central",
        "district_share": "Share resolved by the district", "reopen_rate": "Reopen rate",
        "verified": "Verified in the period", "median_days_to_verify": "Median days to verify",
        "within_deadline": "Handled within the deadline", "compliance": "SLA compliance",
        "recurrence_rate": "Recurrence rate (came back after the fix)",
    },
}  # fmt: skip


def state_names(locale: str) -> dict[str, str]:
    """Names of states and tiers in the export's language (vocabulary labels, the catalogue)."""
    with force_locale("en" if locale == "en" else "id"):
        names = {str(s): str(label) for s, label in STATE_LABELS.items()}
        names.update({str(t): str(label) for t, label in TIER_LABELS.items()})
    return names


@dataclass
class Export:
    """A file to send: body (bytes, or an iterator of bytes when streamed), type, name."""

    body: bytes | Iterator[bytes]
    mimetype: str
    filename: str


def headers(fields: Iterable[str], locale: str) -> list[str]:
    """Column headers in the interface language (Indonesian unless 'en')."""
    names = {**HEADERS["en" if locale == "en" else "id"], **state_names(locale)}
    return [names[f] for f in fields]


def _check(fmt: str) -> None:
    if fmt not in FORMATS:
        raise InvalidInput(_l("Unknown export format."), field="format")


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)


def _ticket_values(ticket: Ticket, states: dict[str, str], zone: ZoneInfo,
                   categories: dict[str, str]) -> list[Any]:  # fmt: skip
    school = ticket.school
    return [
        ticket.number, _local(ticket.created_at, zone), states[ticket.state],
        ticket.province.name, ticket.district.name, school.npsn, school.name, school.level,
        school.cohort, categories.get(str(ticket.category_id), ""), ticket.title,
        ticket.escalation_count, ticket.referral_count, ticket.reopen_count,
        states.get(ticket.resolved_tier or "", ""), _local(ticket.due_at, zone),
        _local(ticket.closed_at, zone),
    ]  # fmt: skip


# A cell starting with one of these is a formula to spreadsheet programs (CSV injection);
# the text comes from users (titles, school names), so it is made inert with a leading "'".
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


def inert(value: Any) -> Any:
    """The value, with text that a spreadsheet would run as a formula prefixed by "'"."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_line(values: list[Any]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(
        [v.strftime("%Y-%m-%d %H:%M") if isinstance(v, datetime) else inert(v) for v in values]
    )
    return buffer.getvalue().encode("utf-8")


def export_tickets(query: Select[Any], fmt: str, *, locale: str = "id",
                   timezone: str = "Asia/Jakarta", name: str = "tiket") -> Export:  # fmt: skip
    """The tickets of ``query`` (scoped, filtered, ordered) as CSV (streamed) or XLSX."""
    _check(fmt)
    zone = ZoneInfo(timezone)
    categories = category_labels(locale)
    # The caller's order (the list's), so the file reads like the page.
    states = state_names(locale)
    query = query.options(
        joinedload(Ticket.school), joinedload(Ticket.district), joinedload(Ticket.province)
    )

    def rows() -> Iterator[list[Any]]:
        # yield_per keeps memory flat for national-size lists.
        result = db.session.execute(query.execution_options(yield_per=1000))
        for ticket in result.scalars():
            yield _ticket_values(ticket, states, zone, categories)

    head = headers(TICKET_FIELDS, locale)
    if fmt == "csv":

        def stream() -> Iterator[bytes]:
            # The BOM makes spreadsheet programs read the file as UTF-8.
            yield "\ufeff".encode() + _csv_line(head)
            for values in rows():
                yield _csv_line(values)

        return Export(stream(), "text/csv; charset=utf-8", f"{name}.csv")
    return Export(_xlsx(head, rows()), XLSX_TYPE, f"{name}.xlsx")


def _xlsx(head: list[str], rows: Iterable[list[Any]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(head)
    for values in rows:
        # openpyxl stores a string starting with "=" as a formula.
        sheet.append([inert(v) for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def table_values(table: Table) -> list[list[Any]]:
    """The dashboard table as plain values (shares as fractions, medians in days), total last."""
    out = []
    for row in [*table.rows, table.total]:
        out.append([
            row.key, row.label, row.total, *(row.by_state[s] for s in OPEN_STATES),
            row.open_total, row.overdue, _round(row.median_age_days),
            _round(row.escalated_share, 4), _round(row.referred_share, 4),
            _round(row.district_share, 4),
            _round(row.reopen_rate, 4), row.verified, _round(row.median_days_to_verify),
            row.within, _round(row.compliance, 4), _round(row.recurrence_rate, 4),
        ])  # fmt: skip
    return out


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def export_table(table: Table, fmt: str, *, locale: str = "id",
                 name: str = "dasbor", total_label: str = "",
                 hidden: set[tuple[str, str]] | None = None) -> Export:  # fmt: skip
    """A dashboard table (its rows and the total) as CSV or XLSX.

    ``hidden``: (row key, Row attribute) cells written as "<5" (the public view's rule).
    """
    _check(fmt)
    table.total.label = total_label or ("Total" if locale == "en" else "Jumlah")
    head = headers(TABLE_FIELDS, locale)
    values = table_values(table)
    if hidden:
        attributes = [_ROW_ATTRIBUTES.get(f, f) for f in TABLE_FIELDS]
        for row, line in zip([*table.rows, table.total], values, strict=True):
            for i, attribute in enumerate(attributes):
                if (row.key, attribute) in hidden:
                    line[i] = "<5"
    if fmt == "csv":
        body = "\ufeff".encode() + b"".join(_csv_line(v) for v in [head, *values])
        return Export(body, "text/csv; charset=utf-8", f"{name}.csv")
    return Export(_xlsx(head, values), XLSX_TYPE, f"{name}.xlsx")
