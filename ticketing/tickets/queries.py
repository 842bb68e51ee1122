"""The ticket list: filters and search on top of the user's scope, keyset-paginated.

Every list starts from ``permissions.visible_tickets(user)``; filters only narrow it.
Pages go newest first by id (``?before=<id>``), which stays fast however deep one pages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from time import monotonic
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from ticketing import permissions, reports
from ticketing.extensions import db
from ticketing.i18n import user_timezone
from ticketing.models import (
    DISTRICT_PMO,
    FACILITATOR,
    PROVINCE_PMO,
    STATES,
    Attachment,
    Category,
    Comment,
    School,
    Ticket,
    TicketEvent,
    User,
)

# Parameters of the dashboard's links (docs/dashboard.md) that the list form does not show;
# they are honoured and carried from page to page.
DASHBOARD_PARAMS = (
    "open", "province", "level", "cohort", "escalated", "reopened", "resolved_by",
    "created_from", "created_to", "verified_from", "verified_to", "sla",
)  # fmt: skip


@dataclass(frozen=True)
class TicketFilters:
    """What the user asked the list for; unknown or malformed values are ignored."""

    state: str | None = None
    category: int | None = None
    school: int | None = None
    district: str | None = None
    mine: bool = False
    overdue: bool = False
    waiting: bool = False
    q: str = ""
    before: int | None = None
    # Dashboard parameters, as (name, value) pairs; applied by reports.filter_tickets.
    extra: tuple[tuple[str, str], ...] = ()
    # True when the state came from the role's default rather than from the user.
    state_is_default: bool = field(default=False, compare=False)

    @classmethod
    def from_args(cls, args: Mapping[str, str], user: User) -> TicketFilters:
        """Parse the query string; the province PMO sees escalated tickets by default."""
        raw_state = args.get("state")
        state_is_default = raw_state is None and user.role == PROVINCE_PMO
        state = "escalated" if state_is_default else raw_state
        district = (args.get("district") or "").strip() or None
        extra = tuple((name, str(args[name])[:20]) for name in DASHBOARD_PARAMS if args.get(name))
        return cls(
            state=state if state in STATES or state == "open" else None,
            category=reports.parse_int(args.get("category")),
            school=reports.parse_int(args.get("school")),
            district=district if district and len(district) <= 5 else None,
            mine=args.get("mine") == "1",
            overdue=args.get("overdue") == "1",
            waiting=args.get("waiting") == "1",
            q=(args.get("q") or "").strip()[:100],
            before=reports.parse_int(args.get("before")),
            extra=extra,
            state_is_default=state_is_default,
        )

    def shared_args(self) -> dict[str, Any]:
        """The filters the dashboard and the list share, for reports.filter_tickets."""
        args: dict[str, Any] = dict(self.extra)
        for name in ("state", "category", "school", "district"):
            value = getattr(self, name)
            if value is not None:
                args[name] = value
        if self.overdue:
            args["overdue"] = "1"
        return args

    def as_args(self, **changes: Any) -> dict[str, Any]:
        """The query string for these filters (with changes), for links to other pages."""
        current = replace(self, **changes)
        args: dict[str, Any] = dict(current.extra)
        if current.state is not None:
            args["state"] = current.state
        elif not current.state_is_default:
            args["state"] = ""
        for name in ("category", "school", "district", "before"):
            value = getattr(current, name)
            if value is not None:
                args[name] = value
        for name in ("mine", "overdue", "waiting"):
            if getattr(current, name):
                args[name] = "1"
        if current.q:
            args["q"] = current.q
        return args


def _like(text: str) -> str:
    """A LIKE pattern that treats % and _ typed by the user literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filtered(user: User, filters: TicketFilters) -> Select[Any]:
    """The user's visible tickets narrowed by the filters (no order, no page)."""
    # One implementation of the filters the dashboard links to, shared with its exports.
    query = reports.filter_tickets(
        permissions.visible_tickets(user), filters.shared_args(), user_timezone(user)
    )
    if filters.mine:
        query = query.where(Ticket.assignee_id == user.id)
    if filters.waiting:
        query = query.where(Ticket.state == "resolved", Ticket.facilitator_id == user.id)
    if filters.q:
        pattern = _like(filters.q)
        schools = select(School.id).where(
            or_(School.name.ilike(pattern, escape="\\"), School.npsn.like(pattern, escape="\\"))
        )
        query = query.where(
            or_(
                Ticket.number.ilike(pattern, escape="\\"),
                Ticket.title.ilike(pattern, escape="\\"),
                Ticket.school_id.in_(schools),
            )
        )
    return query


def _with_display(query: Select[Any]) -> Select[Any]:
    """Load what a list row shows in the same query: no query per row."""
    return query.options(
        joinedload(Ticket.school),
        joinedload(Ticket.district),
        joinedload(Ticket.province),
        joinedload(Ticket.category),
        joinedload(Ticket.assignee),
    )


@dataclass
class Page:
    """One page of tickets and the id to continue from, if there is more."""

    items: list[Ticket]
    next_before: int | None


def page(user: User, filters: TicketFilters, size: int) -> Page:
    """A keyset page, newest first: the tickets with id < filters.before."""
    query = filtered(user, filters)
    if filters.before is not None:
        query = query.where(Ticket.id < filters.before)
    query = _with_display(query).order_by(Ticket.id.desc()).limit(size + 1)
    items = list(db.session.scalars(query).unique())
    more = len(items) > size
    items = items[:size]
    return Page(items, items[-1].id if more and items else None)


def waiting_for_verification(user: User, limit: int) -> list[Ticket]:
    """The facilitator's resolved tickets, oldest resolution first (shown above the list)."""
    if user.role != FACILITATOR:
        return []
    query = filtered(user, TicketFilters(waiting=True))
    query = _with_display(query).order_by(Ticket.resolved_at, Ticket.id).limit(limit)
    return list(db.session.scalars(query).unique())


def _district_in_scope(user: User, district: str | None) -> bool:
    """Whether a province-wide user may list the schools of ``district`` (not another's)."""
    if not district:
        return False
    return bool(user.is_national or district.split(".")[0] == user.province_code)


@dataclass(frozen=True)
class CategoryChoice:
    """A category as the filter form shows it (a plain value, safe to keep between requests)."""

    id: int
    name_id: str
    name_en: str

    def label(self, locale: str) -> str:
        """The name in the given language (Indonesian unless 'en')."""
        return self.name_en if locale == "en" else self.name_id


# Filter choices per scope (a district's schools, a province's districts, the categories),
# kept per process for a minute: they change rarely, and a new school shows up in the filter
# within that minute. Keyed by the database, so tests and the bench never share them.
CHOICES_TTL_SECONDS = 60.0
_choices: dict[tuple[str, str, str | None], tuple[float, list[Any]]] = {}


def _cached(kind: str, scope: str | None, load: Any) -> list[Any]:
    key = (str(db.engine.url), kind, scope)
    hit = _choices.get(key)
    now = monotonic()
    if hit is None or now - hit[0] > CHOICES_TTL_SECONDS:
        hit = (now, load())
        _choices[key] = hit
    return hit[1]


def forget_choices() -> None:
    """Empty the filter-choice cache (tests that add schools or categories)."""
    _choices.clear()


def filter_choices(user: User, filters: TicketFilters) -> dict[str, Any]:
    """The options of the filter form for this user (schools, districts, categories)."""
    # (id, name, npsn) rows, not ORM objects: a district can have hundreds of schools.
    schools: list[Any] = []
    if user.role == FACILITATOR:
        schools = sorted((a.school for a in user.assignments), key=lambda s: s.name)
    elif user.role == DISTRICT_PMO or _district_in_scope(user, filters.district):
        district = user.district_code if user.role == DISTRICT_PMO else filters.district
        schools = _cached("schools", district, lambda: [tuple(row) for row in db.session.execute(
            select(School.id, School.name, School.npsn)
            .where(School.district_code == district, School.active.is_(True))
            .order_by(School.name)
        )])  # fmt: skip
        schools = [SchoolChoice(*row) for row in schools]
    districts: list[Any] = []
    if user.role not in (FACILITATOR, DISTRICT_PMO) and user.province is not None:
        districts = list(user.province.districts)
    categories = _cached("categories", None, lambda: [
        CategoryChoice(c.id, c.name_id, c.name_en)
        for c in db.session.scalars(select(Category).order_by(Category.kind, Category.position))
    ])  # fmt: skip
    return {"schools": schools, "districts": districts, "categories": categories}


@dataclass(frozen=True)
class SchoolChoice:
    """A school as the filter form shows it."""

    id: int
    name: str
    npsn: str


@dataclass
class TimelineEntry:
    """One line of a ticket's history: an audit event or a comment."""

    kind: str  # "event" or "comment"
    id: int
    when: Any
    who: User | None
    event: str | None
    note: str | None
    from_state: str | None
    to_state: str | None
    attachments: list[Attachment]


def timeline(ticket: Ticket, after_event_id: int | None = None) -> list[TimelineEntry]:
    """Events and comments merged in time order (three queries, whatever the length)."""
    events_query = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .options(joinedload(TicketEvent.actor))
        .order_by(TicketEvent.id)
    )
    if after_event_id is not None:
        events_query = events_query.where(TicketEvent.id > after_event_id)
        comments: list[Comment] = []
    else:
        comments = list(
            db.session.scalars(
                select(Comment)
                .where(Comment.ticket_id == ticket.id)
                .options(joinedload(Comment.author))
                .order_by(Comment.id)
            )
        )
    events = list(db.session.scalars(events_query))
    files: dict[tuple[str, int | None], list[Attachment]] = {}
    for attachment in db.session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
    ):
        key = (
            ("comment", attachment.comment_id)
            if attachment.comment_id
            else ("event", attachment.event_id)
        )
        files.setdefault(key, []).append(attachment)
    entries = [
        TimelineEntry(
            "event",
            e.id,
            e.created_at,
            e.actor,
            e.event,
            e.note,
            e.from_state,
            e.to_state,
            files.get(("event", e.id), []),
        )
        for e in events
    ] + [
        TimelineEntry(
            "comment",
            c.id,
            c.created_at,
            c.author,
            None,
            c.body,
            None,
            None,
            files.get(("comment", c.id), []),
        )
        for c in comments
    ]
    entries.sort(key=lambda entry: (entry.when, entry.kind == "comment", entry.id))
    return entries


def last_event_id(ticket: Ticket) -> int:
    """The id of the ticket's newest audit event (what the user has seen)."""
    value = db.session.scalar(
        select(func.max(TicketEvent.id)).where(TicketEvent.ticket_id == ticket.id)
    )
    return int(value or 0)
