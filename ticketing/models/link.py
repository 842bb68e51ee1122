"""Links between tickets: a recurrence (the same problem came back), related, duplicate.

Links are data, not states: adding or removing one never moves either ticket, but both
tickets' audit trails record it (services/links.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.clock import utcnow
from ticketing.extensions import db

if TYPE_CHECKING:
    from ticketing.models.ticket import Ticket
    from ticketing.models.user import User

RECURRENCE = "recurrence"
RELATED = "related"
DUPLICATE = "duplicate"
LINK_KINDS = (RECURRENCE, RELATED, DUPLICATE)
_KIND_LIST = ", ".join(f"'{k}'" for k in LINK_KINDS)


class TicketLink(db.Model):  # type: ignore[name-defined]
    """``ticket`` is linked to ``other``: for a recurrence, ``ticket`` is the new one and
    ``other`` the earlier closed one; for a duplicate, ``ticket`` duplicates ``other``."""

    __tablename__ = "ticket_links"
    __table_args__ = (
        UniqueConstraint("ticket_id", "other_ticket_id", "kind", name="pair_kind"),
        CheckConstraint("ticket_id <> other_ticket_id", name="not_self"),
        CheckConstraint(f"kind IN ({_KIND_LIST})", name="kind"),
        Index("ix_ticket_links_other_ticket_id", "other_ticket_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    other_ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship(foreign_keys=[ticket_id])
    other: Mapped[Ticket] = relationship(foreign_keys=[other_ticket_id])
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<TicketLink {self.ticket_id} {self.kind} {self.other_ticket_id}>"
