"""Link tickets to each other (recurrence, related, duplicate) and find likely recurrences.

A link never moves a ticket: both tickets' audit trails get a row whose from and to state
are the ticket's current state (the as-of figures read only state changes).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from difflib import SequenceMatcher

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, or_, select

from ticketing import permissions, rollups
from ticketing.clock import utcnow
from ticketing.errors import InvalidInput, NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.models import (
    FINAL_STATES,
    LINK_KINDS,
    RECURRENCE,
    Category,
    Province,
    School,
    Ticket,
    TicketLink,
    User,
)

DEFAULT_RECURRENCE_DAYS = 90
# Titles at least this similar (0..100, token-set ratio) at the same school are offered too.
SIMILAR_TITLE = 70
CANDIDATES_MAX = 5


@dataclass(frozen=True)
class LinkedTicket:
    """One link as seen from a ticket's page: the other ticket and how they are linked."""

    link: TicketLink
    other: Ticket
    kind: str
    # "to": this ticket points at the other (it is the recurrence / the duplicate);
    # "from": the other ticket points at this one (it came back as the other).
    direction: str


def _existing(ticket: Ticket, other: Ticket, kind: str) -> TicketLink | None:
    return db.session.scalars(
        select(TicketLink).where(
            TicketLink.kind == kind,
            or_(
                and_(TicketLink.ticket_id == ticket.id, TicketLink.other_ticket_id == other.id),
                and_(TicketLink.ticket_id == other.id, TicketLink.other_ticket_id == ticket.id),
            ),
        )
    ).first()


def _audit(ticket: Ticket, other: Ticket, event: str, actor: User | None) -> None:
    for one, two in ((ticket, other), (other, ticket)):
        one.append_event(
            event=event, from_state=one.state, to_state=one.state, actor=actor, note=two.number
        )


def link(ticket: Ticket, other: Ticket, *, kind: str, actor: User) -> TicketLink:
    """Link ``ticket`` to ``other`` (for a recurrence: the new ticket to the earlier closed one)."""
    if kind not in LINK_KINDS:
        raise InvalidInput(_l("Unknown kind of link."), field="kind")
    if not (permissions.can_view(actor, ticket) and permissions.can_view(actor, other)):
        raise NotFound(_l("Ticket not found."))
    if ticket.id == other.id:
        raise InvalidInput(_l("A ticket cannot be linked to itself."), field="number")
    if not permissions.can_link(actor, ticket, other, kind):
        raise PermissionDenied(_l("You may not link these tickets."))
    if kind == RECURRENCE:
        if other.state not in FINAL_STATES or other.created_at > ticket.created_at:
            raise InvalidInput(
                _l("A recurrence links to an earlier ticket that was closed."), field="number"
            )
        if other.school_id != ticket.school_id:
            raise InvalidInput(
                _l("A recurrence links to a ticket of the same school."), field="number"
            )
    if _existing(ticket, other, kind) is not None:
        raise InvalidInput(_l("These tickets are already linked."), field="number")
    counted = rollups.facts(other)
    row = TicketLink(ticket=ticket, other=other, kind=kind, created_by=actor, created_at=utcnow())
    db.session.add(row)
    _audit(ticket, other, f"link_{kind}", actor)
    db.session.flush()
    # A fix that came back counts in the dashboard rollups (same transaction).
    rollups.apply(db.session, counted, rollups.facts(other))
    return row


def unlink(row: TicketLink, *, actor: User) -> None:
    """Remove a link; both tickets' audit trails record who removed it."""
    ticket, other = row.ticket, row.other
    if not (permissions.can_view(actor, ticket) and permissions.can_view(actor, other)):
        raise NotFound(_l("Ticket not found."))
    if not permissions.can_unlink(actor, ticket, other, row.kind):
        raise PermissionDenied(_l("You may not remove this link."))
    _audit(ticket, other, f"unlink_{row.kind}", actor)
    counted = rollups.facts(other)
    db.session.delete(row)
    db.session.flush()
    rollups.apply(db.session, counted, rollups.facts(other))


def get_link(ticket: Ticket, link_id: int) -> TicketLink:
    """A link of this ticket (either end); NotFound otherwise."""
    row = db.session.get(TicketLink, link_id)
    if row is None or ticket.id not in (row.ticket_id, row.other_ticket_id):
        raise NotFound(_l("Link not found."))
    return row


def find_visible_by_number(user: User, number: str) -> Ticket:
    """A ticket the user can see, by its number (ESK-2026-000123); NotFound otherwise."""
    ticket = db.session.scalars(
        permissions.visible_tickets(user).where(Ticket.number == number.strip().upper())
    ).first()
    if ticket is None:
        raise NotFound(_l("No ticket %(number)s that you can see.", number=number), field="number")
    return ticket


def links_of(ticket: Ticket) -> list[LinkedTicket]:
    """Every link of the ticket, both directions, oldest first."""
    rows = db.session.scalars(
        select(TicketLink)
        .where(or_(TicketLink.ticket_id == ticket.id, TicketLink.other_ticket_id == ticket.id))
        .order_by(TicketLink.id)
    )
    result = []
    for row in rows:
        if row.ticket_id == ticket.id:
            result.append(LinkedTicket(row, row.other, row.kind, "to"))
        else:
            result.append(LinkedTicket(row, row.ticket, row.kind, "from"))
    return result


def recurrence_window(province: Province | None) -> int:
    """Days after a close within which a new ticket may be the same problem (per province)."""
    days = getattr(province, "recurrence_days", None)
    return int(days) if days else DEFAULT_RECURRENCE_DAYS


def title_similarity(a: str, b: str) -> float:
    """0..100: how alike two titles are, ignoring case, word order and repeated words."""
    try:
        from rapidfuzz import fuzz
    except ImportError:  # pragma: no cover - rapidfuzz is a dependency; keep a fallback
        left = " ".join(sorted(set(a.lower().split())))
        right = " ".join(sorted(set(b.lower().split())))
        return SequenceMatcher(None, left, right).ratio() * 100
    return float(fuzz.token_set_ratio(a.lower(), b.lower()))


def recurrence_candidates(
    school: School, category: Category | None, title: str = "", *, limit: int = CANDIDATES_MAX
) -> list[Ticket]:
    """Closed tickets that may be the same problem as a new one at ``school``.

    Those of the same category closed (verified or withdrawn) within the province's window,
    and those of the school with a similar title (any time), newest first. Computed in
    Python on the school's closed tickets (a school has few), so SQLite and PostgreSQL agree.
    """
    closed = list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.school_id == school.id, Ticket.state.in_(FINAL_STATES))
            .order_by(Ticket.closed_at.desc(), Ticket.id.desc())
            .limit(500)
        )
    )
    since = utcnow() - timedelta(days=recurrence_window(school.province))
    title = (title or "").strip()
    found = []
    for ticket in closed:
        recent = (
            category is not None
            and ticket.category_id == category.id
            and ticket.closed_at is not None
            and ticket.closed_at >= since
        )
        similar = bool(title) and title_similarity(title, ticket.title) >= SIMILAR_TITLE
        if recent or similar:
            found.append(ticket)
    return found[:limit]
