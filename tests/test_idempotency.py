"""A raise carries an idempotency key: a retried or doubled raise is one ticket."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import func, select

from tests.factories import login
from ticketing.extensions import db
from ticketing.models import Category, School, Ticket, TicketEvent, User
from ticketing.services import tickets as svc


def _raise(world, key, facilitator=None, school=None, title="Tidak ada guru"):
    return svc.raise_ticket(
        facilitator or world.facilitator_a, school=school or world.school_a,
        category=world.category, title=title, description="Sejak Juli.",
        idempotency_key=key,
    )  # fmt: skip


def _count(model=Ticket) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_same_key_returns_the_same_ticket(app, world):
    first = _raise(world, "k-1")
    db.session.commit()
    again = _raise(world, "k-1", title="Another title")
    db.session.commit()
    assert again.id == first.id and again.title == "Tidak ada guru"
    assert _count() == 1
    assert _count(TicketEvent) == 1  # no second audit row


def test_keys_are_per_facilitator_and_none_means_always_new(app, world):
    a = _raise(world, "same")
    b = _raise(world, "same", facilitator=world.facilitator_b, school=world.school_b)
    c = _raise(world, None)
    d = _raise(world, None)
    db.session.commit()
    assert len({a.id, b.id, c.id, d.id}) == 4


def test_a_too_long_key_is_refused(app, world):
    from ticketing.errors import InvalidInput

    with pytest.raises(InvalidInput):
        _raise(world, "x" * 65)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_raises_with_one_key_at_the_same_moment_make_one_ticket(app, world):
    ids = {"user": world.facilitator_a.id, "school": world.school_a.id, "cat": world.category.id}
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def attempt() -> None:
        with app.app_context():
            session = db.session
            try:
                actor = session.get(User, ids["user"])
                school = session.get(School, ids["school"])
                barrier.wait(timeout=10)
                category = session.get(Category, ids["cat"])
                ticket = svc.raise_ticket(actor, school=school, category=category,
                                          title="Dua kali", description="Ketuk ganda.",
                                          idempotency_key="race-key")  # fmt: skip
                session.commit()
                results.append(ticket.id)
            except BaseException as exc:
                session.rollback()
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert len(results) == 2 and results[0] == results[1]
    db.session.expire_all()
    assert _count() == 1
    # The loser's ticket number was rolled back with its savepoint: no gap in the numbering.
    assert db.session.scalar(select(Ticket.number)).endswith("-000001")


def test_the_raise_form_carries_a_key_and_a_doubled_post_makes_one_ticket(app, client, world):
    login(client, world.facilitator_a)
    page = client.get("/tickets/new").get_data(as_text=True)
    key = re.search(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"', page)
    assert key is not None
    other = client.get("/tickets/new").get_data(as_text=True)
    assert key.group(1) not in other  # a new key per render
    data = {"school": world.school_a.id, "category": world.category.id, "title": "Atap bocor",
            "description": "Ruang kelas 3.", "idempotency_key": key.group(1)}  # fmt: skip
    first = client.post("/tickets/new", data=data)
    second = client.post("/tickets/new", data=data)
    assert first.status_code == second.status_code == 302
    assert first.headers["Location"] == second.headers["Location"]
    assert _count() == 1


def test_a_repeat_after_a_hand_over_is_still_the_same_ticket(app, world):
    """The key belongs to whoever raised: handed to another facilitator, a late repeat (an
    offline submission sent again) still finds the ticket instead of raising a second one."""
    from tests.factories import assign

    first = _raise(world, "k-hand")
    assign(world.facilitator_a2, world.school_a)
    svc.hand_over(first, actor=world.admin, facilitator=world.facilitator_a2)
    db.session.commit()
    assert first.facilitator_id == world.facilitator_a2.id
    assert first.raised_by_id == world.facilitator_a.id
    again = _raise(world, "k-hand", title="Dikirim ulang")
    db.session.commit()
    assert again.id == first.id and _count() == 1
    # The new facilitator's own keys are theirs: the same string raises their own ticket.
    theirs = _raise(world, "k-hand", facilitator=world.facilitator_a2)
    db.session.commit()
    assert theirs.id != first.id and _count() == 2


def test_a_repeat_through_the_form_after_a_hand_over(app, client, world):
    """Through the raise form: no second ticket; a raiser who no longer sees the ticket is
    told where it went instead of landing on a page they may not read."""
    from tests.factories import assign

    login(client, world.facilitator_a)
    data = {"school": world.school_a.id, "category": world.category.id, "title": "Atap bocor",
            "description": "Ruang kelas 3.", "idempotency_key": "f" * 32}  # fmt: skip
    assert client.post("/tickets/new", data=data).status_code == 302
    ticket = db.session.scalars(select(Ticket)).one()
    # The facilitator leaves the school; an administrator hands the ticket to the new one.
    from ticketing.models import SchoolAssignment

    db.session.execute(
        SchoolAssignment.__table__.delete().where(
            SchoolAssignment.facilitator_id == world.facilitator_a.id
        )
    )
    assign(world.facilitator_a2, world.school_a)
    svc.hand_over(ticket, actor=world.admin, facilitator=world.facilitator_a2)
    db.session.commit()
    again = client.post("/tickets/new", data=data)
    assert again.status_code == 302 and _count() == 1
    assert again.headers["Location"].endswith("/")
    page = client.get("/").get_data(as_text=True)
    assert ticket.number in page and "another facilitator" in page
