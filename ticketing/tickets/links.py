"""Ticket link views: add and remove links between tickets (services/links.py)."""

from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ticketing.errors import InvalidInput, NotFound
from ticketing.extensions import db
from ticketing.services import links as link_service
from ticketing.services import tickets as ticket_service
from ticketing.tickets import bp
from ticketing.tickets.link_forms import LinkForm


@bp.route("/tickets/<int:ticket_id>/links", methods=["POST"])
def link_add(ticket_id: int) -> Response:
    """Link the ticket to another by number (a recurrence, related, duplicate)."""
    user = current_user._get_current_object()
    ticket = ticket_service.get_visible(user, ticket_id)
    form = LinkForm()
    if not form.validate_on_submit():
        flash(_("Give the number of the other ticket and the kind of link."), "error")
        return redirect(url_for("tickets.show", ticket_id=ticket.id, _anchor="links"))
    try:
        other = link_service.find_visible_by_number(user, form.number.data or "")
        link_service.link(ticket, other, kind=form.kind.data or "", actor=user)
        db.session.commit()
    except (InvalidInput, NotFound) as exc:
        db.session.rollback()
        if isinstance(exc, NotFound) and exc.details.get("field") != "number":
            raise
        flash(exc.text, "error")
    else:
        flash(_("The tickets are linked."), "info")
    return redirect(url_for("tickets.show", ticket_id=ticket.id, _anchor="links"))


@bp.route("/tickets/<int:ticket_id>/links/<int:link_id>/delete", methods=["POST"])
def link_remove(ticket_id: int, link_id: int) -> Response:
    """Remove a link of this ticket (district or province officers)."""
    user = current_user._get_current_object()
    ticket = ticket_service.get_visible(user, ticket_id)
    row = link_service.get_link(ticket, link_id)
    link_service.unlink(row, actor=user)
    db.session.commit()
    flash(_("The link was removed."), "info")
    return redirect(url_for("tickets.show", ticket_id=ticket.id, _anchor="links"))
