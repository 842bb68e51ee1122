"""Forms of the notifications and SLA settings pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ticketing.forms import Form
from ticketing.i18n import STATE_LABELS
from ticketing.sla import SLA_STATES


class EmailSettingsForm(Form):
    """Whether notifications are also sent by e-mail."""

    email_notifications = BooleanField(_l("Also send my notifications by e-mail"))
    email_digest = BooleanField(
        _l("One e-mail a day with everything, instead of one e-mail per event")
    )


class EmptyForm(Form):
    """A POST with only the CSRF token (mark as read, delete)."""


class PolicyForm(Form):
    """Working days for one state, province-wide or for one category."""

    state = SelectField(
        _l("State"), choices=[(s, STATE_LABELS[s]) for s in SLA_STATES], validators=[DataRequired()]
    )
    category_id = SelectField(_l("Category"), coerce=int, default=0)
    working_days = IntegerField(
        _l("Working days (empty: use the default)"),
        validators=[Optional(), NumberRange(min=1, max=250)],
    )


class DayOffForm(Form):
    """An extra day off of the province."""

    day = DateField(_l("Date"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
