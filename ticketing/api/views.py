"""API views: load through the caller's scope, call the same services as the web, commit once."""

from __future__ import annotations

from typing import Any

from flask import request, send_file, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_smorest import abort
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from ticketing import permissions, reports, ticket_query
from ticketing.api import bp, problems
from ticketing.api import schemas as s
from ticketing.api.auth import api_user, authenticate, public
from ticketing.dashboard import figures as dashboard_figures
from ticketing.dashboard import present
from ticketing.errors import ConflictError, InvalidInput, NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.i18n import STATE_LABELS
from ticketing.models import (
    Attachment,
    Category,
    District,
    Notification,
    Province,
    School,
    Ticket,
    User,
)
from ticketing.notifications import KIND_LABELS, unread_count
from ticketing.services import attachments as attachment_service
from ticketing.services import notifications as notification_service
from ticketing.services import tickets as ticket_service
from ticketing.ticket_query import TicketQuery
from ticketing.tickets import queries

bp.before_request(authenticate)

IDEMPOTENCY_HEADER = "Idempotency-Key"
_FILES_DOC = {
    "type": "array",
    "items": {"type": "string", "format": "binary"},
    "maxItems": attachment_service.MAX_FILES,
    "description": "Evidence: JPEG, PNG, WEBP, PDF, DOCX or XLSX, at most 5 MB each",
}


def _body_doc(schema: type[s.Schema], *, files: bool) -> dict[str, Any]:
    """A request body accepted as JSON or (with files) as multipart/form-data."""
    name = schema.__name__.removesuffix("Schema")
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if files:
        content["multipart/form-data"] = {
            "schema": {
                "allOf": [
                    {"$ref": f"#/components/schemas/{name}"},
                    {"type": "object", "properties": {"files": _FILES_DOC}},
                ]
            }
        }
    return {"required": True, "content": content}


def _load(schema: type[s.Schema]) -> tuple[dict[str, Any], list[FileStorage]]:
    """The validated body (JSON or form) and the uploaded files; 415/422 problems otherwise."""
    files: list[FileStorage] = []
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            abort(422, messages={"json": {"_schema": ["A JSON object is expected."]}})
    elif request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        # An empty form field is an absent one (browsers and curl -F send "" for blanks).
        data = {k: v for k, v in request.form.items() if k in schema().fields and v != ""}
        files = request.files.getlist("files")
    else:
        abort(415)
    try:
        loaded = schema().load(data or {})
    except ValidationError as exc:
        abort(422, messages={"json": exc.messages})
    return loaded, files


def _language() -> str:
    return str(get_locale() or "id")


def _user_ref(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "role": user.role}


def _attachment(row: Attachment) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.original_name,
        "content_type": row.content_type,
        "size_bytes": row.size_bytes,
        "created_at": row.created_at,
        "download_url": url_for("api.attachment", attachment_id=row.id),
    }


def _ticket(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "number": ticket.number,
        "title": ticket.title,
        "state": ticket.state,
        "state_label": str(STATE_LABELS.get(ticket.state, ticket.state)),
        "school": {"id": ticket.school.id, "npsn": ticket.school.npsn, "name": ticket.school.name},
        "district_code": ticket.district_code,
        "province_code": ticket.province_code,
        "category_id": ticket.category_id,
        "facilitator_id": ticket.facilitator_id,
        "assignee": _user_ref(ticket.assignee),
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "due_at": ticket.due_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "escalation_count": ticket.escalation_count,
        "reopen_count": ticket.reopen_count,
        "version": ticket.version_id,
    }


def _ticket_detail(ticket: Ticket, user: User) -> dict[str, Any]:
    data = _ticket(ticket)
    data.update(
        description=ticket.description,
        resolution=ticket.resolution,
        resolved_tier=ticket.resolved_tier,
        available_events=ticket_service.available_events(user, ticket),
        timeline=[
            {
                "kind": e.kind,
                "id": e.id,
                "at": e.when,
                "actor": _user_ref(e.who),
                "event": e.event,
                "from_state": e.from_state,
                "to_state": e.to_state,
                "note": e.note,
                "attachments": [_attachment(a) for a in e.attachments],
            }
            for e in queries.timeline(ticket)
        ],
    )
    return data


# --- Who am I -------------------------------------------------------------------------------


@bp.route("/me", tags=["account"])
@bp.response(200, s.MeSchema)
def me() -> dict[str, Any]:
    """The calling user, their role and scope."""
    from flask import g

    user = api_user()
    token = g.get("api_token")
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "province_code": user.province_code,
        "district_code": user.district_code,
        "locale": user.locale,
        "token_name": token.name if token is not None else None,
    }


# --- Tickets --------------------------------------------------------------------------------


@bp.route("/tickets", tags=["tickets"])
@bp.arguments(s.TicketListArgs, location="query")
@bp.response(200, s.TicketPageSchema)
def tickets(args: dict[str, Any]) -> dict[str, Any]:
    """The tickets in my scope with the web list's parameters (the one ticket query).

    The same parser and SELECT as the list page (`ticketing/ticket_query.py`): without any
    filter the role's default tab applies (`todo` for PMO officers), as on the web. Newest
    first pages go by `before=next_before`; sorted lists and the `todo` tab by
    `page=next_page`.
    """
    user = api_user()
    raw = {key: request.args.get(key, "") for key in request.args if key != "limit"}
    query = TicketQuery.from_args(raw, user)
    page = ticket_query.page(user, query, args["limit"])
    return {
        "items": [_ticket(t) for t in page.items],
        "next_before": page.next_before,
        "next_page": page.next_page,
    }


@bp.route("/tickets", methods=["POST"], tags=["tickets"])
@bp.doc(
    requestBody=_body_doc(s.RaiseSchema, files=True),
    parameters=[
        {
            "in": "header",
            "name": IDEMPOTENCY_HEADER,
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 64, "pattern": "^[!-~]+$"},
            "description": "Retrying with the same key returns the ticket the first call made.",
        }
    ],
)
@bp.response(201, s.TicketDetailSchema)
@bp.alt_response(
    200, schema=s.TicketDetailSchema, description="A repeat: the same ticket", success=True
)
@bp.alt_response(409, response="CONFLICT")
def raise_ticket() -> Any:
    """Raise a ticket for one of my schools (facilitators), optionally with evidence files."""
    user = api_user()
    if not permissions.can_raise(user):
        raise PermissionDenied(_l("Only facilitators raise tickets."))
    data, files = _load(s.RaiseSchema)
    key = (request.headers.get(IDEMPOTENCY_HEADER) or "").strip() or None
    if key is not None and not (len(key) <= 64 and key.isascii() and key.isprintable()):
        raise InvalidInput(
            _l("The Idempotency-Key header must be 1 to 64 visible ASCII characters."),
            field=IDEMPOTENCY_HEADER,
        )
    if key is not None:
        existing = ticket_service.by_idempotency_key(user, key)
        if existing is not None:
            if not permissions.can_view(user, existing):
                # Raised by this user, since handed to another facilitator: not theirs to read.
                raise ConflictError(
                    _l("This report was already received as ticket %(number)s; it is now "
                       "with another facilitator.", number=existing.number)
                )  # fmt: skip
            return _ticket_detail(existing, user), 200, {"Idempotent-Replayed": "true"}
    uploads = attachment_service.read_uploads(files)
    school = db.session.get(School, data["school_id"])
    category = db.session.get(Category, data["category_id"])
    if school is None or category is None:
        raise InvalidInput(_l("Choose a school and a category."), field="school_id")
    ticket = ticket_service.raise_ticket(
        user,
        school=school,
        category=category,
        title=data["title"],
        description=data["description"],
        files=uploads,
        idempotency_key=key,
    )
    db.session.commit()
    location = url_for("api.ticket", ticket_id=ticket.id)
    return _ticket_detail(ticket, user), 201, {"Location": location}


@bp.route("/tickets/<int:ticket_id>", tags=["tickets"])
@bp.response(200, s.TicketDetailSchema)
def ticket(ticket_id: int) -> dict[str, Any]:
    """One ticket with its timeline and the events I may fire now."""
    user = api_user()
    return _ticket_detail(ticket_service.get_visible(user, ticket_id), user)


@bp.route("/tickets/<int:ticket_id>/events", methods=["POST"], tags=["tickets"])
@bp.doc(requestBody=_body_doc(s.EventSchema, files=True))
@bp.response(200, s.TicketDetailSchema)
@bp.alt_response(409, response="CONFLICT")
def fire(ticket_id: int) -> dict[str, Any]:
    """Fire a workflow event with the version I saw: 409 (with the current version) if it moved.

    `note` is required by escalate, resolve, return_to_district, reopen and withdraw;
    `assignee_id` by assign. Files (multipart) hang on the event, as on the web.
    """
    user = api_user()
    ticket = ticket_service.get_visible(user, ticket_id)
    data, files = _load(s.EventSchema)
    uploads = attachment_service.read_uploads(files)
    assignee = None
    if data.get("assignee_id"):
        assignee = db.session.get(User, data["assignee_id"])
    ticket_service.fire(
        ticket,
        data["event"],
        actor=user,
        expected_version=data["version"],
        note=data.get("note"),
        assignee=assignee,
        files=uploads,
    )
    db.session.commit()
    return _ticket_detail(ticket_service.get_visible(user, ticket_id), user)


@bp.route("/tickets/<int:ticket_id>/comments", methods=["POST"], tags=["tickets"])
@bp.doc(requestBody=_body_doc(s.CommentInSchema, files=True))
@bp.response(201, s.CommentSchema)
def comment(ticket_id: int) -> Any:
    """Add a remark (with optional evidence files) to a ticket I can see."""
    user = api_user()
    ticket = ticket_service.get_visible(user, ticket_id)
    data, files = _load(s.CommentInSchema)
    uploads = attachment_service.read_uploads(files)
    row = ticket_service.add_comment(ticket, actor=user, body=data["body"], files=uploads)
    db.session.commit()
    rows = db.session.scalars(
        select(Attachment).where(Attachment.comment_id == row.id).order_by(Attachment.id)
    )
    return {
        "id": row.id,
        "body": row.body,
        "author": _user_ref(user),
        "created_at": row.created_at,
        "attachments": [_attachment(a) for a in rows],
    }, 201


_FILE_TYPES = sorted(attachment_service.EXTENSIONS)


@bp.route("/attachments/<int:attachment_id>", tags=["tickets"])
@bp.doc(
    responses={
        "200": {
            "description": "The file, as a download",
            "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in _FILE_TYPES},
        }
    }
)
def attachment(attachment_id: int) -> Response:
    """Download an evidence file of a ticket I can see (the web's checks)."""
    user = api_user()
    row = db.session.get(Attachment, attachment_id)
    if row is None:
        raise NotFound(_l("Not found"))
    ticket_service.get_visible(user, row.ticket_id)
    if not attachment_service.may_download(user, row):
        raise NotFound(_l("Not found"))  # e.g. a file of an internal note
    path = attachment_service.path_of(row)
    if not path.is_file():
        raise NotFound(_l("Not found"))
    response = send_file(
        path,
        mimetype=row.content_type,
        as_attachment=True,
        download_name=attachment_service.clean_name(row.original_name),
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- Catalogues -----------------------------------------------------------------------------


@bp.route("/categories", tags=["catalogues"])
@bp.response(200, s.CategorySchema(many=True))
def categories() -> list[dict[str, Any]]:
    """Every category and subcategory (inactive ones can no longer be chosen)."""
    api_user()
    language = _language()
    rows = db.session.scalars(
        select(Category).order_by(Category.kind, Category.position, Category.id)
    )
    return [
        {
            "id": c.id,
            "code": c.code,
            "kind": c.kind,
            "name": c.label(language),
            "name_id": c.name_id,
            "name_en": c.name_en,
            "parent_id": c.parent_id,
            "active": c.active,
        }
        for c in rows
    ]


@bp.route("/schools", tags=["catalogues"])
@bp.arguments(s.SchoolListArgs, location="query")
@bp.response(200, s.SchoolPageSchema)
def schools(args: dict[str, Any]) -> dict[str, Any]:
    """The schools in my scope, by id (continue with `after=next_after`)."""
    user = api_user()
    query = permissions.visible_schools(user)
    if args.get("district"):
        query = query.where(School.district_code == args["district"])
    if args.get("after") is not None:
        query = query.where(School.id > args["after"])
    limit = args["limit"]
    rows = list(db.session.scalars(query.order_by(School.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [
            {
                "id": r.id,
                "npsn": r.npsn,
                "name": r.name,
                "level": r.level,
                "status": r.status,
                "cohort": r.cohort,
                "district_code": r.district_code,
                "province_code": r.province_code,
                "active": r.active,
            }
            for r in rows
        ],
        "next_after": rows[-1].id if more and rows else None,
    }


@bp.route("/districts", tags=["catalogues"])
@bp.response(200, s.DistrictSchema(many=True))
def districts() -> list[District]:
    """The districts in my scope."""
    user = api_user()
    return list(db.session.scalars(permissions.visible_districts(user).order_by(District.code)))


# --- Notifications --------------------------------------------------------------------------


def _notification(row: Notification) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "label": str(KIND_LABELS.get(row.kind, row.kind)),
        "ticket_id": row.ticket_id,
        "ticket_number": row.ticket.number if row.ticket is not None else None,
        "actor": _user_ref(row.actor),
        "created_at": row.created_at,
        "read_at": row.read_at,
    }


@bp.route("/notifications", tags=["notifications"])
@bp.arguments(s.NotificationListArgs, location="query")
@bp.response(200, s.NotificationPageSchema)
def notifications(args: dict[str, Any]) -> dict[str, Any]:
    """My notifications, newest first (continue with `before=next_before`)."""
    user = api_user()
    query = notification_service.for_user(user)
    if args.get("unread") == "1":
        query = query.where(Notification.read_at.is_(None))
    if args.get("before") is not None:
        query = query.where(Notification.id < args["before"])
    limit = args["limit"]
    rows: list[Notification] = list(db.session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": [_notification(r) for r in rows],
        "next_before": rows[-1].id if more and rows else None,
        "unread": unread_count(user),
    }


@bp.route("/notifications/<int:notification_id>/read", methods=["POST"], tags=["notifications"])
@bp.response(200, s.NotificationSchema)
def notification_read(notification_id: int) -> dict[str, Any]:
    """Mark one of my notifications as read."""
    row = notification_service.mark_read(api_user(), notification_id)
    db.session.commit()
    return _notification(row)


@bp.route("/notifications/read-all", methods=["POST"], tags=["notifications"])
@bp.response(200, s.CountSchema)
def notifications_read_all() -> dict[str, Any]:
    """Mark all my notifications as read."""
    count = notification_service.mark_all_read(api_user())
    db.session.commit()
    return {"count": count}


# --- Dashboards -----------------------------------------------------------------------------


def _dashboard(
    kind: str,
    code: str | None,
    name: str,
    figures: dashboard_figures.Figures,
) -> dict[str, Any]:
    table, categories_table, trend = figures
    if kind == "public":
        # The public view's small-cell rule (dashboard/present.py): the same cells are null.
        return {
            "scope": kind,
            "code": code,
            "name": name,
            "rows": _suppressed(table, table.rows),
            "total": _suppressed(table, [table.total])[0],
            "categories": _suppressed(categories_table, categories_table.rows),
            "trend": present.public_trend(trend),
        }
    return {
        "scope": kind,
        "code": code,
        "name": name,
        "rows": table.rows,
        "total": table.total,
        "categories": categories_table.rows,
        "trend": trend,
    }


def _suppressed(table: reports.Table, rows: list[reports.Row]) -> list[dict[str, Any]]:
    """The rows as the public view shows them: hidden cells (present.hidden_cells) null."""
    hidden = present.hidden_cells(table)
    names = list(s.FigureRowSchema().fields)
    return [
        {name: None if (row.key, name) in hidden else getattr(row, name) for name in names}
        for row in rows
    ]


def _filters(args: dict[str, Any]) -> reports.Filters:
    return reports.Filters.from_args({k: v for k, v in request.args.items()})


@bp.route("/dashboard/national", tags=["dashboards"])
@bp.arguments(s.DashboardArgs, location="query")
@bp.response(200, s.DashboardSchema)
def dashboard_national(args: dict[str, Any]) -> dict[str, Any]:
    """One row per province (national administrators), as on the national page."""
    user = api_user()
    if not permissions.can_view_national_dashboard(user):
        raise PermissionDenied(_l("You may not see this dashboard."))
    scope = permissions.visible_tickets(user)
    figures = dashboard_figures.national(scope, _filters(args), _language())
    return _dashboard("national", None, "Indonesia", figures)


def _province(code: str) -> Province:
    province = db.session.get(Province, code[:2]) if len(code) <= 2 else None
    if province is None:
        raise NotFound(_l("Not found"))
    return province


@bp.route("/dashboard/provinces/<code>", tags=["dashboards"])
@bp.arguments(s.DashboardArgs, location="query")
@bp.response(200, s.DashboardSchema)
def dashboard_province(args: dict[str, Any], code: str) -> dict[str, Any]:
    """One row per district of a province, as on the province page."""
    user = api_user()
    province = _province(code)
    # A district officer's province page is their district's (the web redirects there).
    if not permissions.has_dashboards(user) or permissions.district_dashboard_instead(
        user, province.code
    ):
        raise PermissionDenied(_l("You may not see this dashboard."))
    if not permissions.can_view_province_dashboard(user, province.code):
        raise NotFound(_l("Not found"))
    scope = permissions.visible_tickets(user).where(Ticket.province_code == province.code)
    figures = dashboard_figures.province("province", scope, province, _filters(args), _language())
    return _dashboard("province", province.code, province.name, figures)


@bp.route("/dashboard/districts/<code>", tags=["dashboards"])
@bp.arguments(s.DashboardArgs, location="query")
@bp.response(200, s.DashboardSchema)
def dashboard_district(args: dict[str, Any], code: str) -> dict[str, Any]:
    """One row per school of a district, as on the district page."""
    user = api_user()
    district = db.session.get(District, code) if len(code) <= 5 else None
    if district is None:
        raise NotFound(_l("Not found"))
    if not permissions.has_dashboards(user):
        raise PermissionDenied(_l("You may not see this dashboard."))
    if not permissions.can_view_district_dashboard(user, district.code):
        raise NotFound(_l("Not found"))
    scope = reports.district_scope(permissions.visible_tickets(user), district)
    figures = dashboard_figures.district(scope, district, _filters(args), _language())
    return _dashboard("district", district.code, district.name, figures)


@bp.route("/public/provinces/<code>", tags=["dashboards"])
@bp.arguments(s.DashboardArgs, location="query")
@bp.response(200, s.DashboardSchema)
@bp.doc(security=[])
@public
def public_province(args: dict[str, Any], code: str) -> Any:
    """A province's public aggregates, without a token, when the province made them public."""
    province = _province(code)
    if not province.public_dashboard:
        raise NotFound(_l("Not found"))
    scope = permissions.public_dashboard_tickets(province)
    figures = dashboard_figures.province("public", scope, province, _filters(args), _language())
    # Public aggregates: any site (the province's own portal) may read them from a browser.
    # No credentials go with such a request, so nothing private can leak through it.
    headers = {"Access-Control-Allow-Origin": "*"}
    return _dashboard("public", province.code, province.name, figures), 200, headers


_ = problems  # errors are turned into problems in errors_web (ticketing/api/problems.py)
