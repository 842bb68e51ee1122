"""Tickets, their append-only audit trail, comments and evidence files."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.vocabulary import FINAL_STATES, State, Tier, sql_in

if TYPE_CHECKING:
    from ticketing.models.category import Category
    from ticketing.models.region import District, Province
    from ticketing.models.school import School
    from ticketing.models.user import User

# The workflow's vocabulary lives in ticketing/vocabulary.py; these names stay for callers.
STATES: tuple[State, ...] = tuple(State)
# What the dashboard queries read besides the index key (reports.py).
DASHBOARD_COLUMNS = [
    "state",
    "due_at",
    "escalation_count",
    "reopen_count",
    "resolved_tier",
    "category_id",
    "school_id",
    "closed_at",
    "sla_breaches",
    "referral_count",
]


class Ticket(db.Model):  # type: ignore[name-defined]
    """A problem a facilitator raised for a school; moved only by TicketWorkflow."""

    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(sql_in("state", State), name="state"),
        CheckConstraint(
            f"resolved_tier IS NULL OR {sql_in('resolved_tier', Tier)}", name="resolved_tier"
        ),
        CheckConstraint("reopen_count >= 0", name="reopen_count"),
        # A repeated raise (a retried or doubled submission) carries the same key: one ticket.
        # The key belongs to whoever raised it, also after a hand-over to another facilitator.
        UniqueConstraint(
            "raised_by_id", "idempotency_key", name="uq_tickets_raised_by_idempotency_key"
        ),
        # The scoped lists read newest first by id within a district or province; the
        # district's to-do (by deadline) reads the deadline from the index too, not from each
        # ticket's row (3,863 rows on as many pages for one district at 10M tickets).
        Index(
            "ix_tickets_district_state_id",
            "district_code",
            "state",
            "id",
            postgresql_include=["due_at"],
        ),
        Index("ix_tickets_district_id", "district_code", "id"),
        Index("ix_tickets_province_state_id", "province_code", "state", "id"),
        Index("ix_tickets_province_id", "province_code", "id"),
        Index("ix_tickets_facilitator_state", "facilitator_id", "state"),
        Index("ix_tickets_assignee_state", "assignee_id", "state"),
        Index("ix_tickets_school_id", "school_id", "id"),
        Index("ix_tickets_state_due_at", "state", "due_at"),
        # The central PMO's scope: tickets that are or were referred (few among many).
        Index("ix_tickets_referral_count_id", "referral_count", "id"),
        # Dashboards aggregate a province or district: on PostgreSQL an index-only scan.
        Index(
            "ix_tickets_dashboard",
            "province_code",
            "district_code",
            "created_at",
            postgresql_include=DASHBOARD_COLUMNS,
        ),
        # The dashboards' figures that depend on the clock (overdue, median age) read only the
        # open tickets; final states set closed_at (reports.py, ticketing/rollups.py). The
        # as-of figures read the open tickets that have not changed state since the moment
        # from it too (asof.py: state_changed_at, school_id).
        Index(
            "ix_tickets_open",
            "province_code",
            "district_code",
            "created_at",
            postgresql_include=[
                "category_id",
                "state",
                "due_at",
                "sla_breaches",
                "state_changed_at",
                "school_id",
                "id",
            ],
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
        # As-of figures: the tickets that changed state since a moment (bounded by the time
        # since then, not by the history); the others are read from ix_tickets_open (asof.py).
        # Their ids are chosen from the index alone, then only those rows are read.
        Index(
            "ix_tickets_changed",
            "province_code",
            "state_changed_at",
            postgresql_include=["id", "district_code", "category_id", "created_at", "closed_at"],
        ),
        # The monthly report's "reopened most": the reopened tickets only, most reopens first.
        Index(
            "ix_tickets_reopened",
            "province_code",
            "reopen_count",
            postgresql_include=["created_at", "id"],
            postgresql_where=text("reopen_count > 0"),
            sqlite_where=text("reopen_count > 0"),
        ),
        # Overdue now = open tickets less those not yet due: the dashboards read only the open
        # tickets whose deadline is still ahead (bounded by the deadlines, not the backlog).
        Index(
            "ix_tickets_open_due",
            "province_code",
            "due_at",
            postgresql_include=[
                "district_code",
                "school_id",
                "category_id",
                "state",
                "sla_breaches",
                "created_at",
            ],
            postgresql_where=text("closed_at IS NULL"),
            sqlite_where=text("closed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("schools.id"))
    # Copied from the school when raised, so scope filters and indexes need no join.
    district_code: Mapped[str] = mapped_column(ForeignKey("districts.code"))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"))
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # Who raised it (never changes; facilitator_id changes with a hand-over).
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The province officer who holds an escalated ticket ("Ambil" at the province tier).
    province_holder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_tier: Mapped[str | None] = mapped_column(String(8))
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    escalation_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # How often the province referred it to the central PMO (central sees those with > 0).
    referral_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    state_changed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Deadline of the current state (SLA); NULL in final states.
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    # How many PMO deadlines (raised, assigned, escalated) this ticket has missed (SLA compliance).
    sla_breaches: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    version_id: Mapped[int] = mapped_column(Integer, nullable=False)
    # Sent by the raise form (one per form render or offline submission) and the API.
    idempotency_key: Mapped[str | None] = mapped_column(String(64))

    __mapper_args__ = {"version_id_col": version_id}

    school: Mapped[School] = relationship()
    district: Mapped[District] = relationship()
    province: Mapped[Province] = relationship()
    category: Mapped[Category] = relationship()
    facilitator: Mapped[User] = relationship(foreign_keys=[facilitator_id])
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    province_holder: Mapped[User | None] = relationship(foreign_keys=[province_holder_id])
    events: WriteOnlyMapped[TicketEvent] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", passive_deletes=True
    )
    comments: WriteOnlyMapped[Comment] = relationship(
        back_populates="ticket", order_by="Comment.id", passive_deletes=True
    )

    def append_event(
        self,
        *,
        event: str,
        from_state: str | None,
        to_state: str,
        actor: User | None,
        note: str | None = None,
        assignee: User | None = None,
        at: datetime | None = None,
    ) -> TicketEvent:
        """Add one audit row for this ticket (called by the workflow and the services)."""
        row = TicketEvent(
            event=event,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            note=note,
            assignee=assignee,
            created_at=at or utcnow(),
        )
        self.events.add(row)
        return row

    @property
    def is_open(self) -> bool:
        """True until the ticket is verified or withdrawn."""
        return self.state not in FINAL_STATES

    def __repr__(self) -> str:
        return f"<Ticket {self.number} {self.state}>"


class TicketEvent(db.Model):  # type: ignore[name-defined]
    """One line of a ticket's audit trail; rows are never changed or deleted."""

    __tablename__ = "ticket_events"
    __table_args__ = (
        Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),
        Index("ix_ticket_events_event_created_at", "event", "created_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    event: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    # NULL actor means the system (the SLA sweeper).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # The officer an assign (or a return with a named officer) gave the ticket to.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])

    def __repr__(self) -> str:
        return f"<TicketEvent {self.ticket_id} {self.event} {self.from_state}->{self.to_state}>"


@event.listens_for(TicketEvent, "before_update")
@event.listens_for(TicketEvent, "before_delete")
def _refuse_audit_change(_mapper: Any, _connection: Any, target: TicketEvent) -> None:
    """The audit trail is append-only (the database refuses it too, by trigger)."""
    raise PermissionError(f"audit event {target.id} is append-only")


class Comment(db.Model):  # type: ignore[name-defined]
    """A remark on a ticket by someone who can see it."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    # An internal note: PMO officers and administrators only, never facilitators.
    internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="comments")
    author: Mapped[User] = relationship()


class Attachment(db.Model):  # type: ignore[name-defined]
    """An evidence file, stored outside the static folder under a generated name."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    event_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_events.id"))
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"))
    # A file of an expert's answer or follow-up (services/consultations.py).
    consultation_event_id: Mapped[int | None] = mapped_column(ForeignKey("consultation_events.id"))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    uploaded_by: Mapped[User] = relationship()


class TicketCounter(db.Model):  # type: ignore[name-defined]
    """The last ticket number handed out in a year (ESK-2026-000123)."""

    __tablename__ = "ticket_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_value: Mapped[int] = mapped_column(Integer, default=0)
