"""Build small, known data sets through the services."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from flask import current_app
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from ticketing.extensions import db
from ticketing.models import Category, School, SchoolAssignment, Ticket, User
from ticketing.services import tickets as ticket_service

PASSWORD = "Test-Password-2026"


@cache
def _hash() -> str:
    return generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


def make_user(email: str, role: str, province: str | None, district: str | None,
              name: str | None = None) -> User:  # fmt: skip
    """A user with the test password (a cheap hash keeps tests fast)."""
    user = User(email=email, name=name or email.split("@")[0].title(), role=role,
                province_code=province, district_code=district, password_hash=_hash(),
                locale=current_app.config["BABEL_DEFAULT_LOCALE"])  # fmt: skip
    db.session.add(user)
    db.session.flush()
    return user


def make_school(npsn: str, district: str, level: str = "SD", cohort: int = 1) -> School:
    """A school in a district."""
    school = School(npsn=npsn, name=f"{level} Negeri {npsn[-2:]}", level=level, status="negeri",
                    cohort=cohort, district_code=district, province_code=district[:2])  # fmt: skip
    db.session.add(school)
    db.session.flush()
    return school


def assign(facilitator: User, *schools: School) -> None:
    """Give a facilitator schools to support."""
    for school in schools:
        db.session.add(SchoolAssignment(facilitator=facilitator, school=school))
    db.session.flush()
    db.session.refresh(facilitator)


@dataclass
class World:
    """Everyone and everything a test may need; district A and B are in province 35."""

    category: Category
    school_a: School  # 35.01
    school_a2: School  # 35.01, supported by facilitator_a2
    school_b: School  # 35.02
    school_c: School  # 33.01 (another province)
    facilitator_a: User
    facilitator_a2: User
    facilitator_b: User
    facilitator_c: User
    officer_a: User
    officer_a2: User
    officer_b: User
    officer_c: User
    province: User
    province_c: User
    admin: User
    admin_c: User
    national: User
    central: User  # the central PMO (PMO Pusat): national scope, referred tickets only
    expert: User  # a Widyaprada of province 35, field: the world's category
    expert_c: User  # an expert of province 33 (same field)

    def raise_ticket(self, facilitator: User | None = None, school: School | None = None,
                     title: str = "Tidak ada guru bahasa Inggris") -> Ticket:  # fmt: skip
        """A new ticket raised by facilitator A at school A (by default)."""
        return ticket_service.raise_ticket(
            facilitator or self.facilitator_a, school=school or self.school_a,
            category=self.category, title=title, description="Sejak Juli belum ada guru.",
        )  # fmt: skip

    def users(self) -> dict[str, User]:
        """Every user of the world by field name."""
        return {k: v for k, v in vars(self).items() if isinstance(v, User)}


def build_world() -> World:
    """Create the world and commit it."""
    category = db.session.scalars(select(Category).order_by(Category.id)).first()
    assert category is not None
    school_a = make_school("20500001", "35.01")
    school_a2 = make_school("20500002", "35.01", level="SMP", cohort=2)
    school_b = make_school("20500003", "35.02")
    school_c = make_school("20300001", "33.01")
    world = World(
        category=category,
        school_a=school_a,
        school_a2=school_a2,
        school_b=school_b,
        school_c=school_c,
        facilitator_a=make_user("fa@x.id", "facilitator", "35", "35.01"),
        facilitator_a2=make_user("fa2@x.id", "facilitator", "35", "35.01"),
        facilitator_b=make_user("fb@x.id", "facilitator", "35", "35.02"),
        facilitator_c=make_user("fc@x.id", "facilitator", "33", "33.01"),
        officer_a=make_user("oa@x.id", "district_pmo", "35", "35.01"),
        officer_a2=make_user("oa2@x.id", "district_pmo", "35", "35.01"),
        officer_b=make_user("ob@x.id", "district_pmo", "35", "35.02"),
        officer_c=make_user("oc@x.id", "district_pmo", "33", "33.01"),
        province=make_user("prov@x.id", "province_pmo", "35", None),
        province_c=make_user("provc@x.id", "province_pmo", "33", None),
        admin=make_user("admin@x.id", "admin", "35", None),
        admin_c=make_user("adminc@x.id", "admin", "33", None),
        national=make_user("nat@x.id", "admin", None, None),
        central=make_user("pusat@x.id", "central_pmo", None, None),
        expert=make_user("wp@x.id", "expert", "35", None),
        expert_c=make_user("wpc@x.id", "expert", "33", None),
    )
    from ticketing.services import consultations

    consultations.set_fields(world.expert, [category.id])
    consultations.set_fields(world.expert_c, [category.id])
    assign(world.facilitator_a, school_a)
    assign(world.facilitator_a2, school_a2)
    assign(world.facilitator_b, school_b)
    assign(world.facilitator_c, school_c)
    db.session.commit()
    return world


def login(client: FlaskClient, user: User) -> None:
    """Sign in through the real form."""
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
