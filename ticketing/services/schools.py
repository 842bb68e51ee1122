"""Schools, facilitator-to-school assignments, categories and handing tickets over."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select

from ticketing import field_rules, permissions
from ticketing.errors import InvalidInput, NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.models import (
    ACADEMIC,
    FACILITATOR,
    LEVELS,
    NON_ACADEMIC,
    OPEN_STATES,
    Category,
    District,
    School,
    SchoolAssignment,
    Ticket,
    User,
)
from ticketing.models.school import STATUSES
from ticketing.services import admin_log

NPSN_RE = re.compile(r"^[0-9A-Z]{8}$")
# Words seen in the "jenjang" column that mean one of the programme's levels.
LEVEL_WORDS = {
    **{level.lower(): level for level in LEVELS},
    "tk": "PAUD",
    "kb": "PAUD",
    "tpa": "PAUD",
    "sps": "PAUD",
    "sdlb": "SLB",
    "smplb": "SLB",
    "smalb": "SLB",
}
STATUS_WORDS = {"negeri": "negeri", "n": "negeri", "swasta": "swasta", "s": "swasta"}


def _authorise(actor: User | None, province_code: str | None) -> None:
    if actor is not None and not permissions.can_administer(actor, province_code):
        raise NotFound(_l("Not found."))


def normalise_npsn(value: Any) -> str:
    """NPSN as stored: 8 characters, digits or capital letters (spreadsheets drop nothing)."""
    return str(value if value is not None else "").strip().upper()


def normalise_district_code(value: Any) -> str:
    """Accept '52.01', '5201' or 5201 (a number from a spreadsheet) as '52.01'."""
    text = str(value if value is not None else "").strip()
    if text.endswith(".0"):
        text = text[:-2]
    if re.fullmatch(r"\d{4}", text):
        return f"{text[:2]}.{text[2:]}"
    return text


def parse_level(value: Any) -> str | None:
    """The level (PAUD, SD, ...) for a word in the jenjang column, or None."""
    return LEVEL_WORDS.get(str(value or "").strip().lower())


def parse_status(value: Any) -> tuple[bool, str | None]:
    """(ok, status) for the status column; an empty cell is allowed."""
    text = str(value or "").strip().lower()
    if not text:
        return True, None
    status = STATUS_WORDS.get(text)
    return status is not None, status


def get_administered(actor: User, school_id: int) -> School:
    """Load a school through the administrator's scope; NotFound outside it."""
    school = db.session.execute(
        permissions.administered_schools(actor).where(School.id == school_id)
    ).scalar_one_or_none()
    if school is None:
        raise NotFound(_l("School not found."))
    return school


def _clean(
    actor: User | None, *, npsn: str, name: str, level: str, status: str | None,
    cohort: int | None, district_code: str,
) -> dict[str, Any]:  # fmt: skip
    npsn = normalise_npsn(npsn)
    if not NPSN_RE.match(npsn):
        raise InvalidInput(
            _l("The NPSN must have exactly 8 characters, digits or capital letters."), field="npsn"
        )
    name = (name or "").strip()
    problem = field_rules.school_name(name)
    if problem is not None:
        raise InvalidInput(problem, field="name")
    if level not in LEVELS:
        raise InvalidInput(_l("Unknown level."), field="level")
    if status not in (None, *STATUSES):
        raise InvalidInput(_l("Unknown status."), field="status")
    district = db.session.get(District, normalise_district_code(district_code))
    if district is None:
        raise InvalidInput(_l("Unknown district code."), field="district_code")
    if actor is not None and not permissions.can_administer(actor, district.province_code):
        raise InvalidInput(_l("The district is outside your province."), field="district_code")
    return {
        "npsn": npsn, "name": name, "level": level, "status": status, "cohort": cohort,
        "district_code": district.code, "province_code": district.province_code,
    }  # fmt: skip


def create_school(actor: User | None, **data: Any) -> School:
    """Add a school to the programme."""
    values = _clean(actor, **data)
    if db.session.execute(select(School.id).where(School.npsn == values["npsn"])).first():
        raise InvalidInput(_l("A school with this NPSN already exists."), field="npsn")
    school = School(**values)
    db.session.add(school)
    db.session.flush()
    admin_log.record(
        actor, "school_create", target_type="school", target_id=school.id,
        province_code=school.province_code, after=admin_log.school_snapshot(school),
    )  # fmt: skip
    return school


def update_school(actor: User | None, school: School, **data: Any) -> School:
    """Change a school's details (its NPSN stays)."""
    _authorise(actor, school.province_code)
    values = _clean(actor, npsn=school.npsn, **data)
    before = admin_log.school_snapshot(school)
    for key, value in values.items():
        setattr(school, key, value)
    db.session.flush()
    after: dict[str, Any] = admin_log.school_snapshot(school)
    removed = drop_misplaced_assignments(school_id=school.id)
    if removed:
        after["facilitators_removed"] = sorted(email for email, _npsn in removed)
    if after != before:
        admin_log.record(
            actor, "school_update", target_type="school", target_id=school.id,
            province_code=school.province_code, before=before, after=after,
        )  # fmt: skip
    return school


def set_school_active(actor: User | None, school: School, active: bool) -> School:
    """Deactivate a school (no new tickets) or bring it back; its history stays."""
    _authorise(actor, school.province_code)
    if school.active != active:
        before = admin_log.school_snapshot(school)
        school.active = active
        db.session.flush()
        admin_log.record(
            actor, "school_activate" if active else "school_deactivate", target_type="school",
            target_id=school.id, province_code=school.province_code,
            before=before, after=admin_log.school_snapshot(school),
        )  # fmt: skip
    return school


# --- Assignments ------------------------------------------------------------------------------


def drop_misplaced_assignments(
    *,
    school_id: int | None = None,
    facilitator_id: int | None = None,
    province_code: str | None = None,
) -> list[tuple[str, str]]:
    """Remove assignments whose facilitator is not (or no longer) in the school's district.

    Called after a school moves district or a user changes role or district (form or import);
    returns the (facilitator e-mail, NPSN) pairs removed. Their tickets stay theirs until an
    administrator hands them over.
    """
    query = (
        select(SchoolAssignment.id, User.email, School.npsn)
        .join(User, User.id == SchoolAssignment.facilitator_id)
        .join(School, School.id == SchoolAssignment.school_id)
        .where(
            (User.role != FACILITATOR)
            | (User.district_code.is_(None))
            | (User.district_code != School.district_code)
        )
    )
    if school_id is not None:
        query = query.where(School.id == school_id)
    if facilitator_id is not None:
        query = query.where(User.id == facilitator_id)
    if province_code is not None:
        query = query.where(School.province_code == province_code)
    rows = db.session.execute(query).all()
    if rows:
        db.session.execute(
            delete(SchoolAssignment).where(SchoolAssignment.id.in_([row.id for row in rows]))
        )
        db.session.expire_all()
    return [(row.email, row.npsn) for row in rows]


def check_assignment(facilitator: User, school: School) -> None:
    """A facilitator supports schools of their own district only."""
    if facilitator.role != FACILITATOR:
        raise InvalidInput(_l("The user is not a facilitator."), field="facilitator")
    if school.district_code != facilitator.district_code:
        raise InvalidInput(
            _l("The school is in another district than the facilitator."), field="school"
        )
    if not school.active:
        raise InvalidInput(_l("The school is deactivated."), field="school")


def add_assignment(actor: User | None, facilitator: User, school: School) -> SchoolAssignment:
    """Give a facilitator a school to support (no change if already assigned)."""
    _authorise(actor, facilitator.province_code)
    _authorise(actor, school.province_code)
    check_assignment(facilitator, school)
    existing = db.session.execute(
        select(SchoolAssignment).where(
            SchoolAssignment.facilitator_id == facilitator.id,
            SchoolAssignment.school_id == school.id,
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    assignment = SchoolAssignment(facilitator=facilitator, school=school)
    db.session.add(assignment)
    db.session.flush()
    admin_log.record(
        actor, "assignment_add", target_type="user", target_id=facilitator.id,
        province_code=school.province_code, after={"email": facilitator.email, "npsn": school.npsn},
    )  # fmt: skip
    return assignment


def remove_assignment(actor: User | None, facilitator: User, school: School) -> None:
    """Take a school away from a facilitator (their tickets stay theirs until handed over)."""
    _authorise(actor, facilitator.province_code)
    assignment = db.session.execute(
        select(SchoolAssignment).where(
            SchoolAssignment.facilitator_id == facilitator.id,
            SchoolAssignment.school_id == school.id,
        )
    ).scalar_one_or_none()
    if assignment is None:
        raise NotFound(_l("This facilitator is not assigned to this school."))
    facilitator.assignments.remove(assignment)
    db.session.flush()
    admin_log.record(
        actor, "assignment_remove", target_type="user", target_id=facilitator.id,
        province_code=school.province_code,
        before={"email": facilitator.email, "npsn": school.npsn},
    )  # fmt: skip


# --- Handing tickets over ---------------------------------------------------------------------


@dataclass
class HandOverReport:
    """What a bulk hand-over did: tickets moved, and those left with the reason."""

    handed: list[tuple[str, str]] = field(default_factory=list)  # (ticket number, new holder)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (ticket number, reason)


def current_facilitators(school_id: int, *, excluding: int) -> list[User]:
    """The active facilitators assigned to a school now, other than ``excluding``."""
    return list(
        db.session.scalars(
            select(User)
            .join(SchoolAssignment, SchoolAssignment.facilitator_id == User.id)
            .where(
                SchoolAssignment.school_id == school_id,
                User.id != excluding,
                User.active.is_(True),
                User.role == FACILITATOR,
            )
            .order_by(User.id)
        )
    )


def open_tickets_of(facilitator: User) -> list[Ticket]:
    """The open tickets a facilitator holds, oldest first."""
    return list(
        db.session.scalars(
            select(Ticket)
            .where(Ticket.facilitator_id == facilitator.id, Ticket.state.in_(OPEN_STATES))
            .order_by(Ticket.id)
        )
    )


def hand_over_all(actor: User, departing: User, note: str | None = None) -> HandOverReport:
    """Give each open ticket of a departing facilitator to their school's current facilitator."""
    from ticketing.services import tickets as ticket_service

    if actor is None or not permissions.can_administer(actor, departing.province_code):
        raise NotFound(_l("User not found."))
    if departing.role != FACILITATOR:
        raise InvalidInput(_l("The user is not a facilitator."))
    report = HandOverReport()
    for ticket in open_tickets_of(departing):
        candidates = current_facilitators(ticket.school_id, excluding=departing.id)
        if len(candidates) != 1:
            reason = (
                _l("The school has no other facilitator.")
                if not candidates
                else _l("The school has several facilitators; hand it over one by one.")
            )
            report.skipped.append((ticket.number, str(reason)))
            continue
        try:
            ticket_service.hand_over(ticket, actor=actor, facilitator=candidates[0], note=note)
        except (InvalidInput, PermissionDenied) as exc:
            report.skipped.append((ticket.number, exc.text))
            continue
        report.handed.append((ticket.number, candidates[0].email))
    if report.handed:
        admin_log.record(
            actor, "tickets_hand_over", target_type="user", target_id=departing.id,
            province_code=departing.province_code,
            before={"facilitator": departing.email},
            after={"handed": [list(h) for h in report.handed]},
        )  # fmt: skip
    return report


# --- Categories -------------------------------------------------------------------------------


def _check_categories(actor: User | None) -> None:
    if actor is not None and not permissions.can_manage_categories(actor):
        raise PermissionDenied(_l("Only a national administrator can change categories."))


def _category_snapshot(category: Category) -> dict[str, Any]:
    return {
        "code": category.code,
        "name_id": category.name_id,
        "name_en": category.name_en,
        "parent_id": category.parent_id,
        "active": category.active,
    }


def add_category(
    actor: User | None, *, name_id: str, name_en: str, kind: str | None = None,
    parent: Category | None = None,
) -> Category:  # fmt: skip
    """Add a top-level category (with a kind) or a subcategory under a top-level one."""
    _check_categories(actor)
    if parent is not None and parent.parent_id is not None:
        raise InvalidInput(_l("A subcategory must sit under a top-level category."), field="parent")
    kind = parent.kind if parent is not None else kind
    if kind not in (ACADEMIC, NON_ACADEMIC):
        raise InvalidInput(_l("Choose academic or non-academic."), field="kind")
    name_id, name_en = name_id.strip(), (name_en or name_id).strip()
    if not name_id:
        raise InvalidInput(_l("The name is required."), field="name_id")
    slug = re.sub(r"[^a-z0-9]+", "-", name_id.lower()).strip("-")[:24] or "category"
    prefix = parent.code[:12] if parent is not None else kind.replace("_", "")[:12]
    code, n = f"{prefix}-{slug}", 1
    while db.session.execute(select(Category.id).where(Category.code == code)).first():
        n += 1
        code = f"{prefix}-{slug}-{n}"
    same_level = (
        Category.parent_id == parent.id if parent is not None else Category.parent_id.is_(None)
    )
    siblings = db.session.scalar(select(func.count()).select_from(Category).where(same_level))
    category = Category(
        code=code, kind=kind, name_id=name_id[:120], name_en=name_en[:120],
        parent_id=parent.id if parent is not None else None, position=int(siblings or 0),
    )  # fmt: skip
    db.session.add(category)
    db.session.flush()
    admin_log.record(
        actor, "category_create", target_type="category", target_id=category.id,
        province_code=None, after=_category_snapshot(category),
    )  # fmt: skip
    return category


def rename_category(
    actor: User | None, category: Category, *, name_id: str, name_en: str
) -> Category:
    """Rename a category in both languages."""
    _check_categories(actor)
    name_id, name_en = name_id.strip(), name_en.strip()
    if not name_id or not name_en:
        raise InvalidInput(_l("Both names are required."), field="name_id")
    before = _category_snapshot(category)
    category.name_id, category.name_en = name_id[:120], name_en[:120]
    db.session.flush()
    admin_log.record(
        actor, "category_rename", target_type="category", target_id=category.id,
        province_code=None, before=before, after=_category_snapshot(category),
    )  # fmt: skip
    return category


def set_category_active(actor: User | None, category: Category, active: bool) -> Category:
    """Stop offering a category for new tickets (existing tickets keep it), or bring it back."""
    _check_categories(actor)
    if category.active != active:
        before = _category_snapshot(category)
        category.active = active
        db.session.flush()
        admin_log.record(
            actor, "category_activate" if active else "category_deactivate",
            target_type="category", target_id=category.id, province_code=None,
            before=before, after=_category_snapshot(category),
        )  # fmt: skip
    return category
