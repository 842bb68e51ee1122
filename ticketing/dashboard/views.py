"""Dashboard views: thin; the figures come from ticketing.reports, scope from permissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
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
from markupsafe import Markup
from sqlalchemy import Select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import HiddenField

from ticketing import permissions, reports, security, ticket_query
from ticketing.auth.access import public
from ticketing.dashboard import bp
from ticketing.dashboard import figures as dashboard_figures
from ticketing.extensions import db
from ticketing.forms import Form
from ticketing.i18n import user_timezone
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
from ticketing.services import exports
from ticketing.vocabulary import STATE_SHORT_LABELS

# The table's columns: (Row attribute, header, kind, ticket-list arguments of the cell link).
COLUMNS: tuple[tuple[str, Any, str, dict[str, str]], ...] = (
    ("total", _l("Tickets"), "int", {}),
    *((s.value, STATE_SHORT_LABELS[s], "int", {"state": s.value}) for s in OPEN_STATES),
    ("open_total", _l("Open"), "int", {"open": "1"}),
    ("overdue", _l("Overdue"), "int", {"overdue": "1"}),
    ("median_age_days", _l("Median age of open tickets (days)"), "days", {"open": "1"}),
    ("escalated_share", _l("Escalated to the province"), "share", {"escalated": "1"}),
    ("district_share", _l("Resolved by the district"), "share", {"resolved_by": "district"}),
    ("reopen_rate", _l("Reopen rate (fixes rejected)"), "share", {"reopened": "1"}),
    ("verified", _l("Verified in the period"), "int", {"state": "verified"}),
    ("median_days_to_verify", _l("Median days from raised to verified"), "days",
     {"state": "verified"}),
    # SLA (docs/sla.md): never missed a PMO deadline and not past one now, of all tickets.
    ("compliance", _l("SLA compliance (handled within the deadline)"), "share", {"sla": "met"}),
)  # fmt: skip
VERIFIED_COLUMNS = {"verified", "median_days_to_verify"}


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
    """

    swap: dict[int, str]  # str.translate table: Python's "," and "." -> the locale's symbols

    @classmethod
    def for_locale(cls, locale: str) -> Numbers:
        """The locale's group and decimal symbols."""
        group, decimal = get_group_symbol(locale), get_decimal_symbol(locale)
        return cls(str.maketrans({",": group, ".": decimal}))

    def __call__(self, value: Any, kind: str) -> str:
        """One figure as text; '-' when there is none."""
        if value is None:
            return "-"
        if kind == "share":
            text, suffix = f"{value * 100:,.0f}", "%"
        elif kind == "days":
            text, suffix = f"{value:,.1f}", ""
        else:
            text, suffix = f"{value:,}", ""
        return text.translate(self.swap) + suffix


CELL = Markup('<td class="num">{}</td>')
LINKED_CELL = Markup('<td class="num"><a href="{}">{}</a></td>')


def _cell(text: str, href: str | None) -> Markup:
    """One figure as a table cell, linked to the ticket list behind it (if any); escaped."""
    return CELL.format(text) if href is None else LINKED_CELL.format(href, text)


def _cells(
    table: reports.Table,
    group_param: str | None,
    scope_args: dict[str, str],
    filters: reports.Filters,
    links: bool,
) -> list[tuple[reports.Row, Markup]]:
    """Every row's figures as table cells linked to the filtered ticket list.

    Built here rather than in a template loop: a district table has about 1,500 figures and
    the loop cost more than the (cached) figures themselves.
    """
    base = url_for("tickets.index") if links else ""
    number = Numbers.for_locale(_locale())
    cohort_args = ticket_query.dashboard_args(filters)
    verified_args = ticket_query.dashboard_args(filters, verified=True)
    # The column's own parameters never repeat the filters' or the row's, so the query string
    # is the row's part and the column's part joined (urlencode per cell was 10% of the page).
    column_parts = [urlencode(extra) for _name, _header, _kind, extra in COLUMNS]
    out = []
    for row in [*table.rows, table.total]:
        row_args = dict(scope_args)
        if group_param and row is not table.total:
            row_args[group_param] = row.key
        row_parts = {
            False: urlencode({**cohort_args, **row_args}),
            True: urlencode({**verified_args, **row_args}),
        }
        cells = []
        for (name, _header, kind, _extra), column_part in zip(COLUMNS, column_parts, strict=True):
            href = None
            if links:
                parts = (row_parts[name in VERIFIED_COLUMNS], column_part)
                href = f"{base}?{'&'.join(p for p in parts if p)}"
            cells.append(_cell(number(getattr(row, name), kind), href))
        out.append((row, Markup("").join(cells)))
    return out


def _sorted(table: reports.Table) -> reports.Table:
    key = request.args.get("sort")
    descending = request.args.get("dir", "desc") == "desc"
    return reports.Table(reports.sort_rows(table.rows, key, descending), table.total)


def _state_chart(table: reports.Table) -> dict[str, Any]:
    from ticketing.i18n import STATE_LABELS

    return {
        "labels": [r.label for r in table.rows],
        "datasets": [
            {"label": str(STATE_LABELS[s]), "data": [r.by_state[s] for r in table.rows]}
            for s in OPEN_STATES
        ],
    }


def _chart_data(by_group: reports.Table | None, categories: reports.Table,
                trend: list[dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """What the charts draw, embedded in the page as JSON (the tables hold the same figures)."""
    return {
        "states": _state_chart(by_group) if by_group is not None else None,
        "categories": {
            "labels": [r.label for r in categories.rows],
            "data": [r.total for r in categories.rows],
            "label": _("Tickets"),
        },
        "trend": {
            "labels": [t["month"] for t in trend],
            "raised": [t["raised"] for t in trend],
            "verified": [t["verified"] for t in trend],
            "raised_label": _("Raised"),
            "verified_label": _("Verified"),
        },
    }


def _filter_choices() -> dict[str, Any]:
    locale = _locale()
    labels = reports.category_labels(locale)
    categories = db.session.scalars(db.select(Category).order_by(Category.kind, Category.position))
    return {
        "categories": [(c.id, labels[str(c.id)]) for c in categories],
        "levels": LEVELS,
    }


def _common(filters: reports.Filters) -> dict[str, Any]:
    return {
        "filters": filters,
        "filter_args": filters.as_args(),
        "columns": COLUMNS,
        "choices": _filter_choices(),
        "sort": request.args.get("sort"),
        "sort_dir": request.args.get("dir", "desc"),
    }


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
    table, categories, trend = dashboard_figures.national(scope, filters, _locale())
    table = _sorted(table)
    return render_template(
        "dashboard/national.html",
        table=_cells(table, "province", {}, filters, True),
        categories=_cells(categories, "category", {}, filters, True),
        chart=_chart_data(table, categories, trend),
        row_link=lambda row: _drill("dashboard.province", row.key, filters),
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
    table, categories, trend = _province_figures("province", scope, province, filters)
    table = _sorted(table)
    can_publish = permissions.can_publish_dashboard(user, province.code)
    return render_template(
        "dashboard/province.html",
        province=province,
        table=_cells(table, "district", {"province": province.code}, filters, True),
        categories=_cells(categories, "category", {"province": province.code}, filters, True),
        chart=_chart_data(table, categories, trend),
        can_publish=can_publish,
        row_link=lambda row: _drill("dashboard.district", row.key, filters),
        toggle=PublicToggleForm(enabled="0" if province.public_dashboard else "1")
        if can_publish
        else None,
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
    schools, categories, trend = dashboard_figures.district(scope, district, filters, _locale())
    schools = _sorted(schools)
    return render_template(
        "dashboard/district.html",
        district=district,
        table=_cells(schools, "school", {"district": district.code}, filters, True),
        categories=_cells(categories, "category", {"district": district.code}, filters, True),
        oldest=reports.oldest_open(scope, district, filters),
        chart=_chart_data(None, categories, trend),
        can_see_province=permissions.can_view_province_dashboard(user, district.province_code),
        **_common(filters),
    )


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
    table = reports.national(permissions.visible_tickets(user), filters)
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
    table = reports.district_by_school(permissions.visible_tickets(user), district, filters)
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


@bp.route("/public/<code>")
@public
def public_view(code: str) -> str:
    """The province's aggregate-only dashboard: no names, no texts, no schools, no links."""
    province = _province_or_404(code)
    if not province.public_dashboard:
        abort(404)
    filters = reports.Filters.from_args(request.args)
    scope = permissions.public_dashboard_tickets(province)
    table, categories, trend = _province_figures("public", scope, province, filters)
    table = _sorted(table)
    # The one page other sites may frame: only the origins the province allows.
    security.allow_framing(province.embed_origin_list)
    return render_template(
        "dashboard/public.html",
        province=province,
        table=_cells(table, None, {}, filters, False),
        categories=_cells(categories, None, {}, filters, False),
        chart=_chart_data(table, categories, trend),
        **_common(filters),
    )


@bp.route("/healthz")
@public
def healthz() -> Response:
    """A trivial route: the baseline of the load benchmark, and a liveness probe."""
    return Response("ok", mimetype="text/plain")
