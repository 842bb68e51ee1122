"""Check that every ticket's audit trail replays to the ticket's state (after a restore, a
load run, or at any time): `flask audit verify`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.models import Ticket, TicketEvent


@dataclass
class TrailReport:
    """What the check found."""

    tickets: int = 0
    events: int = 0
    problems: list[str] = field(default_factory=list)


def verify_trails(session: Session | Any, batch: int = 5000) -> TrailReport:
    """Walk every trail in id order: each row starts where the last ended, the last ends at the
    ticket's state, and every ticket has a trail that starts with its raising."""
    report = TrailReport()
    states: dict[int, str] = {i: s for i, s in session.execute(select(Ticket.id, Ticket.state))}
    numbers: dict[int, str] = {i: n for i, n in session.execute(select(Ticket.id, Ticket.number))}
    report.tickets = len(states)
    reached: dict[int, str | None] = {}
    first: dict[int, str] = {}
    last_id = 0
    while True:
        rows = session.execute(
            select(TicketEvent.id, TicketEvent.ticket_id, TicketEvent.event,
                   TicketEvent.from_state, TicketEvent.to_state)
            .where(TicketEvent.id > last_id)
            .order_by(TicketEvent.id)
            .limit(batch)
        ).all()  # fmt: skip
        if not rows:
            break
        for event_id, ticket_id, event, from_state, to_state in rows:
            report.events += 1
            first.setdefault(ticket_id, event)
            current = reached.get(ticket_id)
            if from_state != current:
                report.problems.append(
                    f"{numbers.get(ticket_id, ticket_id)}: event {event_id} ({event}) starts at"
                    f" {from_state}, the trail was at {current}"
                )
            reached[ticket_id] = to_state
        last_id = rows[-1][0]
    for ticket_id, state in states.items():
        if ticket_id not in reached:
            report.problems.append(f"{numbers[ticket_id]}: no audit trail")
        elif reached[ticket_id] != state:
            report.problems.append(
                f"{numbers[ticket_id]}: the trail ends at {reached[ticket_id]},"
                f" the ticket is {state}"
            )
        elif first.get(ticket_id) != "raise":
            report.problems.append(f"{numbers[ticket_id]}: the trail does not start with raise")
    return report
