"""The central tier (PMO Pusat): referral, deadlines and the sweep, notifications, dashboards,
exports and accounts, on both databases."""

from __future__ import annotations

import io
from datetime import datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import login
from ticketing import sla
from ticketing.clock import frozen_at
from ticketing.errors import InvalidInput, PermissionDenied
from ticketing.extensions import db
from ticketing.models import Notification, OutboxMessage, TicketEvent
from ticketing.services import tickets as ticket_service
from ticketing.services import users as user_service

MONDAY_9_WIB = datetime(2025, 3, 3, 2, 0)


def _escalated(world):
    with frozen_at(MONDAY_9_WIB):
        ticket = world.raise_ticket()
        ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
        ticket_service.fire(ticket, "escalate", actor=world.officer_a, note="Butuh provinsi")
        db.session.commit()
    return ticket


def _kinds(user) -> list[str]:
    return list(
        db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id))
    )


def test_refer_resolve_reopen_at_central_and_notifications(world):
    ticket = _escalated(world)
    with pytest.raises(PermissionDenied):  # a district officer cannot refer
        ticket_service.fire(ticket, "refer_to_central", actor=world.officer_a, note="x")
    db.session.rollback()
    with frozen_at(MONDAY_9_WIB):
        ticket_service.fire(ticket, "refer_to_central", actor=world.province, note="Kebijakan")
        db.session.commit()
    assert (ticket.state, ticket.referral_count) == ("referred", 1)
    assert ticket.due_at is not None  # 15 working days for central
    assert "referred" in _kinds(world.central)
    mail = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == world.central.id)
    ).one()
    assert ("PMO Pusat" in mail.subject) or ("central PMO" in mail.subject)
    ticket_service.fire(ticket, "resolve", actor=world.central, note="Surat edaran terbit")
    db.session.commit()
    assert ticket.resolved_tier == "central"
    ticket_service.fire(ticket, "reopen", actor=world.facilitator_a, note="Belum berlaku")
    db.session.commit()
    assert ticket.state == "referred"
    assert "reopened" in _kinds(world.central)
    ticket_service.fire(ticket, "return_to_province", actor=world.central, note="Pakai juknis")
    db.session.commit()
    assert ticket.state == "escalated"
    assert "returned_to_province" in _kinds(world.province)


def test_a_province_past_its_deadline_is_reminded_not_moved_up(world, app):
    ticket = _escalated(world)
    late = datetime(2025, 3, 18, 2, 0)  # Tuesday 09:00 WIB, after the 10-day deadline
    with frozen_at(late):
        result = sla.sweep()
    assert result.overdue_reminders == 1 and result.escalated == 0
    assert ticket.state == "escalated"
    app.config["SLA_AUTO_REFER_TO_CENTRAL"] = True  # the national setting says so
    try:
        with frozen_at(datetime(2025, 3, 19, 2, 0)):
            result = sla.sweep()
    finally:
        app.config["SLA_AUTO_REFER_TO_CENTRAL"] = False
    db.session.refresh(ticket)
    assert ticket.state == "referred" and result.escalated == 1
    row = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id.desc())
    ).first()
    assert row is not None and row.actor_id is None and row.event == "refer_to_central"
    assert "PMO Pusat" in (row.note or "") or "central PMO" in (row.note or "")


def test_central_is_reminded_when_its_deadline_passes(world):
    ticket = _escalated(world)
    with frozen_at(MONDAY_9_WIB):
        ticket_service.fire(ticket, "refer_to_central", actor=world.province, note="Kebijakan")
        db.session.commit()
    with frozen_at(datetime(2025, 4, 30, 2, 0)):  # well past 15 working days, a Wednesday
        result = sla.sweep()
    assert result.overdue_reminders == 1
    assert "overdue_central" in _kinds(world.central)
    assert ticket.state == "referred"


def test_central_sees_its_dashboards_and_exports(world, client):
    ticket = _escalated(world)
    ticket_service.fire(ticket, "refer_to_central", actor=world.province, note="Kebijakan")
    world.raise_ticket(facilitator=world.facilitator_c, school=world.school_c)
    db.session.commit()
    login(client, world.central)
    assert client.get("/dashboard/").headers["Location"].endswith("/dashboard/national")
    page = client.get("/dashboard/national")
    assert page.status_code == 200
    assert client.get("/dashboard/province/35").status_code == 200
    assert client.get("/dashboard/province/35/settings", follow_redirects=False).status_code in (
        403, 404, 405,
    )  # fmt: skip
    listed = client.get("/").get_data(as_text=True)
    assert ticket.number in listed
    book = load_workbook(io.BytesIO(client.get("/dashboard/export/tickets.xlsx").data))
    rows = list(book.active.iter_rows(values_only=True))
    assert len(rows) == 2  # the header and the one referred ticket, not the other province's
    assert {"Jumlah rujukan ke pusat", "Referrals to central"} & set(rows[0])
    assert client.get(f"/tickets/{ticket.id}").status_code == 200


def test_national_dashboard_shows_share_referred_per_province(world, client):
    ticket = _escalated(world)
    ticket_service.fire(ticket, "refer_to_central", actor=world.province, note="Kebijakan")
    world.raise_ticket()
    db.session.commit()
    login(client, world.national)
    html = client.get("/dashboard/national").get_data(as_text=True)
    assert "Porsi dirujuk ke PMO Pusat" in html or "Referred to the central PMO (share)" in html
    assert "referred=1" in html


def test_central_accounts_have_no_region(world):
    with pytest.raises(InvalidInput):
        user_service.create_user(email="p2@x.id", name="P", role="central_pmo", region_code="35")
    user = user_service.create_user(email="p3@x.id", name="P", role="central_pmo", region_code="")
    assert (user.province_code, user.district_code) == (None, None)
    with pytest.raises(Exception):  # noqa: B017 - a province admin cannot create national roles
        user_service.admin_create_user(
            world.admin, email="p4@x.id", name="P", role="central_pmo", region_code=None
        )
