"""The SLA sweep: automatic escalation, reminders, idempotence, two sweepers at once."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from ticketing import sla
from ticketing.clock import frozen_at
from ticketing.extensions import db
from ticketing.models import Notification, OutboxMessage, Ticket, TicketEvent
from ticketing.services import tickets as ticket_service

MONDAY_9_WIB = datetime(2025, 3, 3, 2, 0)  # Monday 3 March 2025, 09:00 WIB
DUE = datetime(2025, 3, 6, 17, 0)  # 3 working days later: Friday 00:00 WIB


def _counts() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count(TicketEvent.id))) or 0,
        db.session.scalar(select(func.count(Notification.id))) or 0,
        db.session.scalar(select(func.count(OutboxMessage.id))) or 0,
    )


def _raise(world, **kw) -> Ticket:
    with frozen_at(MONDAY_9_WIB):
        ticket = world.raise_ticket(**kw)
        db.session.commit()
    return ticket


@pytest.mark.indonesian
def test_untouched_ticket_is_escalated_once_and_everyone_is_told(world) -> None:
    """Done-when: left untouched past its deadline, escalated with a clear audit entry."""
    ticket = _raise(world)
    assert ticket.due_at == DUE
    with frozen_at(DUE - timedelta(minutes=1)):
        assert sla.sweep().escalated == 0
    db.session.refresh(ticket)
    assert ticket.state == "raised"

    friday_10 = datetime(2025, 3, 7, 3, 0)
    with frozen_at(friday_10):
        result = sla.sweep()
    assert result.escalated == 1
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.state == "escalated"
    assert ticket.escalation_count == 1
    assert ticket.sla_breaches == 1
    # The province's deadline starts now: 10 working days from Friday.
    assert ticket.due_at == sla.add_working_days(friday_10, 10, "35")
    event = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id.desc())
    ).first()
    assert event.event == "escalate"
    assert event.actor_id is None
    assert event.from_state == "raised"
    assert "3" in event.note and "6 Maret 2025" in event.note  # the deadline's last day
    assert event.note.startswith("Automatically escalated") or "otomatis" in event.note.lower()

    told = {
        (n.user_id, n.kind)
        for n in db.session.scalars(select(Notification).where(Notification.ticket_id == ticket.id))
    }
    assert (world.province.id, "auto_escalated") in told
    assert (world.facilitator_a.id, "auto_escalated") in told
    assert (world.province_c.id, "auto_escalated") not in told
    mails = db.session.scalars(select(OutboxMessage.to_address)).all()
    assert world.province.email in mails and world.facilitator_a.email in mails

    # A second run, even later the same day, changes nothing.
    before = _counts()
    with frozen_at(friday_10 + timedelta(hours=1)):
        again = sla.sweep()
    assert (again.escalated, again.overdue_reminders, again.verify_reminders) == (0, 0, 0)
    assert _counts() == before


def test_ticket_handled_in_time_is_not_escalated(world) -> None:
    ticket = _raise(world)
    with frozen_at(datetime(2025, 3, 5, 3, 0)):
        ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
        db.session.commit()
    assert ticket.sla_breaches == 0
    # The assigned state allows 5 working days from Wednesday: Thu..Wed, due Thursday 00:00.
    assert ticket.due_at == datetime(2025, 3, 12, 17, 0)
    with frozen_at(datetime(2025, 3, 10, 3, 0)):
        assert sla.sweep().escalated == 0
    with frozen_at(datetime(2025, 3, 13, 3, 0)):
        assert sla.sweep().escalated == 1
    db.session.refresh(ticket)
    assert ticket.state == "escalated"


def test_province_overdue_reminder_once_per_working_day(world) -> None:
    ticket = _raise(world)
    with frozen_at(MONDAY_9_WIB):
        ticket_service.fire(ticket, "escalate", actor=world.officer_a, note="Butuh provinsi")
        db.session.commit()
    due = ticket.due_at  # 10 working days: Tue 4 .. Mon 17 March, due Tuesday 00:00 WIB
    assert due == datetime(2025, 3, 17, 17, 0)

    def reminders() -> int:
        return (
            db.session.scalar(
                select(func.count(Notification.id)).where(Notification.kind == "overdue")
            )
            or 0
        )

    tuesday_early = datetime(2025, 3, 17, 22, 0)  # Tuesday 05:00 WIB: before office hours
    with frozen_at(tuesday_early):
        assert sla.sweep().overdue_reminders == 0
    tuesday_9 = datetime(2025, 3, 18, 2, 0)
    with frozen_at(tuesday_9):
        assert sla.sweep().overdue_reminders == 1
        assert sla.overdue_days(ticket) == 1
    with frozen_at(tuesday_9 + timedelta(hours=5)):
        assert sla.sweep().overdue_reminders == 0
    assert reminders() == 1
    recipients = db.session.scalars(
        select(Notification.user_id).where(Notification.kind == "overdue")
    ).all()
    assert recipients == [world.province.id]
    with frozen_at(tuesday_9 + timedelta(days=1)):  # Wednesday
        assert sla.sweep().overdue_reminders == 1
    with frozen_at(datetime(2025, 3, 22, 3, 0)):  # Saturday: nobody is reminded
        assert sla.sweep().overdue_reminders == 0
    assert reminders() == 2
    db.session.refresh(ticket)
    assert ticket.state == "escalated"  # never moved by a reminder


def test_verification_reminders_repeat_and_never_close(world) -> None:
    ticket = _raise(world)
    with frozen_at(MONDAY_9_WIB):
        ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
        ticket_service.fire(ticket, "resolve", actor=world.officer_a, note="Guru sudah ada")
        db.session.commit()
    version = ticket.version_id
    assert ticket.due_at == datetime(2025, 3, 9, 17, 0) + timedelta(days=1)  # end of Mon 10

    def reminded() -> int:
        return (
            db.session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.kind == "verify_reminder",
                    Notification.user_id == world.facilitator_a.id,
                )
            )
            or 0
        )

    first = datetime(2025, 3, 11, 2, 0)  # Tuesday 09:00 WIB
    with frozen_at(first):
        assert sla.sweep().verify_reminders == 1
    with frozen_at(first + timedelta(days=1)):
        assert sla.sweep().verify_reminders == 0
    with frozen_at(datetime(2025, 3, 18, 2, 0)):  # 5 working days after the first reminder
        assert sla.sweep().verify_reminders == 1
    assert reminded() == 2
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.state == "resolved"
    # Reminders do not bump the version, so an open form does not turn stale.
    assert ticket.version_id == version


def test_final_states_have_no_deadline(world) -> None:
    ticket = _raise(world)
    with frozen_at(MONDAY_9_WIB):
        ticket_service.fire(ticket, "withdraw", actor=world.facilitator_a, note="Sudah beres")
        db.session.commit()
    assert ticket.due_at is None
    with frozen_at(MONDAY_9_WIB + timedelta(days=30)):
        result = sla.sweep()
        assert sla.overdue_days(ticket) is None
    assert (result.escalated, result.overdue_reminders, result.verify_reminders) == (0, 0, 0)


def test_dashboard_helpers(world) -> None:
    late = _raise(world, title="Terlambat")
    on_time = _raise(world, title="Tepat waktu")
    with frozen_at(datetime(2025, 3, 4, 3, 0)):
        ticket_service.fire(on_time, "assign", actor=world.officer_a, assignee=world.officer_a)
        db.session.commit()
    now = datetime(2025, 3, 7, 3, 0)
    overdue_ids = db.session.scalars(select(Ticket.id).where(sla.overdue_filter(now))).all()
    assert overdue_ids == [late.id]
    total, within, overdue = db.session.execute(
        select(*sla.compliance_columns(now)).where(Ticket.district_code == "35.01")
    ).one()
    assert (total, within, overdue) == (2, 1, 1)
    assert sla.compliance_share(total, within) == 0.5
    with frozen_at(now):
        sla.sweep()
    total, within, overdue = db.session.execute(select(*sla.compliance_columns(now))).one()
    assert (total, within, overdue) == (2, 1, 0)  # escalated late: still counted as missed


def _sweep_in_thread(app, moment, barrier, results, errors) -> None:
    try:
        with app.app_context(), frozen_at(moment):
            barrier.wait(timeout=30)
            results.append(sla.sweep(batch_size=4))
            db.session.remove()
    except Exception as exc:  # pragma: no cover - reported by the test
        errors.append(exc)


# Row locks only mean something on PostgreSQL: this test runs there alone.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_sweeps_at_once_escalate_each_ticket_once(app, world, database_url) -> None:
    tickets = [_raise(world, title=f"Masalah {i}") for i in range(24)]
    ids = [t.id for t in tickets]
    db.session.commit()
    moment = datetime(2025, 3, 7, 3, 0)
    barrier = threading.Barrier(2)
    results: list[sla.SweepResult] = []
    errors: list[Exception] = []
    threads = [
        threading.Thread(target=_sweep_in_thread, args=(app, moment, barrier, results, errors))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    print("sweeps:", [str(r) for r in results])
    assert sum(r.escalated for r in results) == len(ids)
    db.session.expire_all()
    per_ticket = dict(
        db.session.execute(
            select(TicketEvent.ticket_id, func.count(TicketEvent.id))
            .where(TicketEvent.event == "escalate")
            .group_by(TicketEvent.ticket_id)
        ).all()
    )
    assert per_ticket == {i: 1 for i in ids}
    states = set(db.session.scalars(select(Ticket.state).where(Ticket.id.in_(ids))))
    assert states == {"escalated"}
    # The province hears once per ticket, not once per sweeper.
    province_told = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == world.province.id)
    )
    assert province_told == len(ids)
