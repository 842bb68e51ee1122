"""Experts on a ticket: asking, answering, withdrawing; scope; audit replay; reminders."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select

from tests.factories import login, make_user
from ticketing import permissions, sla
from ticketing.clock import frozen_at
from ticketing.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.models import Comment, ConsultationEvent, Notification
from ticketing.services import consultations
from ticketing.services import tickets as ticket_service

MONDAY_9_WIB = datetime(2025, 3, 3, 2, 0)


def _asked(world):
    ticket = world.raise_ticket()
    ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    [consultation] = consultations.ask(
        ticket, actor=world.officer_a, experts=[world.expert], question="Bagaimana juknisnya?"
    )
    db.session.commit()
    return ticket, consultation


def replay(rows: list[ConsultationEvent]) -> str | None:
    state: str | None = None
    for row in rows:
        assert row.from_state == state, (row.event, row.from_state, state)
        state = row.to_state
    return state


def test_ask_answer_follow_up_and_the_audit_replays(world):
    ticket, consultation = _asked(world)
    state_before = ticket.state
    assert consultation.state == "requested" and consultation.due_at is not None
    assert permissions.can_view(world.expert, ticket)
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == world.expert.id)
    ).all()
    assert "consulted" in kinds
    consultations.answer(consultation, actor=world.expert, note="Gunakan juknis 2025.")
    consultations.answer(consultation, actor=world.expert, note="Tambahan: lampiran 3.")
    db.session.commit()
    assert consultation.state == "answered" and consultation.answer == "Gunakan juknis 2025."
    rows = consultations.timeline_rows(ticket)
    assert [r.event for r in rows] == ["ask", "answer", "follow_up"]
    assert replay(rows) == consultation.state
    assert ticket.state == state_before  # the ticket stays where it is
    told = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == world.officer_a.id)
    ).all()
    assert told.count("consultation_answered") == 2
    with pytest.raises(InvalidTransition):
        consultations.withdraw(consultation, actor=world.officer_a)


def test_only_the_holder_asks_and_only_eligible_experts(world):
    ticket = world.raise_ticket()
    db.session.commit()
    with pytest.raises(PermissionDenied):  # the province does not hold a raised ticket
        consultations.ask(ticket, actor=world.province, experts=[world.expert], question="?")
    with pytest.raises(NotFound):
        consultations.ask(ticket, actor=world.officer_b, experts=[world.expert], question="?")
    with pytest.raises(InvalidInput):  # another province's expert
        consultations.ask(ticket, actor=world.officer_a, experts=[world.expert_c], question="?")
    with pytest.raises(InvalidInput):
        consultations.ask(ticket, actor=world.officer_a, experts=[world.expert], question=" ")
    national = make_user("wpn@x.id", "expert", None, None)
    consultations.set_fields(national, [world.category.id])
    assert {e.id for e in consultations.experts_for(ticket)} == {world.expert.id, national.id}
    made = consultations.ask(
        ticket, actor=world.officer_a, experts=[world.expert, national], question="Mohon saran"
    )
    assert len(made) == 2


def test_an_expert_sees_and_does_only_what_they_were_asked(world, client):
    ticket, consultation = _asked(world)
    other = world.raise_ticket(title="Atap bocor")
    db.session.commit()
    expert = world.expert
    visible = set(db.session.scalars(permissions.visible_tickets(expert)))
    assert visible == {ticket}
    assert not permissions.can_view(expert, other)
    assert ticket_service.available_events(expert, ticket) == []
    assert not permissions.can_comment(expert, ticket)
    with pytest.raises(NotFound):
        ticket_service.get_visible(expert, other.id)
    with pytest.raises(PermissionDenied):
        consultations.answer(consultation, actor=world.expert_c, note="Saya juga")
    # Every route: the other ticket is not found, its list and export do not show it.
    login(client, expert)
    assert client.get(f"/tickets/{other.id}").status_code == 404
    assert client.get(f"/tickets/{ticket.id}").status_code == 200
    listing = client.get("/").get_data(as_text=True)
    assert ticket.number in listing and other.number not in listing
    export = client.get("/dashboard/export/tickets.csv").get_data(as_text=True)
    assert ticket.number in export and other.number not in export
    assert client.get("/dashboard/").status_code == 403
    assert client.post(f"/tickets/{other.id}/comments", data={"body": "x"}).status_code == 404
    kinds = db.session.scalars(
        select(Notification.ticket_id).where(Notification.user_id == expert.id)
    ).all()
    assert set(kinds) == {ticket.id}


def test_withdraw_by_the_officer_and_reminders_for_late_answers(world):
    with frozen_at(MONDAY_9_WIB):
        ticket, consultation = _asked(world)
    with frozen_at(datetime(2025, 3, 12, 2, 0)):  # a Wednesday, past 3 working days
        assert sla.sweep().consultation_reminders == 1
        assert sla.sweep().consultation_reminders == 0  # once per working day
    kinds = db.session.scalars(
        select(Notification.kind).where(Notification.user_id == world.expert.id)
    ).all()
    assert "consultation_overdue" in kinds
    with pytest.raises(PermissionDenied):
        consultations.withdraw(consultation, actor=world.expert)
    consultations.withdraw(consultation, actor=world.officer_a, note="Sudah terjawab")
    db.session.commit()
    assert consultation.state == "withdrawn" and consultation.due_at is None
    assert replay(consultations.timeline_rows(ticket)) == "withdrawn"


def test_dashboards_show_consultations_per_field(world, client):
    _ticket, consultation = _asked(world)
    consultations.answer(consultation, actor=world.expert, note="Jawaban")
    _asked(world)  # a second, still open
    db.session.commit()
    from ticketing import reports

    [row] = reports.consultation_figures(permissions.visible_tickets(world.province), "id")
    assert (row.open, row.answered) == (1, 1) and row.median_hours_to_answer is not None
    login(client, world.province)
    html = client.get("/dashboard/province/35").get_data(as_text=True)
    assert 'id="consultation-figures"' in html


def test_an_expert_who_sees_a_ticket_is_told_they_may_not_comment(world, client):
    """Experts answer, they do not comment: a refusal (403), not "ticket not found" (404)."""
    ticket, _consultation = _asked(world)
    with pytest.raises(PermissionDenied):
        ticket_service.add_comment(ticket, actor=world.expert, body="Catatan")
    db.session.rollback()
    login(client, world.expert)
    response = client.post(f"/tickets/{ticket.id}/comments", data={"body": "Catatan"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 0
