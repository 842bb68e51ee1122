"""Administrators set deadlines per province (and category) and the province's days off."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ticketing import permissions, sla
from ticketing.errors import InvalidInput, NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.models import Category, DayOff, Province, SlaPolicy, User
from ticketing.services import admin_log

MAX_WORKING_DAYS = 250


@dataclass(frozen=True)
class PolicyRow:
    """One configured deadline, for display."""

    id: int
    category: Category | None
    state: str
    working_days: int


def _check(actor: User, province_code: str) -> Province:
    province = db.session.get(Province, province_code)
    if province is None:
        raise NotFound(_l("Province not found."))
    if not permissions.can_administer(actor, province_code):
        raise PermissionDenied(
            _l("Only an administrator of this province can change its settings.")
        )
    return province


def effective_days(province_code: str) -> dict[str, int]:
    """The province-wide working days per state (defaults where nothing is set)."""
    return {state: sla.deadline_days(province_code, None, state) for state in sla.SLA_STATES}


def policies(province_code: str) -> list[PolicyRow]:
    """Every configured policy row of the province (province-wide first, then per category)."""
    rows = db.session.scalars(
        select(SlaPolicy)
        .where(SlaPolicy.province_code == province_code)
        .order_by(SlaPolicy.category_id.is_not(None), SlaPolicy.category_id, SlaPolicy.state)
    ).all()
    categories = {c.id: c for c in db.session.scalars(select(Category))}
    return [
        PolicyRow(
            r.id,
            categories.get(r.category_id) if r.category_id else None,
            r.state,
            r.working_days,
        )
        for r in rows
    ]


def set_policy(actor: User, province_code: str, state: str, working_days: int | None,
               category_id: int | None = None) -> SlaPolicy | None:  # fmt: skip
    """Set the working days of a state for the province (or one category); None removes it.

    New deadlines apply to tickets entering the state from now on.
    """
    _check(actor, province_code)
    if state not in sla.SLA_STATES:
        raise InvalidInput(_l("Unknown state."), field="state")
    if working_days is not None and not 1 <= working_days <= MAX_WORKING_DAYS:
        raise InvalidInput(
            _l("Working days must be between 1 and %(n)d.", n=MAX_WORKING_DAYS),
            field="working_days",
        )
    if category_id is not None and db.session.get(Category, category_id) is None:
        raise InvalidInput(_l("Unknown category."), field="category")
    # NULL category_id is not unique in SQL, so look the row up rather than upsert.
    row = db.session.scalars(
        select(SlaPolicy).where(
            SlaPolicy.province_code == province_code,
            SlaPolicy.state == state,
            SlaPolicy.category_id.is_(None)
            if category_id is None
            else SlaPolicy.category_id == category_id,
        )
    ).first()
    before = None if row is None else {"working_days": row.working_days}
    target = f"{state}:{category_id or '*'}"
    if working_days is None:
        if row is not None:
            db.session.delete(row)
            admin_log.record(
                actor,
                "sla_policy_removed",
                target_type="sla_policy",
                target_id=target,
                province_code=province_code,
                before=before,
            )
        db.session.flush()
        return None
    if row is None:
        row = SlaPolicy(province_code=province_code, category_id=category_id, state=state,
                        working_days=working_days)  # fmt: skip
        db.session.add(row)
    else:
        row.working_days = working_days
    admin_log.record(
        actor,
        "sla_policy_set",
        target_type="sla_policy",
        target_id=target,
        province_code=province_code,
        before=before,
        after={"working_days": working_days},
    )
    db.session.flush()
    return row


def days_off(province_code: str, year: int | None = None) -> list[DayOff]:
    """The province's extra days off, in date order (optionally of one year)."""
    query = select(DayOff).where(DayOff.province_code == province_code).order_by(DayOff.day)
    if year is not None:
        query = query.where(DayOff.day >= date(year, 1, 1), DayOff.day <= date(year, 12, 31))
    return list(db.session.scalars(query))


def add_day_off(actor: User, province_code: str, day: date, name: str) -> DayOff:
    """Add an extra day off (e.g. cuti bersama) for the province."""
    _check(actor, province_code)
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise InvalidInput(_l("Give the day off a name (at most 120 characters)."), field="name")
    exists = db.session.scalars(
        select(DayOff).where(DayOff.province_code == province_code, DayOff.day == day)
    ).first()
    if exists is not None:
        raise InvalidInput(_l("This day is already a day off."), field="day")
    row = DayOff(province_code=province_code, day=day, name=name)
    db.session.add(row)
    db.session.flush()
    admin_log.record(
        actor,
        "day_off_added",
        target_type="day_off",
        target_id=row.id,
        province_code=province_code,
        after={"day": day.isoformat(), "name": name},
    )
    db.session.flush()
    sla.forget_calendars()
    return row


def remove_day_off(actor: User, day_off_id: int) -> None:
    """Remove an extra day off."""
    row = db.session.get(DayOff, day_off_id)
    # Another province's day off answers as if it did not exist (404, not 403).
    if row is None or not permissions.can_administer(actor, row.province_code):
        raise NotFound(_l("Day off not found."))
    _check(actor, row.province_code)
    admin_log.record(
        actor,
        "day_off_removed",
        target_type="day_off",
        target_id=row.id,
        province_code=row.province_code,
        before={"day": row.day.isoformat(), "name": row.name},
    )
    db.session.delete(row)
    db.session.flush()
    sla.forget_calendars()
