"""Consultations: the officer who holds a ticket asks experts; the ticket stays where it is.

Every path reads like services.tickets.fire: scope (404) -> permission (403) -> the machine
(consultation_workflow.py, one audit row per event) -> notifications -> flush, never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from statemachine.exceptions import TransitionNotAllowed

from ticketing import permissions
from ticketing.clock import utcnow
from ticketing.consultation_workflow import bind
from ticketing.errors import InvalidInput, InvalidTransition, NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.models import Category, Consultation, ConsultationEvent, ExpertField, Ticket, User
from ticketing.vocabulary import CONSULTATION_DEADLINE_DAYS, ConsultationState, Role

if TYPE_CHECKING:
    from ticketing.services.attachments import Upload

QUESTION_MAX = 10_000


def expert_field_ids(expert: User) -> set[int]:
    """The categories an expert knows about."""
    return set(db.session.scalars(select(ExpertField.category_id).where(
        ExpertField.user_id == expert.id)))  # fmt: skip


def set_fields(expert: User, category_ids: Sequence[int]) -> None:
    """Replace an expert's fields of expertise (administration, imports, the demo)."""
    if expert.role != Role.EXPERT:
        raise InvalidInput(_l("Only experts have fields of expertise."), field="fields")
    wanted = set(category_ids)
    known = set(db.session.scalars(select(Category.id).where(Category.id.in_(wanted))))
    if known != wanted:
        raise InvalidInput(_l("Unknown category."), field="fields")
    rows = db.session.scalars(select(ExpertField).where(ExpertField.user_id == expert.id))
    for row in rows:
        if row.category_id not in wanted:
            db.session.delete(row)
        wanted.discard(row.category_id)
    for category_id in sorted(wanted):
        db.session.add(ExpertField(user_id=expert.id, category_id=category_id))
    db.session.flush()


def clear_fields(user: User) -> None:
    """Forget a user's fields of expertise (they are no longer an expert)."""
    db.session.execute(delete(ExpertField).where(ExpertField.user_id == user.id))


def experts_for(ticket: Ticket) -> list[User]:
    """Active experts of the ticket's field (or its parent), national or of its province."""
    fields = [c for c in (ticket.category_id, ticket.category.parent_id) if c is not None]
    query = (
        select(User)
        .join(ExpertField, ExpertField.user_id == User.id)
        .where(
            User.role == Role.EXPERT,
            User.active.is_(True),
            ExpertField.category_id.in_(fields),
            (User.province_code.is_(None)) | (User.province_code == ticket.province_code),
        )
        .order_by(User.name)
        .distinct()
    )
    return list(db.session.scalars(query))


def of_ticket(ticket: Ticket) -> list[Consultation]:
    """A ticket's consultations, oldest first."""
    return list(db.session.scalars(
        select(Consultation).where(Consultation.ticket_id == ticket.id).order_by(Consultation.id)
    ))  # fmt: skip


def timeline_rows(ticket: Ticket) -> list[ConsultationEvent]:
    """Every consultation audit row of a ticket (for its timeline)."""
    return list(db.session.scalars(
        select(ConsultationEvent)
        .join(Consultation, Consultation.id == ConsultationEvent.consultation_id)
        .where(Consultation.ticket_id == ticket.id)
        .order_by(ConsultationEvent.id)
    ))  # fmt: skip


def _deadline(ticket: Ticket, now: datetime) -> datetime:
    from ticketing import sla

    return sla.add_working_days(now, CONSULTATION_DEADLINE_DAYS, ticket.province_code)


def ask(
    ticket: Ticket, *, actor: User, experts: Sequence[User], question: str
) -> list[Consultation]:
    """The officer holding the ticket asks one or more experts the same question."""
    if not permissions.can_view(actor, ticket):
        raise NotFound(_l("Ticket not found."))
    if not permissions.can_consult(actor, ticket):
        raise PermissionDenied(_l("Only the officer who holds the ticket can ask an expert."))
    question = (question or "").strip()
    if not question:
        raise InvalidInput(_l("Write the question for the expert."), field="question")
    if len(question) > QUESTION_MAX:
        raise InvalidInput(_l("The question is too long."), field="question")
    if not experts:
        raise InvalidInput(_l("Choose at least one expert."), field="experts")
    eligible = {e.id for e in experts_for(ticket)}
    now = utcnow()
    created = []
    for expert in {e.id: e for e in experts}.values():
        if expert.id not in eligible:
            raise InvalidInput(
                _l("%(name)s is not an expert of this field for this province.", name=expert.name),
                field="experts",
            )
        consultation = Consultation(
            ticket_id=ticket.id, expert=expert, asked_by=actor, category_id=ticket.category_id,
            question=question, created_at=now, due_at=_deadline(ticket, now),
        )  # fmt: skip
        bind(consultation)  # sets "requested"; the service writes the first audit row
        db.session.add(consultation)
        consultation.append_event(event="ask", from_state=None, to_state=consultation.state,
                                  actor=actor, note=question)  # fmt: skip
        created.append(consultation)
    db.session.flush()
    from ticketing import notifications

    for consultation in created:
        notifications.notify([consultation.expert], ticket, "consulted", actor=actor, note=question)
    return created


def get_visible(user: User, consultation_id: int) -> Consultation:
    """A consultation through the scope of its ticket; NotFound outside it."""
    consultation = db.session.get(Consultation, consultation_id)
    if consultation is None or not permissions.can_view(user, consultation.ticket):
        raise NotFound(_l("Not found."))
    return consultation


def _fire(
    consultation: Consultation, event: str, *, actor: User, note: str | None
) -> ConsultationEvent:
    """Send the event to the machine; returns the audit row it wrote (flushed)."""
    machine = bind(consultation)
    try:
        machine.send(event, actor=actor, note=note)
    except TransitionNotAllowed as exc:
        raise InvalidTransition(
            _l("That is no longer possible: the question was already answered or withdrawn.")
        ) from exc
    db.session.flush()
    row: ConsultationEvent = machine.audit_row
    return row


def answer(
    consultation: Consultation, *, actor: User, note: str, files: Sequence[Upload] = ()
) -> Consultation:
    """The expert answers, with text and files; the officer who asked is told. A second call
    adds a follow-up. ``files`` were checked by attachments.read_uploads (as ticket evidence)
    and are kept with the answer's audit row, on the ticket's timeline."""
    if not permissions.can_answer(actor, consultation):
        raise PermissionDenied(_l("Only the expert who was asked can answer."))
    event = "answer" if consultation.state == ConsultationState.REQUESTED else "follow_up"
    row = _fire(consultation, event, actor=actor, note=note)
    if files:
        from ticketing.services import attachments

        attachments.store(consultation.ticket, list(files), actor=actor, consultation_event=row)
    from ticketing import notifications

    kind = "consultation_answered"
    notifications.notify([consultation.asked_by], consultation.ticket, kind, actor=actor, note=note)
    return consultation


def withdraw(consultation: Consultation, *, actor: User, note: str | None = None) -> Consultation:
    """The officer withdraws an unanswered question."""
    if not permissions.can_withdraw_consultation(actor, consultation):
        raise PermissionDenied(_l("You may not withdraw this question."))
    _fire(consultation, "withdraw", actor=actor, note=note)
    return consultation
