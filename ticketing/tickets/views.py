"""Ticket views: thin, load through the user's scope, call one service, commit, respond."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask_login import current_user
from sqlalchemy.orm import joinedload

from ticketing import permissions
from ticketing.extensions import db
from ticketing.models import Ticket
from ticketing.tickets import bp


@bp.route("/")
def index() -> str:
    """The tickets in the user's scope, newest first."""
    page = max(request.args.get("page", 1, type=int) or 1, 1)
    query = (
        permissions.visible_tickets(current_user)
        .options(joinedload(Ticket.school))
        .order_by(Ticket.id.desc())
    )
    pagination = db.paginate(query, page=page, per_page=current_app.config["PAGE_SIZE"])
    return render_template("tickets/index.html", pagination=pagination)
