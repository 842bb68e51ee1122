"""Notifications for a busy officer: grouped by kind in the app, one daily digest e-mail."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import func, select

from tests.factories import login
from ticketing.extensions import db
from ticketing.models import Notification, OutboxMessage
from ticketing.notifications import send_digests


def _outbox(user: Any) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id)))


def test_grouped_notifications_and_the_digest_setting(client: Any, world: Any) -> None:
    login(client, world.officer_a)
    response = client.post(
        "/notifications/settings", data={"email_notifications": "y", "email_digest": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert world.officer_a.email_digest
    tickets = [world.raise_ticket(title=f"Masalah {i}") for i in range(3)]
    db.session.commit()
    # No e-mail per event for the digest user; the other officer still gets them.
    assert _outbox(world.officer_a) == []
    assert len(_outbox(world.officer_a2)) == 3
    page = client.get("/notifications").get_data(as_text=True)
    assert 'id="notification-groups"' in page and "3 notifications" in page
    assert all(t.number in page for t in tickets)

    assert send_digests() == 1
    mails = _outbox(world.officer_a)
    assert len(mails) == 1 and "3" in mails[0].subject
    assert all(t.number in mails[0].body_text for t in tickets)
    assert send_digests() == 0  # nothing new: no second digest

    response = client.post("/notifications/read-kind/raised")
    assert response.status_code == 302
    unread = db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == world.officer_a.id, Notification.read_at.is_(None))
    )
    assert unread == 0
    assert 'id="notification-groups"' not in client.get("/notifications").get_data(as_text=True)


def test_digest_is_sent_once_when_two_hosts_run_it(app: Any, world: Any) -> None:
    world.officer_a.email_digest = True
    for i in range(5):
        world.raise_ticket(title=f"Masalah {i}")
    db.session.commit()
    if db.engine.dialect.name != "postgresql":
        # SQLite serialises writers anyway; the claim is the same UPDATE.
        assert send_digests() == 1
        assert send_digests() == 0
        return
    results: list[int] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        with app.app_context():
            barrier.wait()
            results.append(send_digests())
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db.session.expire_all()
    assert sorted(results) == [0, 1] or sum(results) == 1
    assert len(_outbox(world.officer_a)) == 1
