"""Consultation views: ask experts about a ticket, answer, withdraw (services/consultations.py)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ticketing.errors import InvalidInput
from ticketing.extensions import db
from ticketing.models import User
from ticketing.services import attachments as attachment_service
from ticketing.services import consultations as consultation_service
from ticketing.services import tickets as ticket_service
from ticketing.tickets import bp
from ticketing.tickets.consultation_forms import AnswerForm, AskForm, WithdrawQuestionForm


def _back(ticket_id: int) -> Response:
    return redirect(url_for("tickets.show", ticket_id=ticket_id, _anchor="consultations"))


@bp.route("/tickets/<int:ticket_id>/consultations", methods=["POST"])
def consult(ticket_id: int) -> Response:
    """The officer holding the ticket asks experts of its field."""
    user = current_user._get_current_object()
    ticket = ticket_service.get_visible(user, ticket_id)
    form = AskForm()
    candidates = consultation_service.experts_for(ticket)
    form.experts.choices = [(e.id, e.name) for e in candidates]
    if not form.validate_on_submit():
        flash(_("Choose at least one expert and write the question."), "error")
        return _back(ticket.id)
    chosen = [db.session.get(User, i) for i in form.experts.data or []]
    try:
        consultation_service.ask(
            ticket, actor=user, experts=[e for e in chosen if e is not None],
            question=form.question.data or "",
        )  # fmt: skip
        db.session.commit()
    except InvalidInput as exc:
        db.session.rollback()
        flash(str(exc.message), "error")
    else:
        flash(_("Your question was sent to the experts."), "info")
    return _back(ticket.id)


@bp.route("/consultations/<int:consultation_id>/answer", methods=["POST"])
def consultation_answer(consultation_id: int) -> Response:
    """The expert answers (again: a follow-up), with text and files.

    Files are checked as ticket evidence; a refused file (type, size, count) raises
    InvalidInput, which the error handler answers by keeping the text (ticketing/stash.py) and
    sending the expert back to the ticket with the reason.
    """
    user = current_user._get_current_object()
    consultation = consultation_service.get_visible(user, consultation_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        flash(_("Write the answer."), "error")
        return _back(consultation.ticket_id)
    uploads = attachment_service.read_uploads(request.files.getlist(form.files.name))
    consultation_service.answer(consultation, actor=user, note=form.note.data or "", files=uploads)
    db.session.commit()
    flash(_("Your answer was sent."), "info")
    return _back(consultation.ticket_id)


@bp.route("/consultations/<int:consultation_id>/withdraw", methods=["POST"])
def consultation_withdraw(consultation_id: int) -> Response:
    """The officer withdraws an unanswered question."""
    user = current_user._get_current_object()
    consultation = consultation_service.get_visible(user, consultation_id)
    form = WithdrawQuestionForm()
    form.validate_on_submit()
    consultation_service.withdraw(consultation, actor=user, note=form.note.data)
    db.session.commit()
    flash(_("The question was withdrawn."), "info")
    return _back(consultation.ticket_id)
