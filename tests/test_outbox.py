"""E-mail through a real SMTP server (aiosmtpd on a free loopback port): content, language,
link, retries with backoff, exactly-once delivery."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from ticketing import notifications
from ticketing.clock import frozen_at
from ticketing.extensions import db
from ticketing.models import OutboxMessage

MONDAY_9_WIB = datetime(2025, 3, 3, 2, 0)


class Inbox:
    """An aiosmtpd handler that keeps messages; it can refuse the first N with 451."""

    def __init__(self, refuse_first: int = 0) -> None:
        self.refuse = refuse_first
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            if self.refuse > 0:
                self.refuse -= 1
                return "451 Requested action aborted: try again later"
            parsed = message_from_bytes(envelope.content, policy=policy.default)
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp(app) -> Iterator[Any]:
    def start(refuse_first: int = 0) -> Inbox:
        inbox = Inbox(refuse_first)
        port = _free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        app.config.update(
            MAIL_SERVER="127.0.0.1",
            MAIL_PORT=port,
            MAIL_USE_TLS=False,
            MAIL_SENDER="eskalasi@example.id",
            BASE_URL="https://eskalasi.example.id",
        )
        return inbox

    started: list[Controller] = []
    yield start
    for controller in started:
        controller.stop()


def _body(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


@pytest.mark.indonesian
def test_new_ticket_mail_in_each_recipients_language_with_link(world, smtp) -> None:
    inbox = smtp()
    world.officer_a.locale = "en"  # officer A reads English, officer A2 Indonesian
    db.session.commit()
    with frozen_at(MONDAY_9_WIB):
        ticket = world.raise_ticket()
        db.session.commit()
        result = notifications.send_outbox()
    assert result.sent == 2 and result.failed == 0
    link = f"https://eskalasi.example.id/tickets/{ticket.id}"

    (english,) = inbox.to(world.officer_a.email)
    assert english["Subject"] == f"New ticket {ticket.number}: {ticket.title}"
    assert english["From"] == "eskalasi@example.id"
    body = _body(english)
    assert "A facilitator raised a new problem for your district." in body
    assert link in body
    assert world.school_a.npsn in body
    # The deadline is shown as its last working day (it ends at midnight after it).
    assert "Deadline: end of 6 March 2025" in body

    (indonesian,) = inbox.to(world.officer_a2.email)
    assert indonesian["Subject"] == f"Tiket baru {ticket.number}: {ticket.title}"
    body = _body(indonesian)
    assert "Seorang fasilitator mengajukan isu baru" in body
    assert "Tenggat: akhir hari 6 Maret 2025" in body
    assert link in body

    # Nobody else heard of it: not the facilitator who raised it, not another district.
    assert {m["To"] for m in inbox.messages} == {world.officer_a.email, world.officer_a2.email}
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert all(r.sent_at is not None and r.attempts == 0 for r in rows)
    # Sending again sends nothing.
    with frozen_at(MONDAY_9_WIB + timedelta(minutes=5)):
        assert notifications.send_outbox().sent == 0
    assert len(inbox.messages) == 2


def test_refused_then_accepted_arrives_exactly_once(world, smtp) -> None:
    inbox = smtp(refuse_first=1)
    world.officer_a2.email_notifications = False  # only officer A gets an e-mail
    db.session.commit()
    with frozen_at(MONDAY_9_WIB):
        world.raise_ticket()
        db.session.commit()
        first = notifications.send_outbox()
    assert (first.sent, first.failed) == (0, 1)
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.attempts == 1 and row.sent_at is None
    assert "451" in (row.last_error or "")
    assert row.next_attempt_at == MONDAY_9_WIB + timedelta(minutes=1)
    # Not due yet: nothing is tried.
    with frozen_at(MONDAY_9_WIB + timedelta(seconds=30)):
        assert notifications.send_outbox().sent == 0
    with frozen_at(MONDAY_9_WIB + timedelta(minutes=1)):
        second = notifications.send_outbox()
    assert (second.sent, second.failed) == (1, 0)
    with frozen_at(MONDAY_9_WIB + timedelta(minutes=30)):
        assert notifications.send_outbox().sent == 0
    assert len(inbox.messages) == 1
    assert inbox.messages[0]["To"] == world.officer_a.email
    db.session.refresh(row)
    assert row.sent_at is not None and row.attempts == 1


def test_backoff_grows_and_is_capped(world, smtp) -> None:
    assert [notifications.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert notifications.backoff(30) == timedelta(hours=4)
    inbox = smtp(refuse_first=3)
    world.officer_a2.email_notifications = False
    db.session.commit()
    moment = MONDAY_9_WIB
    with frozen_at(moment):
        world.raise_ticket()
        db.session.commit()
    waits = []
    for _ in range(3):
        with frozen_at(moment):
            assert notifications.send_outbox().failed == 1
        row = db.session.scalars(select(OutboxMessage)).one()
        waits.append(row.next_attempt_at - moment)
        moment = row.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    with frozen_at(moment):
        assert notifications.send_outbox().sent == 1
    assert len(inbox.messages) == 1


def test_down_server_keeps_messages(world, app) -> None:
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=_free_port())  # nothing listens
    with frozen_at(MONDAY_9_WIB):
        world.raise_ticket()
        db.session.commit()
        result = notifications.send_outbox()
    assert result.failed == 2
    rows = db.session.scalars(select(OutboxMessage)).all()
    assert len(rows) == 2 and all(r.sent_at is None and r.attempts == 1 for r in rows)


# Row locks only mean something on PostgreSQL: this test runs there alone.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_two_senders_at_once_send_each_message_once(app, world, smtp, database_url) -> None:
    inbox = smtp()
    with frozen_at(MONDAY_9_WIB):
        for i in range(15):
            world.raise_ticket(title=f"Masalah {i}")
        db.session.commit()
    expected = db.session.scalar(select(db.func.count(OutboxMessage.id)))
    barrier = threading.Barrier(2)
    errors: list[Exception] = []

    def send() -> None:
        try:
            with app.app_context(), frozen_at(MONDAY_9_WIB):
                barrier.wait(timeout=30)
                notifications.send_outbox(batch_size=3)
                db.session.remove()
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    ids = [m["X-Outbox-Id"] for m in inbox.messages]
    assert len(ids) == expected == len(set(ids))


def test_cli_commands(world, smtp, app) -> None:
    inbox = smtp()
    with frozen_at(MONDAY_9_WIB):
        world.raise_ticket()
        db.session.commit()
    runner = app.test_cli_runner()
    with frozen_at(datetime(2025, 3, 7, 3, 0)):
        out = runner.invoke(args=["jobs", "run"])
    assert out.exit_code == 0, out.output
    assert "escalated 1" in out.output and "sent 4" in out.output
    # 2 officers on the new ticket, then the province and the facilitator on the escalation.
    assert len(inbox.messages) == 4
    with frozen_at(datetime(2025, 3, 7, 3, 5)):
        out = runner.invoke(args=["sla", "sweep"])
        assert "escalated 0" in out.output
        out = runner.invoke(args=["outbox", "send"])
        assert "sent 0" in out.output
    app.config["MAIL_SERVER"] = None
    out = runner.invoke(args=["outbox", "send"])
    assert out.exit_code != 0 and "MAIL_SERVER" in out.output
