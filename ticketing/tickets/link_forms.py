"""Forms of ticket links: add a link by the other ticket's number; remove one."""

from __future__ import annotations

from collections.abc import Sequence

from flask import request
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from ticketing.forms import Form
from ticketing.models import Ticket

NEW_PROBLEM = "new"

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


def recurrence_answer(candidates: Sequence[Ticket]) -> tuple[bool, Ticket | None]:
    """The facilitator's answer to "is this the same problem?" (tickets/_recurrence.html).

    (False, None): not asked yet; (True, None): a new problem; (True, ticket): the same
    problem as that earlier ticket, which the new one is linked to as a recurrence.
    """
    raw = request.form.get("same_as")
    if raw == NEW_PROBLEM:
        return True, None
    match = next((t for t in candidates if str(t.id) == raw), None)
    return match is not None, match
