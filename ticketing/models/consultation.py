"""Experts' fields and consultations: a PMO officer asks experts about a ticket."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship

from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.vocabulary import ConsultationState, sql_in

if TYPE_CHECKING:
    from ticketing.models.category import Category
    from ticketing.models.ticket import Ticket
    from ticketing.models.user import User


class ExpertField(db.Model):  # type: ignore[name-defined]
    """A field of expertise (a category) of an expert."""

    __tablename__ = "expert_fields"
    __table_args__ = (UniqueConstraint("user_id", "category_id", name="user_category"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)

    category: Mapped[Category] = relationship()


class Consultation(db.Model):  # type: ignore[name-defined]
    """One question to one expert about a ticket; moved only by ConsultationWorkflow."""

    __tablename__ = "consultations"
    __table_args__ = (
        CheckConstraint(sql_in("state", ConsultationState), name="state"),
        Index("ix_consultations_ticket_id_id", "ticket_id", "id"),
        Index("ix_consultations_expert_state", "expert_id", "state"),
        Index("ix_consultations_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"))
    expert_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    # The field the expert was asked in (the ticket's category when asked).
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(12))
    answer: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)

    ticket: Mapped[Ticket] = relationship()
    expert: Mapped[User] = relationship(foreign_keys=[expert_id])
    asked_by: Mapped[User] = relationship(foreign_keys=[asked_by_id])
    category: Mapped[Category] = relationship()
    events: WriteOnlyMapped[ConsultationEvent] = relationship(
        back_populates="consultation", order_by="ConsultationEvent.id", passive_deletes=True
    )

    def append_event(self, *, event: str, from_state: str | None, to_state: str,
                     actor: User | None, note: str | None = None) -> ConsultationEvent:  # fmt: skip
        """Add one audit row for this consultation (the workflow and the service call it)."""
        row = ConsultationEvent(event=event, from_state=from_state, to_state=to_state,
                                actor=actor, note=note, created_at=utcnow())  # fmt: skip
        self.events.add(row)
        return row

    def __repr__(self) -> str:
        return f"<Consultation {self.id} {self.state}>"


class ConsultationEvent(db.Model):  # type: ignore[name-defined]
    """One line of a consultation's audit trail (shown on the ticket's timeline)."""

    __tablename__ = "consultation_events"
    __table_args__ = (Index("ix_consultation_events_consultation_id_id", "consultation_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"))
    event: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str | None] = mapped_column(String(12))
    to_state: Mapped[str] = mapped_column(String(12))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()


@event.listens_for(ConsultationEvent, "before_update")
@event.listens_for(ConsultationEvent, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: ConsultationEvent) -> None:
    """The consultation audit trail is append-only."""
    raise PermissionError(f"consultation event {target.id} is append-only")
