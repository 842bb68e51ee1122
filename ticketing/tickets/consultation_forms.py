"""Forms of consultations: ask experts, answer, withdraw."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, SelectMultipleField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from ticketing.services.consultations import QUESTION_MAX


class AskForm(FlaskForm):
    """Ask one or more experts of the ticket's field the same question."""

    experts = SelectMultipleField(_l("Experts"), coerce=int, validators=[DataRequired()])
    question = TextAreaField(
        _l("Question for the expert"), validators=[DataRequired(), Length(max=QUESTION_MAX)]
    )


class AnswerForm(FlaskForm):
    """The expert's answer (or a follow-up to it)."""

    note = TextAreaField(_l("Your answer"), validators=[DataRequired(), Length(max=QUESTION_MAX)])
    files = MultipleFileField(_l("Files (optional)"))
    # Which question the text answers: a refused answer's text goes back to its own form.
    answer_to = HiddenField()


class WithdrawQuestionForm(FlaskForm):
    """Withdraw an unanswered question (optional reason)."""

    note = TextAreaField(_l("Reason (optional)"), validators=[Optional(), Length(max=2000)])
