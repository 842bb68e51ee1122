"""The sweep's batches: a batch of changes has exactly the effects of the changes one by one."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from tests.rollup_checks import assert_rollups_agree
from ticketing import sla
from ticketing.clock import frozen_at
from ticketing.errors import PermissionDenied, ServiceError
from ticketing.extensions import db
from ticketing.models import Notification, OutboxMessage, Ticket, TicketEvent, User
from ticketing.services import tickets as ticket_service
from ticketing.workflow import Workflows, _Seat, bind

MONDAY_9_WIB = datetime(2025, 3, 3, 2, 0)  # Monday 3 March 2025, 09:00 WIB
FRIDAY_10_WIB = datetime(2025, 3, 7, 3, 0)  # past the district deadline of 3 working days
NEXT_FRIDAY = datetime(2025, 3, 14, 3, 0)  # past the assigned deadline (5 working days) too


def _raise_set(world: Any, tag: str) -> list[Ticket]:
    """Tickets in three districts of two provinces, raised and assigned, with e-mail wanted."""
    with frozen_at(MONDAY_9_WIB):
        out = [
            world.raise_ticket(title=f"{tag} A"),
            world.raise_ticket(facilitator=world.facilitator_b, school=world.school_b,
                               title=f"{tag} B"),
            world.raise_ticket(facilitator=world.facilitator_c, school=world.school_c,
                               title=f"{tag} C"),
            world.raise_ticket(facilitator=world.facilitator_a2, school=world.school_a2,
                               title=f"{tag} A2"),
        ]  # fmt: skip
        ticket_service.fire(out[3], "assign", actor=world.officer_a, assignee=world.officer_a)
        db.session.commit()
    return out


def _effects(ticket: Ticket) -> dict[str, Any]:
    """What the escalation did to one ticket, without its ids (to compare two tickets)."""
    db.session.refresh(ticket)
    events = db.session.execute(
        select(TicketEvent.event, TicketEvent.from_state, TicketEvent.to_state,
               TicketEvent.actor_id, TicketEvent.note, TicketEvent.created_at)
        .where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()  # fmt: skip
    told = db.session.execute(
        select(Notification.user_id, Notification.kind, Notification.actor_id,
               Notification.created_at, Notification.read_at, Notification.digested_at)
        .where(Notification.ticket_id == ticket.id).order_by(Notification.id)
    ).all()  # fmt: skip
    mails = db.session.execute(
        select(OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.body_text,
               OutboxMessage.created_at, OutboxMessage.next_attempt_at)
        .where(OutboxMessage.body_text.contains(f"/tickets/{ticket.id}\n"))
        .order_by(OutboxMessage.id)
    ).all()  # fmt: skip
    columns = ("state", "due_at", "sla_breaches", "escalation_count", "last_reminded_at",
               "state_changed_at", "updated_at", "version_id", "resolved_tier")  # fmt: skip
    number, title, link = ticket.number, ticket.title, f"/tickets/{ticket.id}"

    def plain(text: str) -> str:
        return text.replace(number, "N").replace(title, "T").replace(link, "/tickets/ID")

    return {
        "ticket": {c: getattr(ticket, c) for c in columns},
        "events": [tuple(e) for e in events],
        "notifications": [tuple(n) for n in told],
        "mails": [(to, plain(subject), plain(body), *rest) for to, subject, body, *rest in mails],
    }


def test_fire_many_has_the_effects_of_fire_one_by_one(world) -> None:
    """Same audit rows, notifications, e-mails, deadlines and versions; rollups exact."""
    for user in db.session.scalars(select(User)):
        user.email_notifications = True
    db.session.commit()
    one_by_one, batch = _raise_set(world, "one"), _raise_set(world, "batch")
    with frozen_at(FRIDAY_10_WIB):
        token = sla._sweep_deadlines.set({})
        try:
            for ticket in one_by_one:
                note = sla.escalation_note(ticket, FRIDAY_10_WIB)
                ticket_service.fire(ticket, "escalate", actor=None, note=note)
            notes = [sla.escalation_note(t, FRIDAY_10_WIB) for t in batch]
            outcomes = ticket_service.fire_many(batch, "escalate", actor=None, notes=notes)
        finally:
            sla._sweep_deadlines.reset(token)
        db.session.commit()
    assert outcomes == batch
    for single, batched in zip(one_by_one, batch, strict=True):
        assert _effects(batched) == _effects(single)
    first = _effects(batch[0])
    assert first["ticket"]["state"] == "escalated" and first["ticket"]["version_id"] == 2
    assert [e[0] for e in first["events"]] == ["raise", "escalate"]
    assert [n[1] for n in first["notifications"][-2:]] == ["auto_escalated"] * 2
    assert len(first["mails"]) >= 3  # district (raised), province and facilitator (escalated)
    assert_rollups_agree(FRIDAY_10_WIB)


def test_fire_many_refuses_one_ticket_and_changes_the_others(world) -> None:
    tickets = _raise_set(world, "mixed")
    with frozen_at(FRIDAY_10_WIB):
        ticket_service.fire(tickets[1], "escalate", actor=world.officer_b, note="Perlu provinsi")
        db.session.commit()
        before = db.session.scalar(select(TicketEvent.id).order_by(TicketEvent.id.desc()))
        outcomes = ticket_service.fire_many(
            tickets, "escalate", actor=None, notes=["a", "b", "c", ""]
        )
        db.session.commit()
    assert outcomes[0] is tickets[0] and outcomes[2] is tickets[2]
    assert isinstance(outcomes[1], PermissionDenied)  # already escalated: as fire() says
    assert isinstance(outcomes[3], ServiceError)  # no note: the validator refuses
    written = db.session.scalars(
        select(TicketEvent.ticket_id).where(TicketEvent.id > before).order_by(TicketEvent.id)
    ).all()
    assert written == [tickets[0].id, tickets[2].id]
    db.session.refresh(tickets[3])
    assert tickets[3].state == "assigned" and tickets[3].version_id == 2
    assert_rollups_agree(FRIDAY_10_WIB)


def test_sweep_in_small_batches_equals_one_batch(world) -> None:
    """Batches of 3 escalate and tell the people of each ticket's province; rollups exact."""
    tickets = _raise_set(world, "s1") + _raise_set(world, "s2")
    with frozen_at(NEXT_FRIDAY):
        result = sla.sweep(batch_size=3)
    assert result.escalated == len(tickets) and result.skipped == 0
    db.session.expire_all()
    told = {
        (t.title, n.user_id)
        for t in tickets
        for n in db.session.scalars(
            select(Notification).where(Notification.ticket_id == t.id,
                                       Notification.kind == "auto_escalated")
        )
    }  # fmt: skip
    expected = set()
    for tag in ("s1", "s2"):
        expected |= {
            (f"{tag} A", world.province.id), (f"{tag} A", world.facilitator_a.id),
            (f"{tag} B", world.province.id), (f"{tag} B", world.facilitator_b.id),
            (f"{tag} C", world.province_c.id), (f"{tag} C", world.facilitator_c.id),
            (f"{tag} A2", world.province.id), (f"{tag} A2", world.facilitator_a2.id),
        }  # fmt: skip
    assert told == expected
    assert_rollups_agree(NEXT_FRIDAY)
    with frozen_at(NEXT_FRIDAY + timedelta(hours=1)):
        assert sla.sweep(batch_size=3).escalated == 0  # idempotent


def test_reminders_in_batches_once_per_ticket(world) -> None:
    """Province reminders and verification reminders in batches: one per ticket, as before."""
    tickets = _raise_set(world, "r")
    with frozen_at(NEXT_FRIDAY):
        sla.sweep(batch_size=2)
        ticket_service.fire(tickets[0], "resolve", actor=world.province, note="Selesai")
        db.session.commit()
    later = NEXT_FRIDAY + timedelta(days=28)  # past the province's and the verify deadline
    with frozen_at(later):
        result = sla.sweep(batch_size=2)
    assert result.overdue_reminders == 3 and result.verify_reminders == 1
    kinds = db.session.execute(
        select(Notification.ticket_id, Notification.user_id, Notification.kind)
        .where(Notification.kind.in_(("overdue", "verify_reminder")))
    ).all()  # fmt: skip
    assert sorted(kinds) == sorted([
        (tickets[1].id, world.province.id, "overdue"),
        (tickets[2].id, world.province_c.id, "overdue"),
        (tickets[3].id, world.province.id, "overdue"),
        (tickets[0].id, world.facilitator_a.id, "verify_reminder"),
    ])  # fmt: skip
    with frozen_at(later + timedelta(hours=1)):
        again = sla.sweep(batch_size=2)
    assert (again.overdue_reminders, again.verify_reminders) == (0, 0)


def test_a_reused_machine_acts_as_a_new_one(world) -> None:
    """Workflows reuses one machine: it takes no callbacks from the seat or from a Ticket."""
    machines = Workflows()
    fresh = bind(_raise_set(world, "m")[0])
    names = set(dir(Ticket)) | set(dir(_Seat))
    for spec_list in (machines.on(fresh.model)._specs, fresh._specs):
        assert not (spec_list.conventional_specs & names)
