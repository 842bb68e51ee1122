"""Forms of the worklist: take ("Ambil"), bulk actions, the province holder, saved views."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ticketing.forms import Form
from ticketing.models.worklist import VIEW_NAME_MAX, VIEW_QUERY_MAX
from ticketing.services.tickets import TEXT_MAX

BULK_LABELS = {
    "take": _l("Take (assign to me)"),
    "assign": _l("Assign to an officer"),
    "escalate": _l("Escalate to the province"),
    "resolve": _l("Resolve"),
    "return_to_district": _l("Return to the district"),
}


class TakeForm(Form):
    """ "Ambil": the version the user saw, and the list to go back to."""

    version = HiddenField()
    back = HiddenField()


class BulkForm(Form):
    """One action and one note for every selected ticket."""

    event = SelectField(_l("Action"), validators=[InputRequired()])
    assignee = SelectField(_l("Officer (for assign)"), coerce=int, validators=[Optional()])
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=TEXT_MAX)])
    back = HiddenField()


class HolderForm(Form):
    """Give an escalated ticket to a province officer."""

    holder = SelectField(_l("Province officer"), coerce=int, validators=[InputRequired()])
    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=TEXT_MAX)])
    version = HiddenField()


class SavedViewForm(Form):
    """Save the current list parameters under a name."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=VIEW_NAME_MAX)])
    query = HiddenField(validators=[Length(max=VIEW_QUERY_MAX)])


class DeleteForm(Form):
    """The CSRF token only."""
