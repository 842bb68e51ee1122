"""Forms of the ticket pages: raise, one form per workflow event, comment."""

from __future__ import annotations

import uuid

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    MultipleFileField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from ticketing.forms import Form
from ticketing.services.attachments import MAX_FILE_MB, MAX_FILES
from ticketing.services.tickets import TEXT_MAX, TITLE_MAX

FILES_HELP = _l(
    "Optional. Photos (JPEG, PNG, WEBP, HEIC), PDF, DOCX or XLSX; up to %(n)d files of "
    "%(mb)d MB each. Photos are made smaller before they are sent.",
    n=MAX_FILES,
    mb=MAX_FILE_MB,
)


class RaiseForm(Form):
    """A facilitator files a problem for one of their schools."""

    school = SelectField(_l("School"), coerce=int, validators=[InputRequired()])
    category = SelectField(_l("Category"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    description = TextAreaField(
        _l("Description"), validators=[DataRequired(), Length(max=TEXT_MAX)]
    )
    files = MultipleFileField(_l("Evidence (photos or documents)"), description=FILES_HELP)
    # One key per rendered form (and per offline submission): a repeat returns the same ticket.
    idempotency_key = HiddenField(default=lambda: uuid.uuid4().hex, validators=[Length(max=64)])


class EditReportForm(Form):
    """The facilitator corrects a raised ticket ("Ubah laporan"): the report's four parts and
    the version they saw (a change meanwhile is a conflict, 409)."""

    school = SelectField(_l("School"), coerce=int, validators=[InputRequired()])
    category = SelectField(_l("Category"), coerce=int, validators=[InputRequired()])
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=TITLE_MAX)])
    description = TextAreaField(
        _l("Description"), validators=[DataRequired(), Length(max=TEXT_MAX)]
    )
    version = HiddenField(validators=[InputRequired()])
    seen_event = HiddenField()


class ActionForm(Form):
    """The fields every workflow action carries: the version the user saw."""

    version = HiddenField(validators=[InputRequired()])
    seen_event = HiddenField()


class NoteActionForm(ActionForm):
    """escalate, reopen, withdraw: a required reason."""

    note = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=TEXT_MAX)])


class VerifyForm(ActionForm):
    """verify: an optional note."""

    note = TextAreaField(_l("Note (optional)"), validators=[Optional(), Length(max=TEXT_MAX)])


class AssignForm(ActionForm):
    """assign: the officer who will handle the ticket."""

    assignee = SelectField(_l("Officer"), coerce=int, validators=[InputRequired()])


class ResolveForm(ActionForm):
    """resolve: what was done, with optional evidence."""

    note = TextAreaField(
        _l("Resolution: what was done"), validators=[DataRequired(), Length(max=TEXT_MAX)]
    )
    files = MultipleFileField(_l("Evidence (photos or documents)"), description=FILES_HELP)


class ReturnForm(ActionForm):
    """return_to_district: guidance, and optionally the officer who takes it back."""

    note = TextAreaField(
        _l("Guidance for the district"), validators=[DataRequired(), Length(max=TEXT_MAX)]
    )
    assignee = SelectField(_l("Officer (optional)"), coerce=int, validators=[Optional()])


class ProvinceGuidanceForm(ActionForm):
    """return_to_province: guidance from the central PMO for the province."""

    note = TextAreaField(
        _l("Guidance for the province"), validators=[DataRequired(), Length(max=TEXT_MAX)]
    )


class CommentForm(Form):
    """A remark on the ticket, with optional files."""

    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=TEXT_MAX)])
    files = MultipleFileField(_l("Files"), description=FILES_HELP)
    internal = BooleanField(
        _l("Internal note: only PMO officers and administrators see it, never the facilitator")
    )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "assign": AssignForm,
    "escalate": NoteActionForm,
    "resolve": ResolveForm,
    "return_to_district": ReturnForm,
    "refer_to_central": NoteActionForm,
    "return_to_province": ProvinceGuidanceForm,
    "verify": VerifyForm,
    "reopen": NoteActionForm,
    "withdraw": NoteActionForm,
    # Not a workflow event: "assign to me" and "resolve" in one step (services.tickets).
    "take_resolve": ResolveForm,
}

ACTION_TITLES = {
    "assign": _l("Assign an officer"),
    "escalate": _l("Escalate to the province"),
    "resolve": _l("Resolve the ticket"),
    "return_to_district": _l("Return to the district"),
    "refer_to_central": _l("Refer to the central PMO"),
    "return_to_province": _l("Return to the province"),
    "verify": _l("Verify the fix"),
    "reopen": _l("Reopen: not fixed"),
    "withdraw": _l("Withdraw the ticket"),
    "take_resolve": _l("Take and resolve the ticket"),
}

ACTION_BUTTONS = {
    "assign": _l("Assign"),
    "escalate": _l("Escalate"),
    "resolve": _l("Resolve"),
    "return_to_district": _l("Return to district"),
    "refer_to_central": _l("Refer to central"),
    "return_to_province": _l("Return to province"),
    "verify": _l("Verify"),
    "reopen": _l("Reopen"),
    "withdraw": _l("Withdraw"),
    "take_resolve": _l("Take and resolve"),
}

# What the user reads after an action: the ticket, what happened, and to whom.
CONFIRMATIONS = {
    "assign": _l("Ticket %(number)s was assigned to %(officer)s."),
    "escalate": _l("Ticket %(number)s was escalated to the province PMO."),
    "resolve": _l("Ticket %(number)s is marked resolved; the facilitator will now verify it."),
    "return_to_district": _l("Ticket %(number)s was returned to the district (%(officer)s)."),
    "verify": _l("Ticket %(number)s is verified and closed. Thank you."),
    "reopen": _l("Ticket %(number)s was reopened and goes back to %(tier)s."),
    "withdraw": _l("Ticket %(number)s was withdrawn."),
    "refer_to_central": _l("Ticket %(number)s was referred to the central PMO."),
    "return_to_province": _l("Ticket %(number)s was returned to the province PMO."),
    "take_resolve": _l(
        "You took ticket %(number)s and marked it resolved; the facilitator will now verify it."
    ),
}
