"""Marshmallow schemas of the API: what goes in (validated) and what comes out (documented)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from ticketing.models import LEVELS, STATES
from ticketing.services.tickets import TEXT_MAX, TITLE_MAX
from ticketing.ticket_query import MAX_PAGE, SORTS, TABS
from ticketing.workflow import EVENTS


class UtcDateTime(fields.DateTime):
    """Stored times are naive UTC; the API says so (RFC 3339 with +00:00)."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> Any:
        if isinstance(value, datetime) and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return super()._serialize(value, attr, obj, **kwargs)


class Schema(ma.Schema):
    """Base: keep the declared field order in the document."""

    class Meta:
        ordered = True


class ProblemSchema(Schema):
    """An error (RFC 9457 problem details) with a stable machine code."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    code = fields.String(required=True, metadata={"description": "Stable machine code"})
    detail = fields.String(required=True, metadata={"description": "In the request's language"})
    instance = fields.String()
    field = fields.String(metadata={"description": "The input field the problem is about"})
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Validation messages per field"},
    )
    current_version = fields.Integer(metadata={"description": "version_conflict: the version now"})
    current_state = fields.String(metadata={"description": "version_conflict: the state now"})
    retry_after = fields.Integer(metadata={"description": "rate_limited: seconds to wait"})


class UserRefSchema(Schema):
    """A person as others see them on a ticket."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)


class MeSchema(Schema):
    """The calling user and their scope."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    province_code = fields.String(allow_none=True, required=True)
    district_code = fields.String(allow_none=True, required=True)
    locale = fields.String(required=True)
    token_name = fields.String(
        allow_none=True, required=True, metadata={"description": "null when signed in by session"}
    )


class SchoolRefSchema(Schema):
    """The school a ticket is about."""

    id = fields.Integer(required=True)
    npsn = fields.String(required=True)
    name = fields.String(required=True)


class SchoolSchema(SchoolRefSchema):
    """A school in the caller's scope."""

    level = fields.String(required=True)
    status = fields.String(allow_none=True, required=True)
    cohort = fields.Integer(allow_none=True, required=True)
    district_code = fields.String(required=True)
    province_code = fields.String(required=True)
    active = fields.Boolean(required=True)


class SchoolPageSchema(Schema):
    """One page of schools (by id, ascending) and where to continue."""

    items = fields.List(fields.Nested(SchoolSchema), required=True)
    next_after = fields.Integer(allow_none=True, required=True)


class DistrictSchema(Schema):
    """A district (kabupaten/kota) in the caller's scope."""

    code = fields.String(required=True)
    name = fields.String(required=True)
    kind = fields.String(required=True)
    province_code = fields.String(required=True)


class CategorySchema(Schema):
    """A ticket category (subcategories name their parent)."""

    id = fields.Integer(required=True)
    code = fields.String(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "In the request's language"})
    name_id = fields.String(required=True)
    name_en = fields.String(required=True)
    parent_id = fields.Integer(allow_none=True, required=True)
    active = fields.Boolean(required=True)


class AttachmentSchema(Schema):
    """An evidence file; download it from ``download_url`` with the same token."""

    id = fields.Integer(required=True)
    name = fields.String(required=True)
    content_type = fields.String(required=True)
    size_bytes = fields.Integer(required=True)
    created_at = UtcDateTime(required=True)
    download_url = fields.String(required=True)


class TimelineEntrySchema(Schema):
    """One line of a ticket's history: an audit event or a comment."""

    kind = fields.String(required=True, validate=validate.OneOf(["event", "comment"]))
    id = fields.Integer(required=True)
    at = UtcDateTime(required=True)
    actor = fields.Nested(
        UserRefSchema,
        allow_none=True,
        required=True,
        metadata={"description": "null: the system (deadline sweep)"},
    )
    event = fields.String(allow_none=True, required=True)
    from_state = fields.String(allow_none=True, required=True)
    to_state = fields.String(allow_none=True, required=True)
    note = fields.String(allow_none=True, required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)


class TicketSchema(Schema):
    """A ticket as a list shows it."""

    id = fields.Integer(required=True)
    number = fields.String(required=True)
    title = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    state_label = fields.String(required=True)
    school = fields.Nested(SchoolRefSchema, required=True)
    district_code = fields.String(required=True)
    province_code = fields.String(required=True)
    category_id = fields.Integer(required=True)
    facilitator_id = fields.Integer(required=True)
    assignee = fields.Nested(UserRefSchema, allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
    due_at = UtcDateTime(allow_none=True, required=True)
    resolved_at = UtcDateTime(allow_none=True, required=True)
    closed_at = UtcDateTime(allow_none=True, required=True)
    escalation_count = fields.Integer(required=True)
    reopen_count = fields.Integer(required=True)
    version = fields.Integer(
        required=True, metadata={"description": "Send it back when firing an event"}
    )


class TicketDetailSchema(TicketSchema):
    """One ticket with its text, what the caller may do now, and its timeline."""

    description = fields.String(required=True)
    resolution = fields.String(allow_none=True, required=True)
    resolved_tier = fields.String(allow_none=True, required=True)
    available_events = fields.List(fields.String(), required=True)
    timeline = fields.List(fields.Nested(TimelineEntrySchema), required=True)


class TicketPageSchema(Schema):
    """One page of tickets, newest first, and the id to continue before."""

    items = fields.List(fields.Nested(TicketSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True)
    next_page = fields.Integer(allow_none=True, required=True)


_FLAG = validate.OneOf(["", "0", "1"])


class TicketListArgs(Schema):
    """The ticket list's parameters: the same names and meaning as the web list's."""

    tab = fields.String(
        validate=validate.OneOf(TABS),
        metadata={
            "description": "Quick filter; without any parameter the role's default "
            "(todo for PMO officers, all for others), as on the web"
        },
    )
    state = fields.String(validate=validate.OneOf(["", "open", *STATES]))
    category = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    school = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    district = fields.String(validate=validate.Length(max=5))
    province = fields.String(validate=validate.Length(max=2))
    mine = fields.String(validate=_FLAG, metadata={"description": "1: assigned to me"})
    overdue = fields.String(validate=_FLAG)
    waiting = fields.String(validate=_FLAG, metadata={"description": "1: awaiting my verification"})
    open = fields.String(validate=_FLAG)
    escalated = fields.String(validate=_FLAG)
    reopened = fields.String(validate=_FLAG)
    resolved_by = fields.String(validate=validate.OneOf(["district", "province"]))
    level = fields.String(validate=validate.OneOf(LEVELS))
    cohort = fields.Integer(validate=validate.Range(0, 2**31 - 1))
    sla = fields.String(validate=validate.OneOf(["met", "missed"]))
    created_from = fields.Date()
    created_to = fields.Date()
    verified_from = fields.Date()
    verified_to = fields.Date()
    reopened_in = fields.String(
        validate=validate.Regexp(r"^[0-9]{4}-[0-9]{2}$"),
        metadata={"description": "YYYY-MM: reopened in this month (the province's local time)"},
    )
    came_back_in = fields.String(
        validate=validate.Regexp(r"^[0-9]{4}-[0-9]{2}$"),
        metadata={"description": "YYYY-MM: linked in this month as a recurrence of a closed one"},
    )
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "Search"})
    holder = fields.Integer(
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "Tickets held by this facilitator"},
    )
    sort = fields.String(validate=validate.OneOf(SORTS))
    before = fields.Integer(
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "Keyset (newest first): tickets with a smaller id"},
    )
    page = fields.Integer(
        validate=validate.Range(1, MAX_PAGE),
        metadata={"description": "Sorted lists and the todo tab"},
    )
    limit = fields.Integer(load_default=25, validate=validate.Range(1, 100))


class RaiseSchema(Schema):
    """A new ticket (JSON, or multipart/form-data with ``files``)."""

    school_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    category_id = fields.Integer(required=True, validate=validate.Range(1, 2**31 - 1))
    title = fields.String(required=True, validate=validate.Length(1, TITLE_MAX))
    description = fields.String(required=True, validate=validate.Length(1, TEXT_MAX))


class EventSchema(Schema):
    """A workflow event, with the ticket version the client saw."""

    event = fields.String(required=True, validate=validate.OneOf(sorted(EVENTS)))
    version = fields.Integer(required=True, validate=validate.Range(0, 2**31 - 1))
    note = fields.String(validate=validate.Length(max=TEXT_MAX))
    assignee_id = fields.Integer(
        allow_none=True,
        validate=validate.Range(1, 2**31 - 1),
        metadata={"description": "assign / return_to_district"},
    )


class CommentInSchema(Schema):
    """A remark (JSON, or multipart/form-data with ``files``)."""

    body = fields.String(required=True, validate=validate.Length(1, TEXT_MAX))


class CommentSchema(Schema):
    """A remark as stored."""

    id = fields.Integer(required=True)
    body = fields.String(required=True)
    author = fields.Nested(UserRefSchema, required=True)
    created_at = UtcDateTime(required=True)
    attachments = fields.List(fields.Nested(AttachmentSchema), required=True)


class NotificationSchema(Schema):
    """Something the caller should look at."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    label = fields.String(required=True, metadata={"description": "In the request's language"})
    ticket_id = fields.Integer(allow_none=True, required=True)
    ticket_number = fields.String(allow_none=True, required=True)
    actor = fields.Nested(UserRefSchema, allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    read_at = UtcDateTime(allow_none=True, required=True)


class NotificationPageSchema(Schema):
    """One page of notifications, newest first."""

    items = fields.List(fields.Nested(NotificationSchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True)
    unread = fields.Integer(required=True)


class NotificationListArgs(Schema):
    """Filters of the notification list."""

    unread = fields.String(validate=_FLAG, metadata={"description": "1: only unread ones"})
    before = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    limit = fields.Integer(load_default=25, validate=validate.Range(1, 100))


class CountSchema(Schema):
    """How many rows an action changed."""

    count = fields.Integer(required=True)


class SchoolListArgs(Schema):
    """Filters of the school list."""

    district = fields.String(validate=validate.Length(max=5))
    after = fields.Integer(validate=validate.Range(0, 2**31 - 1))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, 500))


class DashboardArgs(Schema):
    """The dashboard's filters (docs/dashboard.md)."""

    from_ = fields.Date(data_key="from")
    to = fields.Date()
    category = fields.Integer(validate=validate.Range(1, 2**31 - 1))
    level = fields.String(validate=validate.OneOf(LEVELS))
    cohort = fields.Integer(validate=validate.Range(0, 2**31 - 1))


class FigureRowSchema(Schema):
    """The figures of one row (a province, district, school or category) or the total.

    In the public aggregates a figure the public view hides (fewer than 5 tickets, or a share
    of fewer than 5; docs/dashboard.md) is null.
    """

    key = fields.String(required=True)
    label = fields.String(required=True)
    total = fields.Integer(allow_none=True, required=True)
    raised = fields.Integer(allow_none=True, required=True)
    assigned = fields.Integer(allow_none=True, required=True)
    escalated = fields.Integer(allow_none=True, required=True)
    resolved = fields.Integer(allow_none=True, required=True)
    open_total = fields.Integer(allow_none=True, required=True)
    overdue = fields.Integer(allow_none=True, required=True)
    median_age_days = fields.Float(allow_none=True, required=True)
    escalated_share = fields.Float(allow_none=True, required=True)
    district_share = fields.Float(allow_none=True, required=True)
    reopen_rate = fields.Float(allow_none=True, required=True)
    recurrence_rate = fields.Float(allow_none=True, required=True)
    verified = fields.Integer(allow_none=True, required=True)
    median_days_to_verify = fields.Float(allow_none=True, required=True)
    compliance = fields.Float(allow_none=True, required=True)


class TrendPointSchema(Schema):
    """Raised and verified in one month (local time of the scope); in the public aggregates a
    count of 1 to 4 is null, and so is the next smallest of its series where it is the
    series' only one (no hidden month can be worked out from the others and the total)."""

    month = fields.String(required=True)
    raised = fields.Integer(allow_none=True, required=True)
    verified = fields.Integer(allow_none=True, required=True)


class DashboardSchema(Schema):
    """A dashboard: the same figures as its page."""

    scope = fields.String(
        required=True, validate=validate.OneOf(["national", "province", "district", "public"])
    )
    code = fields.String(allow_none=True, required=True)
    name = fields.String(required=True)
    rows = fields.List(fields.Nested(FigureRowSchema), required=True)
    total = fields.Nested(FigureRowSchema, required=True)
    categories = fields.List(fields.Nested(FigureRowSchema), required=True)
    trend = fields.List(fields.Nested(TrendPointSchema), required=True)
