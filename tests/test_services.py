"""Services against a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from tests.factories import assign
from ticketing import permissions
from ticketing.errors import (
    ConflictError,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from ticketing.extensions import db
from ticketing.models import Comment, Ticket, TicketEvent
from ticketing.services import tickets as svc

# Who may see a ticket raised by facilitator_a at school_a (district 35.01, province 35).
IN_SCOPE = {"facilitator_a", "officer_a", "officer_a2", "province", "admin", "national"}
# Paths that bring a ticket to a state, with the actor of each step.
PATHS = {
    "raised": [],
    "assigned": [("assign", "officer_a")],
    "escalated": [("escalate", "officer_a")],
    "resolved_by_district": [("assign", "officer_a"), ("resolve", "officer_a")],
    "resolved_by_province": [("escalate", "officer_a"), ("resolve", "province")],
}
# (event, start) -> the users who may fire it; everyone else is refused.
ALLOWED = {
    ("assign", "raised"): {"officer_a", "officer_a2"},
    ("escalate", "raised"): {"officer_a", "officer_a2"},
    ("escalate", "assigned"): {"officer_a", "officer_a2"},
    ("resolve", "assigned"): {"officer_a", "officer_a2"},
    ("resolve", "escalated"): {"province"},
    ("return_to_district", "escalated"): {"province"},
    ("verify", "resolved_by_district"): {"facilitator_a"},
    ("reopen", "resolved_by_district"): {"facilitator_a"},
    ("reopen", "resolved_by_province"): {"facilitator_a"},
    ("withdraw", "raised"): {"facilitator_a"},
    ("withdraw", "assigned"): {"facilitator_a"},
}
EVENTS = ["assign", "escalate", "resolve", "return_to_district", "verify", "reopen", "withdraw"]


def data_for(world, event):
    return {"note": "catatan", "assignee": world.officer_a if event == "assign" else None}


def ticket_at(world, start):
    ticket = world.raise_ticket()
    users = world.users()
    for event, who in PATHS[start]:
        svc.fire(ticket, event, actor=users[who], **data_for(world, event))
    db.session.commit()
    return ticket


def event_count(ticket):
    return db.session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    )


@pytest.mark.parametrize(("event", "start"), sorted(ALLOWED))
def test_every_role_and_scope_for_each_allowed_transition(world, event, start):
    for name, user in world.users().items():
        ticket = ticket_at(world, start)
        state, events = ticket.state, event_count(ticket)
        if name in ALLOWED[(event, start)]:
            svc.fire(ticket, event, actor=user, **data_for(world, event))
            db.session.commit()
            assert ticket.state != state, name
            assert event_count(ticket) == events + 1, name
            continue
        expected = PermissionDenied if name in IN_SCOPE else NotFound
        with pytest.raises(expected):
            svc.fire(ticket, event, actor=user, **data_for(world, event))
        db.session.rollback()
        db.session.refresh(ticket)
        assert (ticket.state, event_count(ticket)) == (state, events), name


@pytest.mark.parametrize("start", [*sorted(PATHS), "verified", "withdrawn"])
def test_events_not_allowed_in_a_state_are_refused_for_everyone(world, start):
    if start in ("verified", "withdrawn"):
        ticket = ticket_at(world, "resolved_by_district" if start == "verified" else "raised")
        final_event = "verify" if start == "verified" else "withdraw"
        svc.fire(ticket, final_event, actor=world.facilitator_a, note="x")
        db.session.commit()
    else:
        ticket = ticket_at(world, start)
    state_key = "resolved" if start.startswith("resolved") else start
    for event in EVENTS:
        if any(e == event and s.startswith(state_key) for e, s in ALLOWED):
            continue
        for user in world.users().values():
            with pytest.raises((PermissionDenied, NotFound, InvalidTransition)):
                svc.fire(ticket, event, actor=user, **data_for(world, event))
            db.session.rollback()
    db.session.refresh(ticket)
    assert ticket.state == state_key


@pytest.mark.parametrize("start", ["raised", "assigned"])
def test_the_system_may_only_escalate(world, start):
    ticket = ticket_at(world, start)
    for event in EVENTS:
        if event == "escalate":
            continue
        with pytest.raises(PermissionDenied):
            svc.fire(ticket, event, actor=None, **data_for(world, event))
        db.session.rollback()
    svc.fire(ticket, "escalate", actor=None, note="Tenggat terlewati")
    db.session.commit()
    row = db.session.scalars(
        ticket.events.select().order_by(None).order_by(TicketEvent.id.desc())
    ).first()
    assert (row.event, row.actor_id, row.note) == ("escalate", None, "Tenggat terlewati")


def test_raise_routes_to_the_schools_district_and_writes_the_first_audit_row(world):
    ticket = world.raise_ticket(facilitator=world.facilitator_b, school=world.school_b)
    db.session.commit()
    assert (ticket.state, ticket.district_code, ticket.province_code) == ("raised", "35.02", "35")
    assert re.fullmatch(r"ESK-\d{4}-\d{6}", ticket.number)
    rows = db.session.scalars(ticket.events.select()).all()
    assert [(r.event, r.from_state, r.to_state, r.actor_id) for r in rows] == [
        ("raise", None, "raised", world.facilitator_b.id)
    ]
    assert permissions.can_view(world.officer_b, ticket)
    assert not permissions.can_view(world.officer_a, ticket)


def test_numbers_count_up_within_the_year(world):
    first = world.raise_ticket()
    second = world.raise_ticket()
    assert int(second.number[-6:]) == int(first.number[-6:]) + 1


@pytest.mark.parametrize(
    "who", ["facilitator_a2", "facilitator_b", "officer_a", "province", "admin"]
)
def test_only_the_schools_facilitators_may_raise(world, who):
    with pytest.raises(PermissionDenied):
        world.raise_ticket(facilitator=world.users()[who], school=world.school_a)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


@pytest.mark.parametrize(
    ("title", "description"), [("", "x"), ("   ", "x"), ("t", ""), ("x" * 201, "d")]
)
def test_raise_refuses_bad_input(world, title, description):
    with pytest.raises(InvalidInput):
        svc.raise_ticket(world.facilitator_a, school=world.school_a, category=world.category,
                         title=title, description=description)  # fmt: skip


def test_a_disabled_account_can_do_nothing(world):
    ticket = ticket_at(world, "raised")
    world.officer_a.active = False
    db.session.commit()
    with pytest.raises(NotFound):
        svc.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a2)
    assert db.session.execute(permissions.visible_tickets(world.officer_a)).first() is None


def test_a_stale_version_is_a_conflict_and_writes_nothing(world):
    ticket = ticket_at(world, "raised")
    seen = ticket.version_id
    svc.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    db.session.commit()
    events = event_count(ticket)
    with pytest.raises(ConflictError):
        svc.fire(ticket, "escalate", actor=world.officer_a2, note="x", expected_version=seen)
    db.session.rollback()
    db.session.refresh(ticket)
    assert (ticket.state, event_count(ticket)) == ("assigned", events)


def test_reopen_goes_back_to_the_resolving_tier(world):
    by_district = ticket_at(world, "resolved_by_district")
    by_province = ticket_at(world, "resolved_by_province")
    for ticket in (by_district, by_province):
        svc.fire(ticket, "reopen", actor=world.facilitator_a, note="Belum beres")
    db.session.commit()
    assert (by_district.state, by_district.reopen_count) == ("assigned", 1)
    assert (by_province.state, by_province.reopen_count) == ("escalated", 1)


def test_verify_needs_the_tickets_facilitator_even_after_hand_over(world):
    ticket = ticket_at(world, "resolved_by_district")
    newcomer = world.facilitator_a2
    assign(newcomer, world.school_a)
    with pytest.raises(PermissionDenied):
        svc.hand_over(ticket, actor=world.province, facilitator=newcomer)
    with pytest.raises(PermissionDenied):
        svc.hand_over(ticket, actor=world.admin_c, facilitator=newcomer)
    with pytest.raises(InvalidInput):
        svc.hand_over(ticket, actor=world.admin, facilitator=world.facilitator_b)
    svc.hand_over(ticket, actor=world.admin, facilitator=newcomer, note="FSP lama mundur")
    db.session.commit()
    with pytest.raises(PermissionDenied):
        svc.fire(ticket, "verify", actor=world.facilitator_a)
    for user in (world.admin, world.national, world.province, world.officer_a):
        with pytest.raises(PermissionDenied):
            svc.fire(ticket, "verify", actor=user)
    db.session.rollback()
    svc.fire(ticket, "verify", actor=newcomer)
    db.session.commit()
    events = db.session.scalars(ticket.events.select().order_by(TicketEvent.id)).all()
    assert [e.event for e in events][-2:] == ["hand_over", "verify"]
    assert events[-1].actor_id == newcomer.id


def test_comments_need_scope_and_text(world):
    ticket = ticket_at(world, "raised")
    svc.add_comment(ticket, actor=world.province, body="Akan dibahas di rapat PMO.")
    with pytest.raises(NotFound):
        svc.add_comment(ticket, actor=world.officer_b, body="x")
    with pytest.raises(InvalidInput):
        svc.add_comment(ticket, actor=world.officer_a, body="  ")
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1


def test_scope_of_lists(world):
    a = world.raise_ticket()
    b = world.raise_ticket(facilitator=world.facilitator_b, school=world.school_b)
    c = world.raise_ticket(facilitator=world.facilitator_c, school=world.school_c)
    db.session.commit()
    expected = {
        "facilitator_a": {a}, "facilitator_a2": set(), "facilitator_b": {b},
        "facilitator_c": {c}, "officer_a": {a}, "officer_a2": {a}, "officer_b": {b},
        "officer_c": {c}, "province": {a, b}, "province_c": {c}, "admin": {a, b},
        "admin_c": {c}, "national": {a, b, c}, "central": set(), "expert": set(), "expert_c": set(),
    }  # fmt: skip
    for name, user in world.users().items():
        seen = set(db.session.scalars(permissions.visible_tickets(user)))
        assert seen == expected[name], name
        for ticket in (a, b, c):
            assert permissions.can_view(user, ticket) == (ticket in expected[name]), name
    assert set(db.session.scalars(permissions.visible_tickets(None))) == set()


def test_the_audit_trail_is_append_only(world):
    ticket = ticket_at(world, "assigned")
    row = db.session.scalars(ticket.events.select()).first()
    row.note = "rewritten"
    with pytest.raises(PermissionError):
        db.session.flush()
    db.session.rollback()
    for statement in ("UPDATE ticket_events SET note = 'x'", "DELETE FROM ticket_events"):
        with pytest.raises(sa.exc.DatabaseError):
            db.session.execute(sa.text(statement))
        db.session.rollback()
    assert event_count(ticket) == 2


def test_state_column_refuses_garbage(world):
    ticket = ticket_at(world, "raised")
    with pytest.raises(sa.exc.IntegrityError):
        db.session.execute(
            sa.text("UPDATE tickets SET state = 'done' WHERE id = :i"), {"i": ticket.id}
        )
    db.session.rollback()
