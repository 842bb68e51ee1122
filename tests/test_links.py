"""Ticket links: recurrence, related, duplicate; audited on both tickets, never a state change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.factories import World, login
from ticketing.clock import frozen_at, utcnow
from ticketing.errors import InvalidInput, NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.models import Ticket, TicketEvent, TicketLink
from ticketing.services import links
from ticketing.services import tickets as ticket_service


def closed(world: World, days_ago: int = 10, title: str = "Listrik padam") -> Ticket:
    """A verified ticket of school A, raised and closed ``days_ago``."""
    with frozen_at(utcnow() - timedelta(days=days_ago)):
        old = world.raise_ticket(title=title)
        ticket_service.fire(old, "assign", actor=world.officer_a, assignee=world.officer_a)
        ticket_service.fire(old, "resolve", actor=world.officer_a, note="beres")
        ticket_service.fire(old, "verify", actor=world.facilitator_a)
    return old


def events(ticket: Ticket) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    )


def test_link_is_audited_on_both_tickets_without_a_state_change(world: World) -> None:
    old = closed(world)
    new = world.raise_ticket()
    db.session.commit()
    versions = (old.version_id, new.version_id)
    row = links.link(new, old, kind="recurrence", actor=world.officer_a)
    db.session.commit()
    assert (old.state, new.state) == ("verified", "raised")
    assert (old.version_id, new.version_id) == versions
    last_new, last_old = events(new)[-1], events(old)[-1]
    assert (last_new.event, last_new.note, last_new.from_state, last_new.to_state) == (
        "link_recurrence", old.number, "raised", "raised")  # fmt: skip
    assert (last_old.event, last_old.note, last_old.to_state) == (
        "link_recurrence", new.number, "verified")  # fmt: skip
    assert [x.other.id for x in links.links_of(new)] == [old.id]
    assert [(x.other.id, x.direction) for x in links.links_of(old)] == [(new.id, "from")]
    links.unlink(row, actor=world.officer_a2)
    db.session.commit()
    assert links.links_of(new) == [] and links.links_of(old) == []
    assert events(new)[-1].event == events(old)[-1].event == "unlink_recurrence"


def test_link_rules(world: World) -> None:
    old = closed(world)
    new = world.raise_ticket()
    open_other = world.raise_ticket(title="Lain")
    other_school = world.raise_ticket(world.facilitator_a2, world.school_a2)
    with pytest.raises(InvalidInput):
        links.link(new, new, kind="related", actor=world.officer_a)
    with pytest.raises(InvalidInput):
        links.link(new, old, kind="sideways", actor=world.officer_a)
    with pytest.raises(InvalidInput):  # a recurrence needs an earlier closed ticket
        links.link(new, open_other, kind="recurrence", actor=world.officer_a)
    with pytest.raises(InvalidInput):
        links.link(old, new, kind="recurrence", actor=world.officer_a)
    links.link(new, open_other, kind="related", actor=world.officer_a)
    with pytest.raises(InvalidInput):  # either direction counts as the same pair
        links.link(open_other, new, kind="related", actor=world.officer_a)
    links.link(new, other_school, kind="duplicate", actor=world.officer_a)
    with pytest.raises(PermissionDenied):  # facilitators link only a recurrence
        links.link(new, open_other, kind="duplicate", actor=world.facilitator_a)
    with pytest.raises(NotFound):  # out of scope: the other district's officer
        links.link(new, old, kind="recurrence", actor=world.officer_b)
    with pytest.raises(PermissionDenied):  # in scope, but administrators do not link
        links.link(new, old, kind="recurrence", actor=world.admin)
    row = links.link(new, old, kind="recurrence", actor=world.facilitator_a)
    with pytest.raises(PermissionDenied):  # removing is an officer's judgement
        links.unlink(row, actor=world.facilitator_a)
    db.session.commit()


def test_database_refuses_self_links_and_repeats(world: World) -> None:
    old = closed(world)
    new = world.raise_ticket()
    db.session.add(TicketLink(ticket=new, other=new, kind="related"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    db.session.add(TicketLink(ticket_id=new.id, other_ticket_id=old.id, kind="related"))
    db.session.add(TicketLink(ticket_id=new.id, other_ticket_id=old.id, kind="related"))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_both_pages_show_the_link_and_officers_manage_it(app, client, world: World) -> None:
    old = closed(world)
    new = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a)
    page = client.get(f"/tickets/{new.id}").get_data(as_text=True)
    assert "Link another ticket" in page
    response = client.post(
        f"/tickets/{new.id}/links", data={"number": old.number.lower(), "kind": "recurrence"}
    )
    assert response.status_code == 302
    new_page = client.get(f"/tickets/{new.id}").get_data(as_text=True)
    old_page = client.get(f"/tickets/{old.id}").get_data(as_text=True)
    assert "Recurrence of" in new_page and old.number in new_page
    assert "Came back as" in old_page and new.number in old_page
    assert "Remove link" in new_page
    bad = client.post(f"/tickets/{new.id}/links", data={"number": "ESK-1-1", "kind": "related"})
    assert bad.status_code == 302
    assert "No ticket" in client.get(f"/tickets/{new.id}").get_data(as_text=True)
    row = db.session.scalars(select(TicketLink)).one()
    assert client.post(f"/tickets/{new.id}/links/{row.id}/delete").status_code == 302
    assert db.session.scalars(select(TicketLink)).first() is None
