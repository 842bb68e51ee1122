"""Row locks only mean something on PostgreSQL: two sessions race for one ticket."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from ticketing.errors import ConflictError, InvalidTransition
from ticketing.extensions import db
from ticketing.models import Ticket, TicketEvent, User
from ticketing.services import tickets as svc


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize(
    ("first", "second"),
    [(("assign", "officer_a"), ("escalate", "officer_a2")),
     (("withdraw", "facilitator_a"), ("assign", "officer_a2")),
     (("escalate", "officer_a"), ("escalate", "officer_a2"))],
)  # fmt: skip
def test_conflicting_events_at_the_same_moment(app, world, first, second):
    assert db.engine.dialect.name == "postgresql"
    ticket = world.raise_ticket()
    db.session.commit()
    ticket_id, version = ticket.id, ticket.version_id
    users = {name: u.id for name, u in world.users().items()}
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(label: str, event: str, who: str) -> None:
        with app.app_context():
            session = db.session
            # Both load the same version, as two browsers showing the same page would.
            row = session.get(Ticket, ticket_id)
            actor = session.get(User, users[who])
            assert row is not None and actor is not None
            barrier.wait(timeout=10)
            try:
                svc.fire(row, event, actor=actor, note="catatan", expected_version=version,
                         assignee=actor if event == "assign" else None)  # fmt: skip
                session.commit()
                outcomes[label] = "won"
            except (ConflictError, InvalidTransition) as exc:
                session.rollback()
                outcomes[label] = type(exc).__name__
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt, args=("first", *first)),
               threading.Thread(target=attempt, args=("second", *second))]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == ["ConflictError", "won"], outcomes
    db.session.expire_all()
    events = db.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).all()
    assert events[0].event == "raise"
    assert len(events) == 2  # exactly one audit row for the winner
    winner = first if outcomes["first"] == "won" else second
    assert events[1].event == winner[0]
    assert db.session.scalar(select(func.max(Ticket.version_id))) == version + 1
