"""Saved views: a user's named sets of list parameters (the list's canonical query string)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, select

from ticketing.errors import InvalidInput, NotFound
from ticketing.extensions import db
from ticketing.models import SavedView, User
from ticketing.models.worklist import VIEW_NAME_MAX, VIEW_QUERY_MAX

MAX_VIEWS = 20


# The list page's links: one statement built once (values only per request), plain rows.
_LINKS = (
    select(SavedView.id, SavedView.name, SavedView.query_string)
    .where(SavedView.user_id == bindparam("user_id"))
    .order_by(SavedView.name)
)


def links_of(user: User) -> list[Any]:
    """The user's views by name as (id, name, query_string) rows: what the list page links."""
    return list(db.session.execute(_LINKS, {"user_id": user.id}))


def of_user(user: User) -> list[SavedView]:
    """The user's views by name."""
    return list(
        db.session.scalars(
            select(SavedView).where(SavedView.user_id == user.id).order_by(SavedView.name)
        )
    )


def save(user: User, name: str, query_string: str) -> SavedView:
    """Keep ``query_string`` under ``name`` for the user; the same name replaces the old one."""
    name = name.strip()
    if not name or len(name) > VIEW_NAME_MAX:
        raise InvalidInput(_l("Give the view a name of at most 60 characters."), field="name")
    if len(query_string) > VIEW_QUERY_MAX:
        raise InvalidInput(_l("This list has too many parameters to save."), field="query")
    row = db.session.scalar(
        select(SavedView).where(SavedView.user_id == user.id, SavedView.name == name)
    )
    if row is None:
        if len(of_user(user)) >= MAX_VIEWS:
            raise InvalidInput(_l("You can keep at most 20 views."), field="name")
        row = SavedView(user_id=user.id, name=name)
        db.session.add(row)
    row.query_string = query_string
    db.session.flush()
    return row


def delete(user: User, view_id: int) -> None:
    """Remove one of the user's views (another user's is not found)."""
    row = db.session.get(SavedView, view_id)
    if row is None or row.user_id != user.id:
        raise NotFound(_l("View not found."))
    db.session.delete(row)
    db.session.flush()
