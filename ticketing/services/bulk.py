"""Many tickets at once: each through the same service call, its own audit row and version.

A bulk action is a loop over ``services.tickets`` in one request: every ticket gets its own
savepoint, so a ticket changed by someone else (or no longer allowed) is reported and left as
it was, while the others are applied. The caller commits once at the end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from ticketing import permissions
from ticketing.errors import (
    ConflictError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from ticketing.extensions import db
from ticketing.models import Ticket, User
from ticketing.services import tickets as ticket_service

DONE = "done"
CONFLICT = "conflict"
DENIED = "denied"
MAX_TICKETS = 100


@dataclass
class Outcome:
    """What happened to one ticket of a bulk action."""

    ticket_id: int
    number: str
    result: str  # DONE, CONFLICT or DENIED
    ticket: Ticket | None = None


def apply(
    actor: User,
    event: str,
    ticket_ids: Sequence[int],
    *,
    note: str | None = None,
    assignee: User | None = None,
    versions: Mapping[int, int] | None = None,
) -> list[Outcome]:
    """Fire ``event`` on each ticket (``"take"`` is "Ambil"); one outcome per ticket, in order."""
    if event not in (*permissions.BULK_EVENTS, "take"):
        raise InvalidInput(_l("Choose what to do with the selected tickets."), field="event")
    if not permissions.can_bulk(actor):
        raise PermissionDenied(_l("You may not do this to this ticket now."))
    ids = list(dict.fromkeys(ticket_ids))[:MAX_TICKETS]
    if not ids:
        raise InvalidInput(_l("Select at least one ticket."), field="ticket")
    if event in ("escalate", "resolve", "return_to_district") and not (note or "").strip():
        raise InvalidInput(_l("Write the note that goes with every selected ticket."), field="note")
    if event == "assign" and assignee is None:
        assignee = actor
    visible = {
        t.id: t
        for t in db.session.scalars(
            permissions.visible_tickets(actor)
            .where(Ticket.id.in_(ids))
            .options(joinedload(Ticket.assignee))
        )
    }
    versions = versions or {}
    outcomes = []
    for ticket_id in ids:
        ticket = visible.get(ticket_id)
        if ticket is None:
            outcomes.append(Outcome(ticket_id, "", DENIED))
            continue
        outcomes.append(_one(actor, event, ticket, note, assignee, versions.get(ticket_id)))
    return outcomes


def _one(
    actor: User,
    event: str,
    ticket: Ticket,
    note: str | None,
    assignee: User | None,
    version: int | None,
) -> Outcome:
    number = ticket.number
    try:
        with db.session.begin_nested():
            if event == "take":
                ticket_service.take(ticket, actor=actor, expected_version=version)
            else:
                ticket_service.fire(
                    ticket,
                    event,
                    actor=actor,
                    expected_version=version,
                    note=note,
                    assignee=assignee if event == "assign" else None,
                )
    except ConflictError:
        return Outcome(ticket.id, number, CONFLICT, ticket)
    except (PermissionDenied, InvalidTransition, InvalidInput, NotFound):
        return Outcome(ticket.id, number, DENIED, ticket)
    return Outcome(ticket.id, number, DONE, ticket)
