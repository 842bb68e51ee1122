"""Reply templates ("jawaban siap pakai"): ready texts of a province, kept by its admins."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from ticketing import permissions
from ticketing.clock import utcnow
from ticketing.errors import InvalidInput, NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.models import ReplyTemplate, Ticket, User
from ticketing.models.worklist import TEMPLATE_TITLE_MAX
from ticketing.services.tickets import TEXT_MAX


def of_province(province_code: str) -> Select[tuple[ReplyTemplate]]:
    """A province's templates by title."""
    return (
        select(ReplyTemplate)
        .where(ReplyTemplate.province_code == province_code)
        .order_by(ReplyTemplate.title, ReplyTemplate.id)
    )


def for_ticket(user: Any, ticket: Ticket) -> list[ReplyTemplate]:
    """The templates an officer may use on this ticket: its province's."""
    if not permissions.can_use_reply_templates(user):
        return []
    return list(db.session.scalars(of_province(ticket.province_code)))


def _clean(title: str, body: str) -> tuple[str, str]:
    title, body = (title or "").strip(), (body or "").strip()
    if not title or len(title) > TEMPLATE_TITLE_MAX:
        raise InvalidInput(
            _l("Give the template a title of at most 120 characters."), field="title"
        )
    if not body or len(body) > TEXT_MAX:
        raise InvalidInput(_l("Write the text of the template."), field="body")
    return title, body


def create(actor: User, province_code: str, *, title: str, body: str) -> ReplyTemplate:
    """A new template of the province (its administrators only)."""
    if not permissions.can_manage_reply_templates(actor, province_code):
        raise PermissionDenied(_l("You may not do this to this ticket now."))
    title, body = _clean(title, body)
    now = utcnow()
    row = ReplyTemplate(
        province_code=province_code, title=title, body=body, created_at=now, updated_at=now
    )
    db.session.add(row)
    db.session.flush()
    return row


def get(actor: User, template_id: int) -> ReplyTemplate:
    """A template the administrator manages; NotFound otherwise."""
    row = db.session.get(ReplyTemplate, template_id)
    if row is None or not permissions.can_manage_reply_templates(actor, row.province_code):
        raise NotFound(_l("Template not found."))
    return row


def update(actor: User, row: ReplyTemplate, *, title: str, body: str) -> ReplyTemplate:
    """Change a template's title and text."""
    if not permissions.can_manage_reply_templates(actor, row.province_code):
        raise NotFound(_l("Template not found."))
    row.title, row.body = _clean(title, body)
    row.updated_at = utcnow()
    db.session.flush()
    return row


def delete(actor: User, row: ReplyTemplate) -> None:
    """Remove a template."""
    if not permissions.can_manage_reply_templates(actor, row.province_code):
        raise NotFound(_l("Template not found."))
    db.session.delete(row)
    db.session.flush()
