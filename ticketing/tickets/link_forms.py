"""Forms of ticket links: add a link by the other ticket's number; remove one."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ticketing.forms import Form

LINK_KIND_LABELS = {
    "recurrence": _l("Same problem came back (recurrence)"),
    "related": _l("Related"),
    "duplicate": _l("Duplicate"),
}


class LinkForm(Form):
    """Link this ticket to another one the user can see."""

    number = StringField(
        _l("Ticket number"),
        validators=[DataRequired(), Length(max=20)],
        description=_l("For example ESK-2026-000123."),
    )
    kind = SelectField(
        _l("Kind of link"),
        choices=[(k, v) for k, v in LINK_KIND_LABELS.items()],
        validators=[DataRequired()],
    )


class UnlinkForm(Form):
    """Remove a link (the CSRF token only)."""
