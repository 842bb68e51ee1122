"""Provinces and districts (kabupaten/kota), with the official Kemendagri codes."""

from __future__ import annotations

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.extensions import db

# Indonesia's three zones by UTC offset; Asia/Pontianak is WIB too.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


class Province(db.Model):  # type: ignore[name-defined]
    """A province (provinsi); owns the time zone its tickets are shown in."""

    __tablename__ = "provinces"
    __table_args__ = (CheckConstraint("recurrence_days > 0", name="recurrence_days_positive"),)

    code: Mapped[str] = mapped_column(String(2), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(40))
    public_dashboard: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # Origins (https://portal.example) allowed to embed the public dashboard in a frame,
    # separated by spaces; empty: no site may frame it.
    embed_origins: Mapped[str] = mapped_column(String(1000), default="", server_default="")
    # A new ticket at a school and category closed this many days ago may be the same problem.
    recurrence_days: Mapped[int] = mapped_column(Integer, default=90, server_default="90")

    districts: Mapped[list[District]] = relationship(
        back_populates="province", order_by="District.code"
    )

    @property
    def zone_abbreviation(self) -> str:
        """WIB, WITA or WIT."""
        return ZONE_ABBREVIATIONS.get(self.timezone, self.timezone)

    @property
    def embed_origin_list(self) -> list[str]:
        """The origins allowed to frame the public dashboard."""
        return (self.embed_origins or "").split()

    def __repr__(self) -> str:
        return f"<Province {self.code} {self.name}>"


class District(db.Model):  # type: ignore[name-defined]
    """A regency (kabupaten) or city (kota)."""

    __tablename__ = "districts"
    __table_args__ = (CheckConstraint("kind IN ('regency', 'city')", name="kind"),)

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10))
    province_code: Mapped[str] = mapped_column(ForeignKey("provinces.code"), index=True)

    province: Mapped[Province] = relationship(back_populates="districts")

    def __repr__(self) -> str:
        return f"<District {self.code} {self.name}>"
