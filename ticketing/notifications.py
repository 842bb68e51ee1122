"""Who hears about what: in-app notifications and e-mails through the outbox table.

A hook on every ticket change writes ``Notification`` rows and, for people who want e-mail,
``OutboxMessage`` rows, in the same transaction as the change. ``send_outbox`` (the
``flask outbox send`` command) delivers them over SMTP with retries and backoff.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from flask import Flask, current_app, g, has_request_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, insert, select, update

from ticketing import sla
from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import (
    Notification,
    OutboxMessage,
    Ticket,
    TicketEvent,
    User,
)
from ticketing.services import tickets as ticket_service
from ticketing.services import users as user_service
from ticketing.vocabulary import STATE_TIER, State, Tier

log = logging.getLogger(__name__)

KIND_LABELS = {
    "raised": _l("New ticket for your district"),
    "assigned": _l("A ticket was assigned to you"),
    "returned": _l("Returned to the district by the province"),
    "escalated": _l("Escalated to the province"),
    "auto_escalated": _l("Escalated automatically: the district deadline passed"),
    "resolved": _l("Resolved: please verify the fix"),
    "reopened": _l("Reopened: the fix did not work"),
    "overdue": _l("Overdue: past the province deadline"),
    "referred": _l("Referred to the central PMO"),
    "returned_to_province": _l("Returned to the province by the central PMO"),
    "overdue_central": _l("Overdue: past the central PMO deadline"),
    "consulted": _l("An expert asks for your answer"),
    "consultation_answered": _l("An expert answered your question"),
    "consultation_overdue": _l("Overdue: an answer you were asked for"),
    "verify_reminder": _l("Reminder: please verify the fix"),
    # What the facilitator hears about their own ticket.
    "yours_assigned": _l("Your ticket is now handled by an officer"),
    "yours_escalated": _l("Your ticket was escalated to the province"),
    "yours_returned": _l("Your ticket was returned to the district"),
}
# Kinds that name the officer now holding the ticket (shown with the notification).
NAMES_OFFICER = ("yours_assigned", "yours_returned")
LANGUAGES = ("id", "en")
# A claimed message is left alone this long by other senders (a crashed sender's lease expires).
CLAIM_LEASE = timedelta(minutes=10)
BACKOFF_CAP_MINUTES = 240


# --- Who hears what -------------------------------------------------------------------------


class Officers:
    """Active officers per scope, looked up once for a batch of changes or reminders."""

    def __init__(self) -> None:
        self._found: dict[tuple[str | None, str | None, bool], list[User]] = {}

    def of(
        self, *, district_code: str | None = None, province_code: str | None = None,
        central: bool = False,
    ) -> list[User]:  # fmt: skip
        """``users.active_officers`` with these arguments, asked once per batch."""
        key = (district_code, province_code, central)
        if key not in self._found:
            self._found[key] = user_service.active_officers(
                district_code=district_code, province_code=province_code, central=central
            )
        return self._found[key]


def _district_officers(ticket: Ticket, officers: Officers) -> list[User]:
    """The assignee if there is one, else every active officer of the ticket's district."""
    if ticket.assignee is not None and ticket.assignee.active:
        return [ticket.assignee]
    return officers.of(district_code=ticket.district_code)


def _province_officers(ticket: Ticket, officers: Officers) -> list[User]:
    """Every active province PMO officer of the ticket's province."""
    return officers.of(province_code=ticket.province_code)


def _central_officers(_ticket: Ticket, officers: Officers) -> list[User]:
    """Every active central PMO officer (national scope)."""
    return officers.of(central=True)


def _last_resolver(ticket: Ticket) -> list[User]:
    """The actor of the ticket's last resolve event."""
    actor = db.session.scalars(
        select(User)
        .join(TicketEvent, TicketEvent.actor_id == User.id)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.event == "resolve")
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).first()
    return [actor] if actor is not None else []


def _recipients(change: ticket_service.Change, officers: Officers) -> list[tuple[list[User], str]]:
    """(people, kind) pairs for one state change."""
    ticket, event = change.ticket, change.event
    if event == "raise":
        return [(_district_officers(ticket, officers), "raised")]
    if event == "assign":
        return [
            ([ticket.assignee] if ticket.assignee else [], "assigned"),
            ([ticket.facilitator], "yours_assigned"),
        ]
    if event == "return_to_district":
        return [
            (_district_officers(ticket, officers), "returned"),
            ([ticket.facilitator], "yours_returned"),
        ]
    if event == "escalate" and change.actor is None:
        # The system acted: the province must act, the facilitator should know.
        return [
            (_province_officers(ticket, officers), "auto_escalated"),
            ([ticket.facilitator], "auto_escalated"),
        ]
    if event == "escalate":
        return [
            (_province_officers(ticket, officers), "escalated"),
            ([ticket.facilitator], "yours_escalated"),
        ]
    if event == "refer_to_central":
        return [(_central_officers(ticket, officers), "referred")]
    if event == "return_to_province":
        return [(_province_officers(ticket, officers), "returned_to_province")]
    if event == "resolve":
        return [([ticket.facilitator], "resolved")]
    if event == "reopen":
        return [(_last_resolver(ticket), "reopened")]
    return []


def notify_change(change: ticket_service.Change) -> None:
    """Tell the people concerned; runs inside the transaction of the change."""
    notify_changes([change])


def notify_changes(changes: Sequence[ticket_service.Change]) -> None:
    """``notify_change`` for several changes, in their order, with one flush for all."""
    officers, rows = Officers(), _Rows()
    # The rows are written once at the end, not before each look-up of officers.
    with db.session.no_autoflush:
        for change in changes:
            # The note of the change's own audit row, which is the ticket's latest.
            row = change.audit_row
            note = row.note if row is not None else _latest_note(change.ticket)
            for users, kind in _recipients(change, officers):
                _add(rows, users, change.ticket, kind, actor=change.actor, note=note)
    _flush(rows)


def notify_moved(ticket: Ticket, *, actor: User | None) -> None:
    """A raised ticket now belongs to another district (its school was corrected): for that
    district's officers it is a new ticket."""
    notify(_district_officers(ticket, Officers()), ticket, "raised", actor=actor)


def _latest_note(ticket: Ticket) -> str | None:
    return db.session.scalars(
        select(TicketEvent.note)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).first()


def notify_overdue(ticket: Ticket, now: datetime) -> None:
    """Remind the officers of the ticket's tier (province or central) that it is overdue."""
    notify_overdue_all([ticket], now)


def notify_overdue_all(tickets: Sequence[Ticket], now: datetime) -> None:
    """``notify_overdue`` for several tickets, with one flush for all."""
    officers, rows = Officers(), _Rows()
    with db.session.no_autoflush:  # written once at the end
        for ticket in tickets:
            if STATE_TIER.get(State(ticket.state)) == Tier.CENTRAL:
                users, kind = _central_officers(ticket, officers), "overdue_central"
            else:
                users, kind = _province_officers(ticket, officers), "overdue"
            _add(rows, users, ticket, kind, actor=None, now=now)
    _flush(rows)


def notify_verify_reminder(ticket: Ticket, now: datetime) -> None:
    """Remind the facilitator to verify (or reopen) a resolved ticket."""
    notify_verify_reminders([ticket], now)


def notify_verify_reminders(tickets: Sequence[Ticket], now: datetime) -> None:
    """``notify_verify_reminder`` for several tickets, with one flush for all."""
    rows = _Rows()
    with db.session.no_autoflush:  # written once at the end
        for ticket in tickets:
            _add(rows, [ticket.facilitator], ticket, "verify_reminder", actor=None, now=now)
    _flush(rows)


def notify(
    users: list[User],
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    note: str | None = None,
    now: datetime | None = None,
) -> int:
    """Write a notification (and an e-mail, if wanted) for each person; never to the actor."""
    rows = _Rows()
    written = _add(rows, users, ticket, kind, actor=actor, note=note, now=now)
    _flush(rows)
    return written


class _Rows(list[dict[str, Any]]):
    """Notification rows to insert together (a batch writes thousands: no ORM objects)."""


def _add(
    rows: _Rows,
    users: list[User],
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    note: str | None = None,
    now: datetime | None = None,
) -> int:
    """``notify`` without the writing (a batch writes once): the rows are added to ``rows``."""
    now = now or utcnow()
    seen: set[int] = set()
    written = 0
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        if actor is not None and user.id == actor.id:
            continue
        # Users who chose the daily digest get this one in `flask outbox digest`; for the
        # others it is done with (e-mailed now, or no e-mail wanted).
        digest = user.email_notifications and user.email_digest
        rows.append(
            {
                "user_id": user.id,
                "ticket_id": ticket.id,
                "kind": kind,
                "actor_id": actor.id if actor is not None else None,
                "created_at": now,
                "read_at": None,
                "digested_at": None if digest else now,
            }
        )
        if user.email_notifications and not digest:
            subject, body = render_email(user, ticket, kind, note=note, now=now)
            queue_email(user, subject, body, now=now)
        written += 1
    return written


def _flush(rows: _Rows) -> None:
    """Insert the notification rows (one executemany), and flush the e-mails queued."""
    if rows:
        db.session.execute(insert(Notification.__table__), rows)
    db.session.flush()
    forget_unread()


def forget_unread() -> None:
    """Drop the badge count the user loader brought (notifications were written or read)."""
    if has_request_context():
        g.pop("unread_notifications", None)


def queue_email(user: User, subject: str, body: str, *, now: datetime | None = None) -> None:
    """Put an e-mail in the outbox, in the caller's transaction; `flask outbox send` sends it."""
    now = now or utcnow()
    db.session.add(
        OutboxMessage(
            user_id=user.id,
            to_address=user.email,
            subject=subject,
            body_text=body,
            created_at=now,
            next_attempt_at=now,
        )
    )


def ticket_url(ticket: Ticket) -> str:
    """The absolute link to the ticket page."""
    return f"{current_app.config['BASE_URL'].rstrip('/')}/tickets/{ticket.id}"


def render_email(
    user: User, ticket: Ticket, kind: str, *, note: str | None, now: datetime
) -> tuple[str, str]:
    """Subject and body in the recipient's language (templates/email/notification.<lang>.txt)."""
    lang = user.locale if user.locale in LANGUAGES else "id"
    # Rendered from the environment directly: no request globals or context processors
    # (the unread badge) are needed in an e-mail.
    template = current_app.jinja_env.get_template(f"email/notification.{lang}.txt")
    with force_locale(lang):
        text = template.render(
            user=user,
            ticket=ticket,
            kind=kind,
            note=note,
            link=ticket_url(ticket),
            overdue=sla.overdue_days(ticket, now),
        )
    subject, _sep, body = text.strip().partition("\n")
    return subject.strip()[:255], body.strip() + "\n"


# --- In-app helpers -------------------------------------------------------------------------


def unread_count(user: Any) -> int:
    """Unread notifications of a user (one indexed count)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return 0
    # Counted by the user loader with the user, in the same query, when this request signed in.
    known = g.get("unread_notifications") if has_request_context() else None
    if known is not None and known[0] == user.id:
        return int(known[1])
    return int(
        db.session.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == user.id, Notification.read_at.is_(None)
            )
        )
        or 0
    )


def init_app(app: Flask) -> None:
    """Unread count on every page; notification labels for templates."""

    @app.context_processor
    def _unread() -> dict[str, Any]:
        return {
            "unread_notifications": unread_count(current_user),
            "KIND_LABELS": KIND_LABELS,
            "NAMES_OFFICER": NAMES_OFFICER,
        }


# --- The outbox sender ----------------------------------------------------------------------


@dataclass
class SendResult:
    """What one run of the sender did."""

    sent: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, failed {self.failed}"


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 1, 2, 4, ... minutes, at most four hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), BACKOFF_CAP_MINUTES))


def _claim(now: datetime, limit: int) -> list[int]:
    """Take up to ``limit`` due messages for this sender; commits the claim.

    A claim moves next_attempt_at forward by a lease with a compare-and-set UPDATE, so two
    senders never take the same message (on PostgreSQL the SELECT also skips locked rows).
    """
    query = (
        select(OutboxMessage.id, OutboxMessage.next_attempt_at)
        .where(OutboxMessage.sent_at.is_(None), OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    claimed: list[int] = []
    for message_id, due in db.session.execute(query).all():
        taken = db.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.sent_at.is_(None),
                OutboxMessage.next_attempt_at == due,
            )
            .values(next_attempt_at=now + CLAIM_LEASE)
        )
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            claimed.append(message_id)
    db.session.commit()
    return claimed


class _Mailer:
    """One SMTP connection, opened on first use and dropped after an error."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            smtp = smtplib.SMTP(
                self.config["MAIL_SERVER"], int(self.config["MAIL_PORT"]), timeout=30
            )
            if self.config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if self.config.get("MAIL_USERNAME"):
                smtp.login(self.config["MAIL_USERNAME"], self.config.get("MAIL_PASSWORD") or "")
            self.smtp = smtp
        try:
            self.smtp.send_message(message)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.smtp is not None:
            # The connection may already be gone; closing is best effort.
            with contextlib.suppress(Exception):
                self.smtp.quit()
            self.smtp = None


def _email(row: OutboxMessage, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at.replace(tzinfo=sla.UTC))
    message["Message-ID"] = make_msgid(idstring=f"outbox-{row.id}")
    message["X-Outbox-Id"] = str(row.id)
    message.set_content(row.body_text)
    return message


def send_outbox(now: datetime | None = None, batch_size: int = 50) -> SendResult:
    """Send the e-mails that are due; failures are retried later with backoff, never dropped."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        raise RuntimeError("MAIL_SERVER is not set; messages stay in the outbox.")
    now = now or utcnow()
    result = SendResult()
    mailer = _Mailer(config)
    try:
        while True:
            claimed = _claim(now, batch_size)
            if not claimed:
                break
            for message_id in claimed:
                row = db.session.get(OutboxMessage, message_id)
                if row is None or row.sent_at is not None:
                    continue
                try:
                    mailer.send(_email(row, config["MAIL_SENDER"]))
                except (smtplib.SMTPException, OSError) as exc:
                    row.attempts = (row.attempts or 0) + 1
                    row.next_attempt_at = now + backoff(row.attempts)
                    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                    result.failed += 1
                else:
                    row.sent_at = utcnow()
                    row.last_error = None
                    result.sent += 1
                # Record each outcome at once: a crash must not resend what was delivered.
                db.session.commit()
            if len(claimed) < batch_size:
                break
    finally:
        mailer.close()
    return result


# --- The daily digest -------------------------------------------------------------------------


def send_digests(now: datetime | None = None, max_items: int = 200) -> int:
    """Queue one e-mail per user who chose the digest, with what they were notified of.

    Safe on several hosts at once: each user's notifications are claimed by one UPDATE
    (digested_at IS NULL -> now) and only the claimed rows go into that host's e-mail; a
    concurrent run claims nothing for the same rows. One transaction per user.
    Returns the number of digests queued.
    """
    now = now or utcnow()
    users = list(
        db.session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.email_notifications.is_(True),
                User.email_digest.is_(True),
                select(Notification.id)
                .where(Notification.user_id == User.id, Notification.digested_at.is_(None))
                .exists(),
            )
            .order_by(User.id)
        )
    )
    queued = 0
    for user in users:
        ids = list(
            db.session.scalars(
                update(Notification)
                .where(
                    Notification.user_id == user.id,
                    Notification.digested_at.is_(None),
                    Notification.created_at <= now,
                )
                .values(digested_at=now)
                .returning(Notification.id)
            )
        )
        if ids:
            rows = list(
                db.session.scalars(
                    select(Notification)
                    .where(Notification.id.in_(ids))
                    .order_by(Notification.id.desc())
                    .limit(max_items)
                )
            )
            subject, body = render_digest(user, rows, total=len(ids))
            queue_email(user, subject, body, now=now)
            queued += 1
        db.session.commit()
    return queued


def group_by_kind(rows: list[Notification]) -> list[tuple[str, list[Notification]]]:
    """Notifications grouped by kind, the group with the newest first."""
    groups: dict[str, list[Notification]] = {}
    for row in rows:
        groups.setdefault(row.kind, []).append(row)
    return sorted(groups.items(), key=lambda item: -max(r.id for r in item[1]))


def render_digest(user: User, rows: list[Notification], *, total: int) -> tuple[str, str]:
    """Subject and body of a digest in the recipient's language."""
    lang = user.locale if user.locale in LANGUAGES else "id"
    template = current_app.jinja_env.get_template(f"email/digest.{lang}.txt")
    with force_locale(lang):
        text = template.render(
            user=user,
            groups=group_by_kind(rows),
            total=total,
            shown=len(rows),
            labels=KIND_LABELS,
            link=ticket_url,
            home=current_app.config["BASE_URL"].rstrip("/") + "/notifications",
        )
    subject, _sep, body = text.strip().partition("\n")
    return subject.strip()[:255], body.strip() + "\n"
