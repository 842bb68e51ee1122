"""Dashboard views: thin; the figures come from ticketing.reports, scope from permissions."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any, NamedTuple
from urllib.parse import urlencode

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup, escape
from sqlalchemy import Select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import HiddenField, IntegerField
from wtforms.validators import InputRequired, NumberRange

from ticketing import (
    asof,
    charts,
    meeting,
    permissions,
    recurrence,
    reports,
    security,
    ticket_query,
)
from ticketing.auth.access import public
from ticketing.clock import utcnow
from ticketing.dashboard import bp, present
from ticketing.dashboard import cache as dashboard_cache
from ticketing.dashboard import figures as dashboard_figures
from ticketing.extensions import db
from ticketing.forms import Form
from ticketing.i18n import STATE_LABELS, user_timezone
from ticketing.models import (
    LEVELS,
    OPEN_STATES,
    Category,
    District,
    Province,
    Ticket,
    User,
)
from ticketing.services import dashboards as dashboard_service
from ticketing.services import exports, meeting_mail
from ticketing.vocabulary import STATE_SHORT_LABELS

# The table's columns: (Row attribute, header, kind, ticket-list arguments of the cell link).
COLUMNS: tuple[tuple[str, Any, str, dict[str, str]], ...] = (
    ("total", _l("Tickets"), "int", {}),
    *((s.value, STATE_SHORT_LABELS[s], "int", {"state": s.value}) for s in OPEN_STATES),
    ("open_total", _l("Open"), "int", {"open": "1"}),
    ("overdue", _l("Overdue"), "int", {"overdue": "1"}),
    ("median_age_days", _l("Median age of open tickets (days)"), "days", {"open": "1"}),
    ("escalated_share", _l("Escalated to the province"), "share", {"escalated": "1"}),
    ("referred_share", _l("Referred to the central PMO (share)"), "share", {"referred": "1"}),
    ("district_share", _l("Resolved by the district"), "share", {"resolved_by": "district"}),
    ("reopen_rate", _l("Reopen rate (fixes rejected)"), "share", {"reopened": "1"}),
    # Linked to the list of fixes that came back (dashboard.came_back), not the ticket list.
    ("recurrence_rate", _l("Came back after the fix (recurrence rate)"), "share", {}),
    ("verified", _l("Verified in the period"), "int", {"state": "verified"}),
    ("median_days_to_verify", _l("Median days from raised to verified"), "days",
     {"state": "verified"}),
    # SLA (docs/sla.md): never missed a PMO deadline and not past one now, of all tickets.
    ("compliance", _l("SLA compliance (handled within the deadline)"), "share", {"sla": "met"}),
)  # fmt: skip
# As of a past day, only what the audit trail can say: open tickets by state, and overdue.
ASOF_COLUMNS = tuple(c for c in COLUMNS if c[0] in {*OPEN_STATES, "open_total", "overdue"})
# What a phone shows of each table (the full table is one tap away).
COMPACT = ("open_total", "overdue", "reopen_rate", "recurrence_rate")
COMPACT_COLUMNS = tuple(c for c in COLUMNS if c[0] in COMPACT)
VERIFIED_COLUMNS = {"verified", "median_days_to_verify", "recurrence_rate"}


class RecurrenceWindowForm(Form):
    """The province's recurrence window in days (services.dashboards.set_recurrence_days)."""

    days = IntegerField(_l("Days after a close in which a new ticket may be the same problem"),
                        validators=[InputRequired(), NumberRange(min=1, max=730)])  # fmt: skip


class PublicToggleForm(Form):
    """Switch the province's public dashboard on ("1") or off ("0")."""

    enabled = HiddenField()


def _user() -> User:
    return current_user._get_current_object()


def _locale() -> str:
    return str(get_locale() or "id")


@dataclass(frozen=True)
class Numbers:
    """Formats the table's figures in the locale (12.345 / 3,5 / 40% in Indonesian).

    Babel's format_decimal parses the locale and the pattern on every call (about 0.1 ms);
    a province table has about 700 figures, so the symbols are looked up once per table.
    The symbols are HTML-escaped in the table, so the text is ready for the page (digits,
    the symbols, '-' and '%' only).
    """

    swap: dict[int, str]  # str.translate table: Python's "," and "." -> the locale's symbols

    @classmethod
    def for_locale(cls, locale: str) -> Numbers:
        """The locale's group and decimal symbols."""
        group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
        return cls(str.maketrans({",": str(escape(group)), ".": str(escape(decimal))}))

    def __call__(self, value: Any, kind: str) -> str:
        """One figure as text (HTML-safe); '-' when there is none."""
        if value is None:
            return "-"
        if kind == "share":
            text, suffix = f"{value * 100:,.0f}", "%"
        elif kind == "days":
            text, suffix = f"{value:,.1f}", ""
        else:
            text, suffix = f"{value:,}", ""
        return text.translate(self.swap) + suffix


HIDDEN_CELL = f'<td class="num">{escape(present.HIDDEN)}</td>'


class CellRow(NamedTuple):
    """One row of a figures table: its figures as cells, the phone's few, and its header."""

    row: reports.Row
    cells: Markup  # every column's <td>, each figure linked to the tickets behind it
    compact: Markup  # the COMPACT columns' <td> (the phone's table)
    head: Markup  # the row header's content: the label, linked one level down (empty: total)


class CellRows(list[CellRow]):
    """A figures table's rows, the total last, and their HTML for the two tables of
    ``_macros.html``'s figures_table (the loop there cost a template call per row)."""

    def full(self, total_label: str) -> Markup:
        """The rows of the full table: the body's rows, then the total in the footer."""
        total = str(escape(total_label))
        parts = []
        for number, (_row, cells, _compact, head) in enumerate(self, 1):
            if number == len(self):
                parts.append(
                    f'\n    </tbody><tfoot>\n    <tr class="total">\n      '
                    f'<th scope="row">{total}</th>\n      {cells}\n    </tr>\n    '
                    "</tfoot>\n  "
                )
            else:
                parts.append(
                    f'\n    \n    <tr>\n      <th scope="row">{head}</th>\n      {cells}'
                    "\n    </tr>\n    \n  "
                )
        return Markup("".join(parts))  # noqa: S704 (cells and heads are Markup, escaped)

    def compact(self, total_label: str) -> Markup:
        """The rows of the phone's table (the COMPACT columns)."""
        total = str(escape(total_label))
        parts = []
        for number, (_row, _cells, compact, head) in enumerate(self, 1):
            if number == len(self):
                parts.append(
                    f'\n    </tbody><tfoot>\n    <tr class="total"><th scope="row">{total}'
                    f"</th>{compact}</tr>\n    </tfoot>\n  "
                )
            else:
                parts.append(f'\n    \n    <tr><th scope="row">{head}</th>{compact}</tr>\n    \n  ')
        return Markup("".join(parts))  # noqa: S704 (cells and heads are Markup, escaped)


def _query(*parts: str) -> str:
    """Query-string parts (each already HTML-escaped) joined for an HTML attribute."""
    return "&amp;".join(part for part in parts if part)


def _encoded(args: dict[str, Any]) -> str:
    """A query string, HTML-escaped: urlencode leaves only '&' to escape (the separators)."""
    return urlencode(args).replace("&", "&amp;")


def _cells(
    table: reports.Table,
    group_param: str | None,
    scope_args: dict[str, str],
    filters: reports.Filters,
    links: bool,
    hidden: set[tuple[str, str]] | None = None,
    columns: tuple[tuple[str, Any, str, dict[str, str]], ...] = COLUMNS,
    row_link: Callable[[reports.Row], str] | None = None,
) -> CellRows:
    """Every row's figures as table cells linked to the filtered ticket list.

    Built here rather than in a template loop: a district table has about 1,500 figures and
    the loop cost more than the (cached) figures themselves. Each cell is one f-string of
    parts escaped once per page, row or column (Markup + str per piece escaped every piece
    again: 70% of a cached district page), and each row is marked safe once.
    """
    number = Numbers.for_locale(_locale())
    # Per column: the page its links open, whether they take the verified cohort's
    # arguments, and its own parameters (escaped; they never repeat the filters' or the
    # row's, so a link is the row's part and the column's part joined).
    specs: list[tuple[str, bool, str]] = []
    cohort_args: dict[str, str] = {}
    verified_args: dict[str, str] = {}
    if links:
        base = str(escape(url_for("tickets.index")))
        came_back_base = str(escape(url_for("dashboard.came_back")))
        cohort_args = ticket_query.dashboard_args(filters)
        verified_args = ticket_query.dashboard_args(filters, verified=True)
        specs = [
            (came_back_base if name == "recurrence_rate" else base, name in VERIFIED_COLUMNS,
             _encoded(extra))
            for name, _header, _kind, extra in columns
        ]  # fmt: skip
    compact_at = [name in COMPACT for name, _header, _kind, _extra in columns]
    # The rows' parts differ only in the row's own parameter: the rest is encoded once
    # (urlencode per row was a third of the cells' time), unless that parameter is also
    # a filter's (then the row's value replaces the filter's in place, as a dict merge does).
    fixed = (_encoded({**cohort_args, **scope_args}), _encoded({**verified_args, **scope_args}))
    own = bool(group_param) and not {group_param} & {*cohort_args, *verified_args, *scope_args}
    out = CellRows()
    for row in [*table.rows, table.total]:
        is_total = row is table.total
        cells: list[str] = []
        if links:
            if not group_param or is_total:
                row_parts = fixed
            elif own:
                tail = _encoded({str(group_param): row.key})
                row_parts = (_query(fixed[0], tail), _query(fixed[1], tail))
            else:
                row_args = {**scope_args, str(group_param): row.key}
                row_parts = (_encoded({**cohort_args, **row_args}),
                             _encoded({**verified_args, **row_args}))  # fmt: skip
            for (name, _header, kind, _extra), (page, verified, column_part) in zip(
                columns, specs, strict=True
            ):
                if hidden and (row.key, name) in hidden:
                    cells.append(HIDDEN_CELL)
                    continue
                row_part = row_parts[verified]
                query = f"{row_part}&amp;{column_part}" if row_part and column_part else (
                    row_part or column_part)  # fmt: skip
                text = number(getattr(row, name), kind)
                cells.append(f'<td class="num"><a href="{page}?{query}">{text}</a></td>')
        else:
            for name, _header, kind, _extra in columns:
                if hidden and (row.key, name) in hidden:
                    cells.append(HIDDEN_CELL)  # the public view's small-cell rule
                else:
                    cells.append(f'<td class="num">{number(getattr(row, name), kind)}</td>')
        compact = "".join(cell for cell, shown in zip(cells, compact_at, strict=True) if shown)
        head = Markup("")
        if not is_total:
            head = escape(row.label)
            if row_link is not None:
                head = Markup('<a href="%s">%s</a>') % (row_link(row), row.label)
        # Every piece above is escaped: numbers by Numbers, links by urlencode and _encoded.
        out.append(CellRow(row, Markup("".join(cells)), Markup(compact), head))  # noqa: S704
    return out


def _sorted(table: reports.Table) -> reports.Table:
    key = request.args.get("sort")
    descending = request.args.get("dir", "desc") == "desc"
    return reports.Table(reports.sort_rows(table.rows, key, descending), table.total)


def _filter_choices() -> dict[str, Any]:
    locale = _locale()
    labels = reports.category_labels(locale)
    categories = db.session.scalars(db.select(Category).order_by(Category.kind, Category.position))
    return {
        "categories": [(c.id, labels[str(c.id)]) for c in categories],
        "levels": LEVELS,
    }


def _headed(columns: tuple[tuple[str, Any, str, dict[str, str]], ...],
            ) -> tuple[tuple[str, Markup, str, dict[str, str]], ...]:  # fmt: skip
    """The columns with their headers translated once per page, not at each use (a table's
    header row and its phone twin, per table). Markup, as the lazy string gave the template
    (flask_babel's LazyString.__html__ is its text, unescaped: the catalogue's own words)."""
    return tuple((name, Markup(str(header)), kind, extra)  # noqa: S704
                 for name, header, kind, extra in columns)  # fmt: skip


def _common(filters: reports.Filters) -> dict[str, Any]:
    return {
        "filters": filters,
        "filter_args": filters.as_args(),
        "columns": _headed(COLUMNS),
        "compact_columns": _headed(COMPACT_COLUMNS),
        "choices": _filter_choices(),
        "sort": request.args.get("sort"),
        "sort_dir": request.args.get("dir", "desc"),
    }


def _headlines(total: reports.Row, scope: Select[Any], timezone: str,
               scope_args: dict[str, str] | None,
               filters: reports.Filters | None = None) -> present.Headlines:  # fmt: skip
    """The few large numbers a dashboard opens with, each linked to the list behind it.

    Each link is the ticket list with the dashboard's filters, the row's scope and the
    figure's own parameter, so it lists exactly the tickets the figure counts
    (tests/test_headline_links.py). ``scope_args`` None: the public view (no links; small
    counts hidden).
    """
    filters = filters or reports.Filters()
    narrowed = reports.narrowed(scope, filters, timezone)
    reopens, came_back, month = present.this_month(narrowed, timezone)
    list_args = ticket_query.dashboard_args(filters)
    month_arg = month.strftime("%Y-%m")

    base = url_for("tickets.index")

    def href(extra: dict[str, str]) -> str | None:
        if scope_args is None:
            return None
        return f"{base}?{urlencode({**list_args, **scope_args, **extra})}"

    def value(number: int) -> int | str:
        if scope_args is None and 0 < number < present.SMALL_CELL:
            return present.HIDDEN
        return number

    items = [
        present.Headline("open", _("Open"), value(total.open_total), href({"open": "1"})),
        present.Headline("overdue", _("Overdue"), value(total.overdue), href({"overdue": "1"})),
        present.Headline("waiting", _("Waiting for verification"), value(total.resolved),
                         href({"state": "resolved"})),
        present.Headline("reopened", _("Reopened this month"), value(reopens),
                         href({"reopened_in": month_arg})),
        present.Headline("came_back", _("Came back this month"), value(came_back),
                         href({"came_back_in": month_arg})),
    ]  # fmt: skip
    return present.Headlines(items, charts.month_label(month_arg, _locale()))


def _asof_page(kind: str, scope: Select[Any], filters: reports.Filters, day: date,
               timezone: str, group: Any, title: str, *, public: bool = False,
               row_link: Callable[[reports.Row], str] | None = None,
               **context: Any) -> str:  # fmt: skip
    """Any dashboard as of a past day: open tickets by state and group, from the audit trail."""
    narrowed = reports.narrowed(scope, filters, timezone, period=False)
    moment = asof.moment_of(day, timezone)
    cache_kind = f"{kind}:asof:{day.isoformat()}"

    def compute() -> Any:
        # Open and overdue in one pass over the open tickets (asof.open_counts).
        (counts,) = asof.open_counts(narrowed, [moment], [group])
        by_state = {key[0]: states for key, states in counts.by_state.items()}
        overdue = {key[0]: n for key, n in counts.overdue.items()}
        rows = []
        for key in sorted(set(by_state) | set(overdue)):
            row = reports.Row(key=key)
            row.by_state.update(by_state.get(key, {}))
            row.overdue = overdue.get(key, 0)
            row.total = row.open_total
            rows.append(row)
        total = reports.Row(key="")
        for row in rows:
            for state in OPEN_STATES:
                total.by_state[state] += row.by_state[state]
            total.overdue += row.overdue
        total.total = total.open_total
        table = reports.Table(rows, total)
        labeler = {
            "province_code": reports._label_provinces,
            "district_code": reports._label_districts,
            "school_id": reports._label_schools,
        }[group.key]
        return labeler(table)

    table = dashboard_cache.remember(
        dashboard_cache.key_for(cache_kind, scope, filters.as_args(), _locale()), compute
    )
    hidden = present.hidden_cells(table) if public else set()
    cells = _cells(table, None, {}, filters, False, hidden, ASOF_COLUMNS, row_link)
    chart = None
    if group.key != "school_id" or len(table.rows) <= 60:
        chart = present.chart_data(table, reports.Table([], table.total), [], _locale(), title,
                                   public=public)["states_svg"]  # fmt: skip
    return render_template(
        "dashboard/asof.html",
        title=title,
        day=day,
        table=cells,
        total=table.total,
        columns=_headed(ASOF_COLUMNS),
        chart=chart,
        public=public,
        some_hidden=bool(hidden),
        filter_args=filters.as_args(),
        **context,
    )


def _province_asof(kind: str, scope: Select[Any], province: Province,
                   filters: reports.Filters, day: date, **context: Any) -> str:  # fmt: skip
    """A province's page (``kind`` "province" or "public") as of a past day, per district."""
    public = kind == "public"
    endpoint = "dashboard.public_view" if public else "dashboard.province"
    return _asof_page(kind, scope, filters, day, province.timezone, Ticket.district_code,
                      _("Open tickets by state per district"), public=public,
                      heading=province.name, province=province,
                      action=url_for(endpoint, code=province.code), **context)  # fmt: skip


Figures = dashboard_figures.Figures


def _province_figures(kind: str, scope: Select[Any], province: Province,
                      filters: reports.Filters) -> Figures:  # fmt: skip
    return dashboard_figures.province(kind, scope, province, filters, _locale())


def _drill(endpoint: str, code: str, filters: reports.Filters) -> str:
    """The dashboard one level down, with the same filters."""
    args: dict[str, Any] = {"code": code, **filters.as_args()}
    return url_for(endpoint, **args)


@bp.route("/dashboard/")
def index() -> BaseResponse:
    """Send each role to the dashboard of its scope."""
    home = permissions.home_dashboard(_user())
    if home is None:
        abort(403)
    level, code = home
    if code is None:
        return redirect(url_for(f"dashboard.{level}"))
    return redirect(url_for(f"dashboard.{level}", code=code))


@bp.route("/dashboard/national")
def national() -> str:
    """One row per province, each linking to its dashboard."""
    user = _user()
    if not permissions.can_view_national_dashboard(user):
        abort(403)
    filters = reports.Filters.from_args(request.args)
    scope = permissions.visible_tickets(user)
    day = asof.parse_day(request.args.get("asof"))
    if day is not None:
        return _asof_page(
            "national",
            scope,
            filters,
            day,
            "Asia/Jakarta",
            Ticket.province_code,
            _("Open tickets by state per province"),
            heading=_("all provinces"),
            action=url_for("dashboard.national"),
            row_link=lambda r: _drill("dashboard.province", r.key, filters),
        )
    locale = _locale()
    table, categories, trend = dashboard_figures.national(scope, filters, locale)
    table = _sorted(table)
    return render_template(
        "dashboard/national.html",
        consultations=reports.consultation_figures(scope, _locale()),
        table=_cells(
            table,
            "province",
            {},
            filters,
            True,
            row_link=lambda row: _drill("dashboard.province", row.key, filters),
        ),
        categories=_cells(categories, "category", {}, filters, True),
        chart=present.chart_data(
            table, categories, trend, locale, _("Open tickets by state per province")
        ),
        headlines=_headlines(table.total, scope, "Asia/Jakarta", {}, filters),
        **_common(filters),
    )


def _province_or_404(code: str) -> Province:
    province = db.session.get(Province, code)
    if province is None:
        abort(404)
    return province


def _district_or_404(code: str) -> District:
    district = db.session.get(District, code)
    if district is None:
        abort(404)
    return district


def _check_province(user: User, province: Province) -> None:
    if not permissions.has_dashboards(user):
        abort(403)
    if not permissions.can_view_province_dashboard(user, province.code):
        abort(404)


@bp.route("/dashboard/province/<code>")
def province(code: str) -> BaseResponse | str:
    """One row per district of the province, charts, and the public-view switch."""
    user = _user()
    province = _province_or_404(code)
    own_district = permissions.district_dashboard_instead(user, code)
    if own_district is not None:
        # A district officer sees only their district's figures.
        return redirect(url_for("dashboard.district", code=own_district))
    _check_province(user, province)
    filters = reports.Filters.from_args(request.args)
    scope = permissions.visible_tickets(user).where(Ticket.province_code == province.code)
    day = asof.parse_day(request.args.get("asof"))
    if day is not None:
        return _province_asof(
            "province",
            scope,
            province,
            filters,
            day,
            row_link=lambda r: _drill("dashboard.district", r.key, filters),
        )
    table, categories, trend = _province_figures("province", scope, province, filters)
    table = _sorted(table)
    can_publish = permissions.can_publish_dashboard(user, province.code)
    return render_template(
        "dashboard/province.html",
        consultations=reports.consultation_figures(scope, _locale()),
        province=province,
        table=_cells(
            table,
            "district",
            {"province": province.code},
            filters,
            True,
            row_link=lambda row: _drill("dashboard.district", row.key, filters),
        ),
        categories=_cells(categories, "category", {"province": province.code}, filters, True),
        chart=present.chart_data(
            table, categories, trend, _locale(), _("Open tickets by state per district")
        ),
        headlines=_headlines(
            table.total, scope, province.timezone, {"province": province.code}, filters
        ),
        can_publish=can_publish,
        toggle=PublicToggleForm(enabled="0" if province.public_dashboard else "1")
        if can_publish
        else None,
        window=RecurrenceWindowForm(days=province.recurrence_days) if can_publish else None,
        **_common(filters),
    )


@bp.route("/dashboard/district/<code>")
def district(code: str) -> str:
    """One district: figures by school and by category, and the oldest open tickets."""
    user = _user()
    district = _district_or_404(code)
    if not permissions.has_dashboards(user):
        abort(403)
    if not permissions.can_view_district_dashboard(user, district.code):
        abort(404)
    filters = reports.Filters.from_args(request.args)
    scope = reports.district_scope(permissions.visible_tickets(user), district)
    timezone = district.province.timezone
    day = asof.parse_day(request.args.get("asof"))
    if day is not None:
        return _asof_page(
            "district",
            scope,
            filters,
            day,
            timezone,
            Ticket.school_id,
            _("Open tickets by state per school"),
            heading=district.name,
            action=url_for("dashboard.district", code=district.code),
        )
    locale = _locale()
    schools, categories, trend = dashboard_figures.district(scope, district, filters, locale)
    schools = _sorted(schools)
    return render_template(
        "dashboard/district.html",
        consultations=reports.consultation_figures(scope, _locale()),
        district=district,
        table=_cells(schools, "school", {"district": district.code}, filters, True),
        categories=_cells(categories, "category", {"district": district.code}, filters, True),
        oldest=reports.oldest_open(scope, district, filters),
        chart=present.chart_data(None, categories, trend, locale),
        headlines=_headlines(schools.total, scope, timezone, {"district": district.code}, filters),
        can_see_province=permissions.can_view_province_dashboard(user, district.province_code),
        **_common(filters),
    )


@bp.route("/dashboard/came-back")
def came_back() -> str:
    """The fixes that came back as a new ticket (behind the recurrence rate), in scope."""
    user = _user()
    if not permissions.has_dashboards(user):
        abort(403)
    args = request.args
    filters = reports.Filters(
        date_from=asof.parse_day(args.get("verified_from")),
        date_to=asof.parse_day(args.get("verified_to")),
        category=reports.parse_int(args.get("category")),
        level=args.get("level") if args.get("level") in LEVELS else None,
        cohort=reports.parse_int(args.get("cohort")),
    )
    scope = permissions.visible_tickets(user)
    for name, column, size in (("province", Ticket.province_code, 2),
                               ("district", Ticket.district_code, 5)):  # fmt: skip
        if args.get(name):
            scope = scope.where(column == str(args[name])[:size])
    school = reports.parse_int(args.get("school"))
    if school is not None:
        scope = scope.where(Ticket.school_id == school)
    pairs = recurrence.came_back(scope, filters, user_timezone(user))
    return render_template("dashboard/came_back.html", pairs=pairs, filters=filters)


class SendForm(Form):
    """Send the meeting report by e-mail (the CSRF token only)."""


def _meeting_report(code: str) -> tuple[Province, meeting.Report]:
    user = _user()
    province = _province_or_404(code)
    _check_province(user, province)
    today = (utcnow() + reports.zone_offset(province.timezone)).date()
    month = meeting.parse_month(request.args.get("month"), today)
    scope = permissions.visible_tickets(user)
    locale = _locale()
    key = dashboard_cache.key_for(f"meeting:{month.isoformat()}", scope, {}, locale)
    report = dashboard_cache.remember(key, lambda: meeting.build(scope, province, month, locale))
    return province, report


def _meeting_links(report: meeting.Report) -> dict[str, str]:
    """The ticket list behind each headline figure of the report that a list can show: the
    month's raised, verified, reopened and came-back tickets (and the open ones while the
    month runs); the same tickets the figure counts (tests/test_headline_links.py)."""
    first = report.month
    last = meeting.next_month(first) - timedelta(days=1)
    base = ticket_query.TicketQuery(province=report.province.code)
    queries = {
        "raised": replace(base, created_from=first, created_to=last),
        "verified": replace(base, verified_from=first, verified_to=last),
        "reopened": replace(base, reopened_in=first),
        "came_back": replace(base, came_back_in=first),
    }
    if not report.complete:
        queries["open_end"] = replace(base, open=True)
    return {
        name: f"{url_for('tickets.index')}?{urlencode(query.as_args())}"
        for name, query in queries.items()
    }


@bp.route("/dashboard/province/<code>/meeting")
def meeting_page(code: str) -> str:
    """The monthly meeting report: a page to read on a phone and print on A4."""
    province, report = _meeting_report(code)
    locale = _locale()
    month = report.month.strftime("%Y-%m")
    tables = meeting.tables(report, locale)
    series = [charts.Series(str(STATE_LABELS[s]), [d.by_state[s] for d in report.districts],
                            charts.PALETTE[i]) for i, s in enumerate(OPEN_STATES)]  # fmt: skip
    names = meeting.FIGURE_HEADERS["en" if locale == "en" else "id"]
    shown = ("raised", "resolved", "verified", "reopened", "came_back")
    compare = charts.columns(
        [names[n] for n in shown],
        [charts.Series(charts.month_label(meeting.previous_month(report.month).strftime("%Y-%m"),
                                          locale), [report.total.before[n] for n in shown],
                       charts.PALETTE[4]),
         charts.Series(charts.month_label(month, locale), [report.total.now[n] for n in shown],
                       charts.PALETTE[1])],
        _("This month against last month"),
    )  # fmt: skip
    return render_template(
        "dashboard/meeting.html",
        province=province,
        report=report,
        tables=tables,
        month=month,
        month_name=charts.month_label(month, locale),
        previous=meeting.previous_month(report.month).strftime("%Y-%m"),
        following=meeting.next_month(report.month).strftime("%Y-%m"),
        states_svg=charts.hbars(
            [d.label for d in report.districts],
            series,
            _("Still open at the end of the month, by state"),
        ),
        compare_svg=compare,
        figure_names=names,
        links=_meeting_links(report),
        can_send=permissions.can_send_meeting_report(_user(), province.code),
        send_form=SendForm(),
    )


@bp.route("/dashboard/province/<code>/meeting.xlsx")
def meeting_export(code: str) -> Response:
    """The meeting report as an XLSX workbook (one sheet per table of the page)."""
    province, report = _meeting_report(code)
    name = f"rapat-{province.code}-{report.month.strftime('%Y-%m')}"
    return _send(exports.Export(meeting.xlsx(report, _locale()), exports.XLSX_TYPE,
                                f"{name}.xlsx"))  # fmt: skip


@bp.route("/dashboard/province/<code>/meeting/send", methods=["POST"])
def meeting_send(code: str) -> BaseResponse:
    """E-mail the report's figures and its link to the province's officers (the outbox)."""
    province, report = _meeting_report(code)
    if not SendForm().validate_on_submit():
        abort(400)
    month = report.month.strftime("%Y-%m")
    link = url_for("dashboard.meeting_page", code=province.code, month=month)
    count = meeting_mail.send(report, actor=_user(), link=link)
    db.session.commit()
    flash(_("The report was sent to %(n)d officers.", n=count), "info")
    return redirect(link)


@bp.route("/dashboard/province/<code>/recurrence-window", methods=["POST"])
def recurrence_window(code: str) -> BaseResponse:
    """An administrator of the province sets its recurrence window (days)."""
    user = _user()
    province = _province_or_404(code)
    if not permissions.can_view_province_dashboard(user, province.code):
        abort(404)
    form = RecurrenceWindowForm()
    if not form.validate_on_submit() or form.days.data is None:
        flash(_("Choose between 1 and %(max)d days.", max=730), "error")
        return redirect(url_for("dashboard.province", code=province.code))
    dashboard_service.set_recurrence_days(user, province, form.days.data)
    db.session.commit()
    flash(_("Saved: %(days)d days.", days=province.recurrence_days), "info")
    return redirect(url_for("dashboard.province", code=province.code))


@bp.route("/dashboard/province/<code>/public", methods=["POST"])
def toggle_public(code: str) -> BaseResponse:
    """An administrator of the province switches its public dashboard on or off."""
    user = _user()
    province = _province_or_404(code)
    if not permissions.can_view_province_dashboard(user, province.code):
        abort(404)
    form = PublicToggleForm()
    if not form.validate_on_submit() or form.enabled.data not in ("0", "1"):
        abort(400)
    dashboard_service.set_public_dashboard(user, province, form.enabled.data == "1")
    db.session.commit()
    if province.public_dashboard:
        flash(_("The public dashboard is on."), "info")
    else:
        flash(_("The public dashboard is off."), "info")
    return redirect(url_for("dashboard.province", code=province.code))


def _send(export: exports.Export) -> Response:
    body = export.body
    if not isinstance(body, bytes):
        body = stream_with_context(body)
    response = Response(body, mimetype=export.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


def _format(fmt: str) -> str:
    if fmt not in exports.FORMATS:
        abort(404)
    return fmt


@bp.route("/dashboard/export/national.<fmt>")
def export_national(fmt: str) -> Response:
    """The national table as CSV or XLSX."""
    user = _user()
    if not permissions.can_view_national_dashboard(user):
        abort(403)
    filters = reports.Filters.from_args(request.args)
    scope = permissions.visible_tickets(user)
    table = reports.national(scope, filters)
    recurrence.fill(
        table, recurrence.counts_by(scope, filters, "Asia/Jakarta", Ticket.province_code)
    )
    return _send(exports.export_table(table, _format(fmt), locale=_locale(), name="nasional"))


@bp.route("/dashboard/export/province/<code>.<fmt>")
def export_province(code: str, fmt: str) -> Response:
    """The province table (one row per district) as CSV or XLSX."""
    user = _user()
    province = _province_or_404(code)
    _check_province(user, province)
    filters = reports.Filters.from_args(request.args)
    scope = permissions.visible_tickets(user)
    table = reports.province(scope, province, filters)
    scoped = scope.where(Ticket.province_code == province.code)
    recurrence.fill(
        table, recurrence.counts_by(scoped, filters, province.timezone, Ticket.district_code)
    )
    return _send(
        exports.export_table(table, _format(fmt), locale=_locale(), name=f"provinsi-{code}")
    )


@bp.route("/dashboard/export/district/<code>.<fmt>")
def export_district(code: str, fmt: str) -> Response:
    """The district table (one row per school) as CSV or XLSX."""
    user = _user()
    district = _district_or_404(code)
    if not permissions.has_dashboards(user):
        abort(403)
    if not permissions.can_view_district_dashboard(user, district.code):
        abort(404)
    filters = reports.Filters.from_args(request.args)
    scope = permissions.visible_tickets(user)
    table = reports.district_by_school(scope, district, filters)
    recurrence.fill(
        table,
        recurrence.counts_by(
            reports.district_scope(scope, district),
            filters,
            district.province.timezone,
            Ticket.school_id,
        ),
    )
    name = f"kabupaten-{code.replace('.', '')}"
    return _send(exports.export_table(table, _format(fmt), locale=_locale(), name=name))


@bp.route("/dashboard/export/tickets.<fmt>")
def export_tickets(fmt: str) -> Response:
    """The ticket list as CSV (streamed) or XLSX: the list's parameters, the list's tickets."""
    user = _user()
    export = exports.export_tickets(
        ticket_query.tickets_for(user, request.args),
        _format(fmt),
        locale=_locale(),
        timezone=user_timezone(user),
    )
    return _send(export)


def _public_province(code: str) -> tuple[Province, reports.Filters, Select[Any]]:
    """The province of a public page (404 unless it made its figures public), the page's
    filters, and the tickets its public figures count."""
    province = _province_or_404(code)
    if not province.public_dashboard:
        abort(404)
    filters = reports.Filters.from_args(request.args)
    return province, filters, permissions.public_dashboard_tickets(province)


@bp.route("/public/<code>")
@public
def public_view(code: str) -> str:
    """The province's aggregate-only dashboard: no names, no texts, no schools, no links."""
    province, filters, scope = _public_province(code)
    day = asof.parse_day(request.args.get("asof"))
    if day is not None:
        return _province_asof("public", scope, province, filters, day)
    table, categories, trend = _province_figures("public", scope, province, filters)
    table = _sorted(table)
    hidden, hidden_categories = present.hidden_cells(table), present.hidden_cells(categories)
    # The one page other sites may frame: only the origins the province allows.
    security.allow_framing(province.embed_origin_list)
    return render_template(
        "dashboard/public.html",
        province=province,
        table=_cells(table, None, {}, filters, False, hidden),
        categories=_cells(categories, None, {}, filters, False, hidden_categories),
        chart=present.chart_data(
            table,
            categories,
            trend,
            _locale(),
            _("Open tickets by state per district"),
            public=True,
        ),
        headlines=_headlines(table.total, scope, province.timezone, None, filters),
        some_hidden=bool(hidden or hidden_categories),
        narrowed=bool(filters.as_args()),
        **_common(filters),
    )


@bp.route("/public/<code>/export.<fmt>")
@public
def public_export(code: str, fmt: str) -> Response:
    """The public view's district table as CSV or XLSX, with the same small cells hidden."""
    province, filters, scope = _public_province(code)
    table, _categories, _trend = _province_figures("public", scope, province, filters)
    export = exports.export_table(
        table, _format(fmt), locale=_locale(), name=f"publik-{code}",
        hidden=present.hidden_cells(table),
    )  # fmt: skip
    return _send(export)


@bp.route("/healthz")
@public
def healthz() -> Response:
    """A trivial route: the baseline of the load benchmark, and a liveness probe."""
    return Response("ok", mimetype="text/plain")
