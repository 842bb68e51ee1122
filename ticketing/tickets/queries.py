"""What the ticket pages read besides the list itself: filter choices and the timeline.

The list's parameters and its query live in ``ticketing.ticket_query`` (one module for the
list, its exports, the dashboards' links and the API).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from time import monotonic
from typing import Any, NamedTuple

from flask_babel import get_locale
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from ticketing import permissions
from ticketing.extensions import db
from ticketing.models import (
    DISTRICT_PMO,
    FACILITATOR,
    Attachment,
    Category,
    Comment,
    District,
    School,
    Ticket,
    TicketEvent,
    User,
)
from ticketing.services import consultations as consultation_service
from ticketing.services import users as user_service
from ticketing.services.tickets import ReportChange, report_changes
from ticketing.ticket_query import ListTicket, TicketQuery, list_rows


def waiting_for_verification(user: User, limit: int, locale: str) -> list[ListTicket]:
    """The facilitator's resolved tickets, oldest resolution first (shown above the list)."""
    if user.role != FACILITATOR:
        return []
    order = [Ticket.resolved_at, Ticket.id]
    chosen = TicketQuery(waiting=True).select(user).order_by(*order).limit(limit)
    return list_rows(chosen, order, locale)


def _district_in_scope(user: User, district: str | None) -> bool:
    """Whether a province-wide user may list the schools of ``district`` (not another's)."""
    return permissions.can_browse_district(user, district)


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


def filter_choices(user: User, filters: TicketQuery) -> dict[str, Any]:
    """The options of the filter form for this user (schools, districts, categories)."""
    # Plain values, not ORM objects: a district can have hundreds of schools. Kept per scope
    # for a minute (_cached), except a facilitator's own few schools.
    schools: list[SchoolChoice] = []
    if user.role == FACILITATOR:
        mine = sorted((a.school for a in user.assignments), key=lambda s: s.name)
        schools = [SchoolChoice.of(s.id, s.name, s.npsn) for s in mine]
    elif user.role == DISTRICT_PMO or _district_in_scope(user, filters.district):
        district = user.district_code if user.role == DISTRICT_PMO else filters.district
        schools = _cached("schools", district, lambda: _schools(district))
    districts: list[DistrictChoice] = []
    holders: list[OfficerChoice] = []
    if permissions.browses_province_districts(user) and user.province_code is not None:
        province = user.province_code
        districts = _cached("districts", province, lambda: _districts(province))
        holders = _cached("holders", province, lambda: [
            OfficerChoice(officer.id, officer.name)
            for officer in user_service.active_officers(province_code=province)
        ])  # fmt: skip
    categories = _cached("categories", None, lambda: [
        CategoryChoice(c.id, c.name_id, c.name_en)
        for c in db.session.scalars(select(Category).order_by(Category.kind, Category.position))
    ])  # fmt: skip
    return {
        "schools": schools,
        "districts": districts,
        "categories": categories,
        "holders": holders,
    }


def officer_choices(district_code: str, *, cached: bool = False) -> list[tuple[int, str]]:
    """(id, name) of the district's active officers, by name (the bulk panel's assignees);
    ``cached``: as kept for up to a minute (the list page), else read now."""

    def load() -> list[tuple[int, str]]:
        officers = user_service.active_officers(district_code=district_code)
        return [(officer.id, officer.name) for officer in officers]

    return list(_cached("officers", district_code, load)) if cached else load()


class SchoolChoice(NamedTuple):
    """A school as the filter form shows it: ``label`` is "name (NPSN)"."""

    id: int
    name: str
    npsn: str
    label: str

    @classmethod
    def of(cls, id: int, name: str, npsn: str) -> SchoolChoice:
        """The choice of a school, its label made once."""
        return cls(id, name, npsn, f"{name} ({npsn})")


class DistrictChoice(NamedTuple):
    """A district as the filter form shows it."""

    code: str
    name: str


class OfficerChoice(NamedTuple):
    """An officer as the filter form shows it."""

    id: int
    name: str


def _schools(district: str | None) -> list[SchoolChoice]:
    rows = db.session.execute(
        select(School.id, School.name, School.npsn)
        .where(School.district_code == district, School.active.is_(True))
        .order_by(School.name)
    )
    return [SchoolChoice.of(*row) for row in rows]


def _districts(province: str) -> list[DistrictChoice]:
    rows = db.session.execute(
        select(District.code, District.name)
        .where(District.province_code == province)
        .order_by(District.code)
    )
    return [DistrictChoice(*row) for row in rows]


@dataclass
class TimelineEntry:
    """One line of a ticket's history: an audit event or a comment."""

    kind: str  # "event", "comment" or "consultation" (an expert was asked, answered...)
    id: int
    when: Any
    who: User | None
    event: str | None
    note: str | None
    from_state: str | None
    to_state: str | None
    attachments: list[Attachment]
    assignee: User | None = None
    internal: bool = False
    # A corrected report ("edit"): what changed, old and new (services.tickets.report_changes).
    changes: list[ReportChange] = field(default_factory=list)


def timeline(
    ticket: Ticket, after_event_id: int | None = None, *, viewer: Any = None
) -> list[TimelineEntry]:
    """Events and comments merged in time order (three queries, whatever the length).

    Internal notes are left out unless ``viewer`` may read them (none without a viewer).
    """
    events_query = (
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .options(joinedload(TicketEvent.actor), joinedload(TicketEvent.assignee))
        .order_by(TicketEvent.id)
    )
    if after_event_id is not None:
        events_query = events_query.where(TicketEvent.id > after_event_id)
        comments: list[Comment] = []
    else:
        comments_query = (
            select(Comment)
            .where(Comment.ticket_id == ticket.id)
            .options(joinedload(Comment.author))
            .order_by(Comment.id)
        )
        if not permissions.can_see_internal(viewer):
            comments_query = comments_query.where(Comment.internal.is_(False))
        comments = list(db.session.scalars(comments_query))
    events = list(db.session.scalars(events_query))
    locale = str(get_locale() or "id")
    files: dict[tuple[str, int | None], list[Attachment]] = {}
    for attachment in db.session.scalars(
        select(Attachment).where(Attachment.ticket_id == ticket.id).order_by(Attachment.id)
    ):
        if attachment.comment_id:
            key: tuple[str, int | None] = ("comment", attachment.comment_id)
        elif attachment.consultation_event_id:
            key = ("consultation", attachment.consultation_event_id)
        else:
            key = ("event", attachment.event_id)
        files.setdefault(key, []).append(attachment)
    entries = (
        [
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
                assignee=e.assignee,
                changes=report_changes(e.note, locale) if e.event == "edit" else [],
            )
            for e in events
        ]
        + [
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
                internal=c.internal,
            )
            for c in comments
        ]
        + [
            TimelineEntry(
                "consultation",
                r.id,
                r.created_at,
                r.actor,
                r.event,
                r.note,
                r.from_state,
                r.to_state,
                files.get(("consultation", r.id), []),
            )
            for r in (
                [] if after_event_id is not None else consultation_service.timeline_rows(ticket)
            )
        ]
    )
    entries.sort(key=lambda entry: (entry.when, entry.kind == "comment", entry.id))
    return entries


def last_event_id(ticket: Ticket) -> int:
    """The id of the ticket's newest audit event (what the user has seen)."""
    value = db.session.scalar(
        select(func.max(TicketEvent.id)).where(TicketEvent.ticket_id == ticket.id)
    )
    return int(value or 0)
