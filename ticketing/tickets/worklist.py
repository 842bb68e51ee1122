"""Worklist views: "Ambil" (take), bulk actions, the province holder, saved views."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ticketing import permissions
from ticketing.errors import ConflictError, InvalidInput
from ticketing.extensions import db
from ticketing.models import User
from ticketing.services import bulk as bulk_service
from ticketing.services import saved_views as view_service
from ticketing.services import tickets as ticket_service
from ticketing.services import users as user_service
from ticketing.ticket_query import TicketQuery
from ticketing.tickets import bp, queries
from ticketing.tickets.worklist_forms import (
    BULK_LABELS,
    BulkForm,
    DeleteForm,
    HolderForm,
    SavedViewForm,
    TakeForm,
)

BULK_RESULT = "bulk_result"


def _user() -> User:
    return current_user._get_current_object()


def list_url(back: str | None) -> str:
    """The list the user came from: its query string, re-parsed (never a foreign URL)."""
    args = dict(parse_qsl(back or "", keep_blank_values=True))
    query: dict[str, Any] = TicketQuery.from_args(args, _user()).as_args()
    return url_for("tickets.index", **query)


def _version(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def bulk_form_for(user: User, *, shown: bool = False) -> BulkForm | None:
    """The bulk panel of the list for this user (None: no bulk actions for the role).

    ``shown``: for the list page, whose officer choices may be up to a minute old (cached per
    district like the filter choices); a submitted form is checked against the live list."""
    if not permissions.can_bulk(user):
        return None
    form = BulkForm()
    if user.role == "province_pmo":
        events = ["take", "resolve", "return_to_district"]
    else:
        events = ["take", "assign", "escalate", "resolve"]
    form.event.choices = [(e, BULK_LABELS[e]) for e in events]
    if user.role == "district_pmo" and user.district_code:
        form.assignee.choices = queries.officer_choices(user.district_code, cached=shown)
        if not form.is_submitted():
            form.assignee.data = user.id
    else:
        form.assignee.choices = []
    return form


@bp.route("/tickets/<int:ticket_id>/take", methods=["POST"])
def take(ticket_id: int) -> Response:
    """ "Ambil": assign the ticket to me (district) or hold it (province), from list or page."""
    user = _user()
    ticket = ticket_service.get_visible(user, ticket_id)
    form = TakeForm()
    if not form.validate_on_submit():
        abort(400)
    if not permissions.can_take(user, ticket):
        abort(403)
    number = ticket.number
    try:
        ticket_service.take(ticket, actor=user, expected_version=_version(form.version.data))
        db.session.commit()
    except ConflictError:
        db.session.rollback()
        flash(_("%(number)s was changed by someone else; nothing was applied.", number=number),
              "error")  # fmt: skip
    else:
        flash(_("%(number)s is now yours.", number=number), "info")
    if request.form.get("back") is not None:
        return redirect(list_url(form.back.data))
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.route("/tickets/bulk", methods=["POST"])
def bulk() -> Response:
    """Apply one action with one note to the selected tickets; back to the list, which shows
    the result per ticket (done, changed by someone else, not allowed)."""
    user = _user()
    form = bulk_form_for(user)
    if form is None:
        abort(403)
    if not form.validate_on_submit():
        flash(_("Choose what to do with the selected tickets."), "error")
        return redirect(list_url(form.back.data))
    ids = [i for i in (_version(v) for v in request.form.getlist("ticket")) if i is not None]
    versions = {i: v for i in ids if (v := _version(request.form.get(f"v{i}"))) is not None}
    assignee = None
    if form.event.data == "assign" and form.assignee.data:
        assignee = db.session.get(User, form.assignee.data)
    try:
        outcomes = bulk_service.apply(
            user,
            form.event.data or "",
            ids,
            note=form.note.data,
            assignee=assignee,
            versions=versions,
        )
        db.session.commit()
    except InvalidInput as exc:
        db.session.rollback()
        flash(exc.text, "error")
        return redirect(list_url(form.back.data))
    # Shown once by the list (compact: a 100-ticket result stays far below a cookie's size).
    session[BULK_RESULT] = {
        "event": form.event.data,
        "rows": [[o.ticket_id, o.number, o.result] for o in outcomes],
    }
    return redirect(list_url(form.back.data))


def pop_bulk_result() -> dict[str, Any] | None:
    """The result of the last bulk action, once (for the list page)."""
    result = session.pop(BULK_RESULT, None)
    if not isinstance(result, dict):
        return None
    rows = [
        {"ticket_id": r[0], "number": r[1], "result": r[2]}
        for r in result.get("rows", [])
        if isinstance(r, list) and len(r) == 3
    ]
    return {
        "action": BULK_LABELS.get(str(result.get("event")), ""),
        "rows": rows,
        "done": sum(1 for r in rows if r["result"] == bulk_service.DONE),
    }


@bp.route("/tickets/<int:ticket_id>/holder", methods=["POST"])
def holder(ticket_id: int) -> Response:
    """Give an escalated ticket to a province officer (the province team shares its work)."""
    user = _user()
    ticket = ticket_service.get_visible(user, ticket_id)
    if not permissions.can_give_to_holder(user, ticket):
        abort(403)
    form = HolderForm()
    form.holder.choices = [
        (u.id, u.name) for u in user_service.active_officers(province_code=ticket.province_code)
    ]
    if not form.validate_on_submit():
        flash(_("Choose a province officer."), "error")
        return redirect(url_for("tickets.show", ticket_id=ticket_id))
    target = db.session.get(User, form.holder.data)
    try:
        if target is None:
            raise InvalidInput(_("Choose a province officer."), field="holder")
        ticket_service.give_to_holder(
            ticket,
            actor=user,
            holder=target,
            expected_version=_version(form.version.data),
            note=form.note.data,
        )
        db.session.commit()
    except (InvalidInput, ConflictError) as exc:
        db.session.rollback()
        flash(exc.text, "error")
    else:
        flash(_("%(name)s now holds this ticket.", name=target.name), "info")
    return redirect(url_for("tickets.show", ticket_id=ticket_id))


@bp.route("/views", methods=["POST"])
def save_view() -> Response:
    """Save the current list parameters under a name (one per name; a repeat replaces it)."""
    user = _user()
    form = SavedViewForm()
    if not form.validate_on_submit():
        flash(_("Give the view a name of at most 60 characters."), "error")
        return redirect(list_url(form.query.data))
    args = dict(parse_qsl(form.query.data or "", keep_blank_values=True))
    canonical = urlencode(TicketQuery.from_args(args, user).export_args())
    view_service.save(user, form.name.data or "", canonical)
    db.session.commit()
    flash(_("The view was saved."), "info")
    return redirect(url_for("tickets.index") + "?" + canonical)


@bp.route("/views/<int:view_id>/delete", methods=["POST"])
def delete_view(view_id: int) -> Response:
    """Remove one of my saved views."""
    form = DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    view_service.delete(_user(), view_id)
    db.session.commit()
    flash(_("The view was removed."), "info")
    return redirect(url_for("tickets.index"))
