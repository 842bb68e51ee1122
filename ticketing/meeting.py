"""The monthly PMO meeting report of a province: what happened in a month, per district
and per category, against the month before; the oldest open tickets and those reopened
most. Every figure comes from the audit trail (asof.py), so a past month's report is the
same whenever it is printed. The page, the XLSX file and the e-mail all read one Report.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from sqlalchemy import Select, distinct, func, select

from ticketing import asof, reports
from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import OPEN_STATES, RECURRENCE, Province, Ticket, TicketEvent, TicketLink
from ticketing.services import exports

# The figures of a month, in the order of the report's columns.
FIGURES = ("open_start", "raised", "resolved", "verified", "reopened", "came_back",
           "open_end", "overdue")  # fmt: skip
_EVENTS = {"raise": "raised", "resolve": "resolved", "verify": "verified", "reopen": "reopened"}


def parse_month(value: Any, today: date) -> date:
    """'2023-01' -> date(2023, 1, 1) (reports.parse_month); anything else: this month."""
    return reports.parse_month(value) or today.replace(day=1)


def next_month(first: date) -> date:
    """The first day of the following month."""
    return (first + timedelta(days=32)).replace(day=1)


def previous_month(first: date) -> date:
    """The first day of the month before."""
    return (first - timedelta(days=1)).replace(day=1)


@dataclass
class Line:
    """One row of the report (a district, a category, or the total): this and last month."""

    key: str
    label: str = ""
    now: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    before: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FIGURES, 0))
    by_state: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OPEN_STATES, 0))

    def change(self, name: str) -> int:
        """This month's figure minus last month's."""
        return self.now[name] - self.before[name]


@dataclass(frozen=True)
class Item:
    """A ticket as the report lists it (plain values: a report may be cached)."""

    id: int
    number: str
    created_at: datetime
    district: str
    school: str
    title: str
    count: int = 0  # reopens, in the "reopened most" list

    @classmethod
    def of(cls, ticket: Ticket, count: int = 0) -> Item:
        """The values of a loaded ticket."""
        return cls(ticket.id, ticket.number, ticket.created_at, ticket.district.name,
                   ticket.school.name, ticket.title, count)  # fmt: skip


@dataclass(frozen=True)
class Place:
    """The province of a report (plain values)."""

    code: str
    name: str
    timezone: str


@dataclass
class Report:
    """Everything the meeting report shows; plain values only, so it can be cached."""

    province: Place
    month: date  # first day
    end: datetime  # the moment the month's "end" figures are taken (now, for this month)
    complete: bool  # False while the month is still running
    districts: list[Line]
    categories: list[Line]
    total: Line
    oldest: list[Item]
    reopened_most: list[Item]


def _events(scope: Select[Any], low: datetime, high: datetime,
            ) -> list[tuple[str, int, str, int]]:  # fmt: skip
    """(district, category, figure, tickets): the tickets with an audit event of each kind, and
    the tickets linked as a recurrence, in [low, high): one query each.

    Tickets, not events: a ticket reopened twice in the month counts once, so that each figure
    equals the ticket list behind it (ticket_query ``reopened_in``, ``came_back_in``).
    """
    ids = scope.with_only_columns(Ticket.id).select_from(Ticket).scalar_subquery()
    # These events change the state, so their tickets were raised before ``high`` and changed
    # state at or after ``low``: chosen from the index ix_tickets_changed (with their district
    # and category), not by joining the month's audit rows of every province to the tickets.
    active = (
        asof.changed_since(scope, low)
        .where(Ticket.created_at < high)
        .with_only_columns(Ticket.id, Ticket.district_code, Ticket.category_id)
        .select_from(Ticket)
        .subquery("active")
    )
    events = (
        select(
            active.c.district_code,
            active.c.category_id,
            TicketEvent.event,
            func.count(distinct(TicketEvent.ticket_id)),
        )
        .select_from(TicketEvent)
        .join(active, active.c.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.created_at >= low,
            TicketEvent.created_at < high,
            TicketEvent.event.in_(list(_EVENTS)),
        )
        .group_by(active.c.district_code, active.c.category_id, TicketEvent.event)
    )
    out = [(d, c, _EVENTS[e], int(n)) for d, c, e, n in db.session.execute(events)]
    links = (
        select(Ticket.district_code, Ticket.category_id, func.count(distinct(TicketLink.ticket_id)))
        .select_from(TicketLink)
        .join(Ticket, Ticket.id == TicketLink.ticket_id)
        .where(
            TicketLink.kind == RECURRENCE,
            TicketLink.ticket_id.in_(ids),
            TicketLink.created_at >= low,
            TicketLink.created_at < high,
        )
        .group_by(Ticket.district_code, Ticket.category_id)
    )
    out += [(d, c, "came_back", int(n)) for d, c, n in db.session.execute(links)]
    return out


Figures = dict[tuple[str, str], dict[str, int]]  # (district, category) -> figure -> count


def _month(scope: Select[Any], start: asof.OpenCounts, end: asof.OpenCounts, low: datetime,
           high: datetime) -> Figures:  # fmt: skip
    """The month's figures per (district, category), from the tickets open at its start and
    end (asof.open_counts, grouped by district and category) and the events between."""
    out: Figures = {}

    def cell(district: str, category: Any) -> dict[str, int]:
        return out.setdefault((district, str(category)), dict.fromkeys(FIGURES, 0))

    for key, states in start.by_state.items():
        cell(*key)["open_start"] += sum(states.values())
    for key, states in end.by_state.items():
        cell(*key)["open_end"] += sum(states.values())
    for key, late in end.overdue.items():
        cell(*key)["overdue"] += late
    for district, category, name, n in _events(scope, low, high):
        cell(district, category)[name] += n
    return out


def _lines(now: Figures, before: Figures, end: asof.OpenCounts, by_category: bool,
           labels: dict[str, str]) -> list[Line]:  # fmt: skip
    """Lines per district (or category): the cells added up."""
    lines: dict[str, Line] = {key: Line(key, name) for key, name in labels.items()}

    def line(key: tuple[str, str]) -> Line:
        name = key[1] if by_category else key[0]
        return lines.setdefault(name, Line(name, labels.get(name, name)))

    for figures, attr in ((now, "now"), (before, "before")):
        for key, values in figures.items():
            target = getattr(line(key), attr)
            for name, n in values.items():
                target[name] += n
    for (district, category), states in end.by_state.items():
        target = line((district, category)).by_state
        for state, n in states.items():
            target[state] += n
    return [lines[k] for k in sorted(lines)]


def build(scope: Select[Any], province: Province, month: date, locale: str,
          now: datetime | None = None) -> Report:  # fmt: skip
    """The report of ``province`` for the month starting on ``month`` (local days)."""
    now = now or utcnow()
    tz = province.timezone
    scoped = scope.where(Ticket.province_code == province.code)
    low = asof.moment_of(month - timedelta(days=1), tz)
    high = min(asof.moment_of(next_month(month) - timedelta(days=1), tz), now)
    before_low = asof.moment_of(previous_month(month) - timedelta(days=1), tz)
    # The open tickets at the three moments in one pass (asof.open_counts).
    at_before, at_low, at_high = asof.open_counts(
        scoped, (before_low, low, high), (Ticket.district_code, Ticket.category_id)
    )
    now_figures = _month(scoped, at_low, at_high, low, high)
    before_figures = _month(scoped, at_before, at_low, before_low, low)
    district_labels = {d.code: d.name for d in province.districts}
    districts = _lines(now_figures, before_figures, at_high, False, district_labels)
    category_labels = reports.category_labels(locale)
    categories = [
        c for c in _lines(now_figures, before_figures, at_high, True, {})
        if any(c.now.values()) or any(c.before.values())
    ]  # fmt: skip
    for line in categories:
        line.label = category_labels.get(line.key, line.key)
    total = Line("")
    for line in districts:
        for name in FIGURES:
            total.now[name] += line.now[name]
            total.before[name] += line.before[name]
        for state in OPEN_STATES:
            total.by_state[state] += line.by_state[state]
    return Report(
        province=Place(province.code, province.name, province.timezone),
        month=month,
        end=high,
        complete=high < now,
        districts=districts,
        categories=categories,
        total=total,
        oldest=[Item.of(t) for t in asof.oldest_open(scoped, high)],
        reopened_most=[Item.of(t, n) for t, n in asof.reopened_most(scoped, high)],
    )


# The report's tables as plain values: the page and the XLSX file are both made from these,
# so that the file read back equals the page.

FIGURE_HEADERS = {
    "id": {"open_start": "Terbuka di awal bulan", "raised": "Diajukan", "resolved": "Diselesaikan",
           "verified": "Terverifikasi", "reopened": "Dibuka kembali",
           "came_back": "Muncul kembali", "open_end": "Masih terbuka di akhir bulan",
           "overdue": "Terlambat di akhir bulan"},
    "en": {"open_start": "Open at the start", "raised": "Raised", "resolved": "Resolved",
           "verified": "Verified", "reopened": "Reopened", "came_back": "Came back",
           "open_end": "Still open at the end", "overdue": "Overdue at the end"},
}  # fmt: skip
WORDS = {
    "id": {"district": "Kabupaten/Kota", "category": "Kategori", "total": "Jumlah",
           "change": "perubahan", "number": "Nomor", "raised": "Diajukan", "school": "Sekolah",
           "title": "Judul", "state": "Status", "reopens": "Dibuka kembali",
           "figure": "Angka", "this": "Bulan ini", "before": "Bulan lalu"},
    "en": {"district": "District", "category": "Category", "total": "Total",
           "change": "change", "number": "Number", "raised": "Raised", "school": "School",
           "title": "Title", "state": "State", "reopens": "Reopened",
           "figure": "Figure", "this": "This month", "before": "Last month"},
}  # fmt: skip


def _lang(locale: str) -> str:
    return "en" if locale == "en" else "id"


def summary_table(report: Report, locale: str) -> list[list[Any]]:
    """Header and rows: each figure, this month, last month, the change."""
    words, names = WORDS[_lang(locale)], FIGURE_HEADERS[_lang(locale)]
    rows: list[list[Any]] = [[words["figure"], words["this"], words["before"], words["change"]]]
    for name in FIGURES:
        rows.append([names[name], report.total.now[name], report.total.before[name],
                     report.total.change(name)])  # fmt: skip
    return rows


def lines_table(lines: list[Line], total: Line | None, first: str, locale: str,
                ) -> list[list[Any]]:  # fmt: skip
    """Header and one row per line: each figure this month and its change from last month."""
    words, names = WORDS[_lang(locale)], FIGURE_HEADERS[_lang(locale)]
    head: list[Any] = [words[first]]
    for name in FIGURES:
        head += [names[name], f"± {words['change']}"]
    rows = [head]
    for line in [*lines, *([total] if total is not None else [])]:
        label = words["total"] if line is total else line.label
        values: list[Any] = [label]
        for name in FIGURES:
            values += [line.now[name], line.change(name)]
        rows.append(values)
    return rows


def tickets_table(report: Report, locale: str) -> list[list[Any]]:
    """The oldest open tickets at the end of the month."""
    words = WORDS[_lang(locale)]
    zone = ZoneInfo(report.province.timezone)
    rows: list[list[Any]] = [[words["number"], words["raised"], words["district"],
                              words["school"], words["title"]]]  # fmt: skip
    for item in report.oldest:
        raised = exports._local(item.created_at, zone)
        rows.append([item.number, raised.date().isoformat() if raised else "",
                     item.district, item.school, item.title])  # fmt: skip
    return rows


def reopened_table(report: Report, locale: str) -> list[list[Any]]:
    """The tickets reopened most often (up to the end of the month)."""
    words = WORDS[_lang(locale)]
    rows: list[list[Any]] = [[words["number"], words["reopens"], words["district"],
                              words["school"], words["title"]]]  # fmt: skip
    for item in report.reopened_most:
        rows.append([item.number, item.count, item.district, item.school, item.title])
    return rows


def tables(report: Report, locale: str) -> dict[str, list[list[Any]]]:
    """Every table of the report by id (the page's <table id> and the XLSX sheet order)."""
    return {
        "summary": summary_table(report, locale),
        "districts": lines_table(report.districts, report.total, "district", locale),
        "categories": lines_table(report.categories, None, "category", locale),
        "oldest": tickets_table(report, locale),
        "reopened": reopened_table(report, locale),
    }


SHEET_NAMES = {
    "id": {"summary": "Ringkasan", "districts": "Kabupaten-Kota", "categories": "Kategori",
           "oldest": "Terbuka tertua", "reopened": "Paling sering dibuka"},
    "en": {"summary": "Summary", "districts": "Districts", "categories": "Categories",
           "oldest": "Oldest open", "reopened": "Reopened most"},
}  # fmt: skip


def xlsx(report: Report, locale: str) -> bytes:
    """The report as an XLSX workbook: one sheet per table of the page."""
    book = Workbook(write_only=True)
    names = SHEET_NAMES[_lang(locale)]
    for key, rows in tables(report, locale).items():
        sheet = book.create_sheet(names[key])
        for values in rows:
            sheet.append([exports.inert(v) for v in values])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
