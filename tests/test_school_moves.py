"""A facilitator supports schools of their own district: moving a school must keep that true."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from tests.test_import_admin import SCHOOL_HEADER, write_csv
from ticketing import permissions
from ticketing.extensions import db
from ticketing.models import AdminLogEntry, SchoolAssignment
from ticketing.services import imports
from ticketing.services import schools as school_service


def supported_by(school: Any) -> set[int]:
    return set(
        db.session.scalars(
            select(SchoolAssignment.facilitator_id).where(SchoolAssignment.school_id == school.id)
        )
    )


def test_moving_a_school_drops_facilitators_of_the_old_district(world):
    school = world.school_a
    school_service.update_school(
        world.admin, school, name=school.name, level=school.level, status=school.status,
        cohort=school.cohort, district_code="35.02",
    )  # fmt: skip
    db.session.commit()
    assert world.facilitator_a.id not in supported_by(school)
    assert not permissions.can_raise_for(world.facilitator_a, school)
    entry = db.session.scalars(
        select(AdminLogEntry).where(AdminLogEntry.action == "school_update")
    ).one()
    assert entry.after["facilitators_removed"] == [world.facilitator_a.email]


def test_a_school_import_that_moves_schools_drops_misplaced_assignments(world, tmp_path):
    rows = [[world.school_a.npsn, world.school_a.name, "SD", "Negeri", "35.02", "1"]]
    path = write_csv(tmp_path / "move.csv", SCHOOL_HEADER, rows)
    result = imports.run(imports.SCHOOLS, path, actor=world.admin, filename="move.csv",
                         confirm=True)  # fmt: skip
    db.session.commit()
    assert result.written
    assert world.facilitator_a.id not in supported_by(world.school_a)
    # Schools that did not move keep their facilitators.
    assert world.facilitator_a2.id in supported_by(world.school_a2)
    entry = db.session.scalars(
        select(AdminLogEntry).where(AdminLogEntry.action == "import_schools")
    ).one()
    assert entry.after["assignments_removed"] == 1
