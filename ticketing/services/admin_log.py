"""The record of administrative changes: who, what, before and after, when."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import AdminLogEntry, School, User
from ticketing.vocabulary import Role


def user_snapshot(user: User) -> dict[str, Any]:
    """The fields of an account an administrator changes, for before/after."""
    return {
        "email": user.email,
        "name": user.name,
        "role": user.role,
        "province_code": user.province_code,
        "district_code": user.district_code,
        "active": user.active,
        **_expert_fields(user),
    }


def _expert_fields(user: User) -> dict[str, Any]:
    """An expert's fields of expertise (category codes), so the log shows what changed."""
    if user.role != Role.EXPERT or user.id is None:
        return {}
    from ticketing.models import Category, ExpertField

    codes = db.session.scalars(
        select(Category.code)
        .join(ExpertField, ExpertField.category_id == Category.id)
        .where(ExpertField.user_id == user.id)
        .order_by(Category.code)
    )
    return {"fields": list(codes)}


def school_snapshot(school: School) -> dict[str, Any]:
    """The fields of a school an administrator changes, for before/after."""
    return {
        "npsn": school.npsn,
        "name": school.name,
        "level": school.level,
        "status": school.status,
        "cohort": school.cohort,
        "district_code": school.district_code,
        "active": school.active,
    }


def record(
    actor: User | None,
    action: str,
    *,
    target_type: str,
    target_id: Any = None,
    province_code: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AdminLogEntry:
    """Append one entry (actor None = a command run on the server)."""
    entry = AdminLogEntry(
        actor_id=actor.id if actor is not None else None,
        province_code=province_code,
        action=action,
        target_type=target_type,
        target_id=None if target_id is None else str(target_id),
        before=before,
        after=after,
        created_at=utcnow(),
    )
    db.session.add(entry)
    db.session.flush()
    return entry
