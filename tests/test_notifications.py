"""Who hears what, in the app and by e-mail; the notifications page; the SLA settings page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests.factories import login
from ticketing.clock import frozen_at
from ticketing.extensions import db
from ticketing.models import AdminLogEntry, DayOff, Notification, OutboxMessage, SlaPolicy
from ticketing.services import tickets as ticket_service

MONDAY_9_WIB = datetime(2025, 3, 3, 2, 0)


def _told(ticket_id: int | None = None) -> list[tuple[int, str]]:
    query = select(Notification.user_id, Notification.kind).order_by(Notification.id)
    if ticket_id is not None:
        query = query.where(Notification.ticket_id == ticket_id)
    return [tuple(r) for r in db.session.execute(query).all()]  # type: ignore[misc]


def test_who_hears_what_through_the_workflow(world) -> None:
    w = world
    ticket = w.raise_ticket()
    db.session.commit()
    # A new ticket: every officer of the district (no assignee yet), not the facilitator.
    assert _told() == [(w.officer_a.id, "raised"), (w.officer_a2.id, "raised")]

    ticket_service.fire(ticket, "assign", actor=w.officer_a, assignee=w.officer_a2)
    ticket_service.fire(ticket, "escalate", actor=w.officer_a2, note="Perlu provinsi")
    ticket_service.fire(ticket, "return_to_district", actor=w.province, note="Arahan ...")
    ticket_service.fire(ticket, "resolve", actor=w.officer_a2, note="Sudah ada guru")
    ticket_service.fire(ticket, "reopen", actor=w.facilitator_a, note="Belum ada")
    db.session.commit()
    assert _told()[2:] == [
        (w.officer_a2.id, "assigned"),  # assigned by someone else
        (w.facilitator_a.id, "yours_assigned"),  # the facilitator hears every step
        (w.province.id, "escalated"),  # the province of the ticket only
        (w.facilitator_a.id, "yours_escalated"),
        (w.officer_a2.id, "returned"),  # the assignee, not every officer
        (w.facilitator_a.id, "yours_returned"),
        (w.facilitator_a.id, "resolved"),
        (w.officer_a2.id, "reopened"),  # the resolver
    ]
    # Every in-app notification of someone with e-mail on has its e-mail, in one transaction.
    assert db.session.scalar(select(db.func.count(OutboxMessage.id))) == len(_told())


def test_never_the_actor_nor_inactive_and_email_optional(world) -> None:
    w = world
    w.officer_a2.active = False
    w.facilitator_a.email_notifications = False
    db.session.commit()
    ticket = w.raise_ticket()
    ticket_service.fire(ticket, "assign", actor=w.officer_a, assignee=w.officer_a)  # himself
    ticket_service.fire(ticket, "resolve", actor=w.officer_a, note="Selesai")
    ticket_service.fire(ticket, "reopen", actor=w.facilitator_a, note="Belum")
    ticket_service.fire(ticket, "resolve", actor=w.officer_a, note="Selesai lagi")
    db.session.commit()
    assert _told() == [
        (w.officer_a.id, "raised"),
        (w.facilitator_a.id, "yours_assigned"),
        (w.facilitator_a.id, "resolved"),
        (w.officer_a.id, "reopened"),
        (w.facilitator_a.id, "resolved"),
    ]
    mails = db.session.scalars(select(OutboxMessage.to_address)).all()
    assert mails == [w.officer_a.email, w.officer_a.email]  # the facilitator turned e-mail off


def test_failed_transition_writes_no_notification(world) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    before = _told()
    try:
        with db.session.begin_nested():
            ticket_service.fire(ticket, "escalate", actor=world.officer_a, note="")
    except Exception:
        pass
    assert _told() == before


def test_notifications_page_badge_and_mark_read(client, world) -> None:
    ticket = world.raise_ticket()
    world.raise_ticket(title="Kedua")
    db.session.commit()
    login(client, world.officer_a)
    page = client.get("/notifications").get_data(as_text=True)
    assert ticket.number in page
    assert 'class="badge"' in page and ">2</span>" in page
    mine = db.session.scalars(
        select(Notification)
        .where(Notification.user_id == world.officer_a.id)
        .order_by(Notification.id)
    ).all()
    response = client.post(f"/notifications/{mine[0].id}/read", data={"open": "1"})
    assert response.status_code == 302 and response.location.endswith(f"/tickets/{ticket.id}")
    db.session.expire_all()
    assert db.session.get(Notification, mine[0].id).read_at is not None
    assert ">1</span>" in client.get("/notifications").get_data(as_text=True)
    # Someone else's notification is not found.
    theirs = db.session.scalars(
        select(Notification.id).where(Notification.user_id == world.officer_a2.id)
    ).first()
    assert client.post(f"/notifications/{theirs}/read").status_code == 404
    assert client.post("/notifications/read-all").status_code == 302
    db.session.expire_all()
    unread = db.session.scalars(
        select(Notification).where(
            Notification.user_id == world.officer_a.id, Notification.read_at.is_(None)
        )
    ).all()
    assert unread == []
    assert 'class="badge"' not in client.get("/notifications").get_data(as_text=True)
    # The other officer's notifications are untouched.
    assert db.session.get(Notification, theirs).read_at is None


def test_notifications_pagination(client, world, app) -> None:
    app.config["PAGE_SIZE"] = 3
    for i in range(4):
        world.raise_ticket(title=f"Masalah {i}")
    db.session.commit()
    login(client, world.officer_a)
    first = client.get("/notifications").get_data(as_text=True)
    first = first[first.index('id="notifications"') :]  # the paged list, below the groups
    assert "Masalah 3" in first and "Masalah 0" not in first and "page=2" in first
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Masalah 0" in second


def test_turning_email_off(client, world) -> None:
    login(client, world.officer_a)
    assert client.post("/notifications/settings", data={}).status_code == 302
    db.session.expire_all()
    assert world.officer_a.email_notifications is False
    world.raise_ticket()
    db.session.commit()
    assert (world.officer_a.id, "raised") in _told()
    assert world.officer_a.email not in db.session.scalars(select(OutboxMessage.to_address)).all()
    client.post("/notifications/settings", data={"email_notifications": "y"})
    db.session.expire_all()
    assert world.officer_a.email_notifications is True


def test_csrf_is_required(app, world) -> None:
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/login",
        data={"email": world.officer_a.email, "password": "Test-Password-2026",
              "csrf_token": token.group(1)},
    )  # fmt: skip
    assert response.status_code == 302
    assert client.post("/notifications/read-all").status_code == 400
    assert client.post("/notifications/settings", data={}).status_code == 400
    page = client.get("/notifications").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    assert (
        client.post("/notifications/read-all", data={"csrf_token": token.group(1)}).status_code
        == 302
    )


def test_sla_settings_page(client, world) -> None:
    login(client, world.officer_a)
    assert client.get("/sla-settings").status_code == 403
    client.post("/logout")
    login(client, world.admin)
    page = client.get("/sla-settings")
    assert page.status_code == 200
    assert client.get("/sla-settings?province=33").status_code == 404  # out of scope
    response = client.post(
        "/sla-settings?province=35",
        data={"policy-state": "raised", "policy-category_id": "0", "policy-working_days": "2"},
    )
    assert response.status_code == 302
    response = client.post(
        "/sla-settings?province=35",
        data={"dayoff-day": "2025-04-02", "dayoff-name": "Cuti bersama Idul Fitri"},
    )
    assert response.status_code == 302
    policy = db.session.scalars(select(SlaPolicy)).one()
    assert (policy.province_code, policy.category_id, policy.working_days) == ("35", None, 2)
    day = db.session.scalars(select(DayOff)).one()
    assert day.name == "Cuti bersama Idul Fitri"
    page = client.get("/sla-settings").get_data(as_text=True)
    assert "Cuti bersama Idul Fitri" in page
    bad = client.post(
        "/sla-settings?province=35",
        data={"policy-state": "raised", "policy-category_id": "0", "policy-working_days": "0"},
    )
    assert bad.status_code == 400
    assert client.post(f"/sla-settings/days-off/{day.id}/delete?province=35").status_code == 302
    assert db.session.scalars(select(DayOff)).all() == []
    actions = db.session.scalars(select(AdminLogEntry.action).order_by(AdminLogEntry.id)).all()
    assert actions == ["sla_policy_set", "day_off_added", "day_off_removed"]
    # A national administrator picks any province.
    client.post("/logout")
    login(client, world.national)
    assert client.get("/sla-settings?province=33").status_code == 200


def test_deadline_macro_renders(app, world) -> None:
    from flask import render_template_string

    with frozen_at(MONDAY_9_WIB):
        ticket = world.raise_ticket()
        db.session.commit()
    template = '{% from "notify/_deadline.html" import deadline %}{{ deadline(ticket) }}'
    with app.test_request_context(), frozen_at(datetime(2025, 3, 11, 3, 0)):
        html = render_template_string(template, ticket=ticket)
    assert "Deadline: 6 March 2025" in html
    # Friday 7, Monday 10 and Tuesday 11 March have begun since the deadline passed.
    assert "overdue by 3 working days" in html
