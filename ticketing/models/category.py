"""Problem categories: academic and non-academic, with optional subcategories."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.extensions import db

ACADEMIC = "academic"
NON_ACADEMIC = "non_academic"


class Category(db.Model):  # type: ignore[name-defined]
    """A category or, with a parent, a subcategory of a ticket."""

    __tablename__ = "categories"
    __table_args__ = (CheckConstraint("kind IN ('academic', 'non_academic')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(12))
    name_id: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(120))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("categories.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="1")
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(
        back_populates="parent", order_by="Category.position"
    )

    def label(self, locale: str) -> str:
        """The name in the given language (Indonesian unless 'en')."""
        return self.name_en if locale == "en" else self.name_id

    def __repr__(self) -> str:
        return f"<Category {self.code}>"
