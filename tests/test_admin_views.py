"""Administration pages and commands: scope of a province administrator, changes, the log."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import assign, login, make_user
from ticketing.extensions import db
from ticketing.models import (
    AdminLogEntry,
    Category,
    School,
    SchoolAssignment,
    Ticket,
    TicketEvent,
    User,
)


def _log(action: str) -> list[AdminLogEntry]:
    return list(db.session.scalars(select(AdminLogEntry).where(AdminLogEntry.action == action)))


def test_only_administrators_enter(client: FlaskClient, world: Any) -> None:
    """Other roles get 403; anonymous visitors go to the sign-in page."""
    assert client.get("/admin/").status_code == 302
    login(client, world.province)
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/imports").status_code == 403


def test_province_admin_sees_only_their_province(client: FlaskClient, world: Any) -> None:
    """Another province's users, schools and log entries: 404 and absent from lists."""
    login(client, world.admin)
    users_page = client.get("/admin/users").get_data(as_text=True)
    assert world.facilitator_a.email in users_page
    assert world.facilitator_c.email not in users_page
    assert world.national.email not in users_page
    assert world.facilitator_c.email not in client.get("/admin/users?q=fc").get_data(as_text=True)
    schools_page = client.get("/admin/schools").get_data(as_text=True)
    assert world.school_a.npsn in schools_page and world.school_c.npsn not in schools_page
    for url in (
        f"/admin/users/{world.facilitator_c.id}",
        f"/admin/users/{world.national.id}",
        f"/admin/schools/{world.school_c.id}",
        f"/admin/users/{world.facilitator_c.id}/hand-over",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/admin/users/{world.facilitator_c.id}/disable",
        f"/admin/users/{world.facilitator_c.id}/link",
        f"/admin/schools/{world.school_c.id}/deactivate",
        f"/admin/users/{world.facilitator_c.id}/assignments/{world.school_c.id}/remove",
    ):
        assert client.post(url).status_code == 404, url
    db.session.expire_all()
    assert world.facilitator_c.active and world.school_c.active
    # A school of another province cannot be given to one's own facilitator, nor a user moved.
    response = client.post(
        f"/admin/users/{world.facilitator_a.id}/assignments", data={"npsn": world.school_c.npsn}
    )
    assert response.status_code == 302
    assert len(world.facilitator_a.assignments) == 1
    moved = client.post(
        f"/admin/users/{world.facilitator_a.id}",
        data={"name": "FA", "role": "facilitator", "region": "33.01"},
    )
    assert moved.status_code == 303  # back to the form, text kept
    db.session.expire_all()
    assert world.facilitator_a.district_code == "35.01"


def test_national_admin_sees_every_province(client: FlaskClient, world: Any) -> None:
    """The national administrator's lists include every province."""
    login(client, world.national)
    page = client.get("/admin/users?q=@x.id").get_data(as_text=True)
    assert world.facilitator_c.email in page and world.facilitator_a.email in page
    assert client.get(f"/admin/schools/{world.school_c.id}").status_code == 200


def test_create_user_shows_link_and_logs(client: FlaskClient, world: Any) -> None:
    """No password chosen by the administrator; the link is shown; the creation is logged."""
    login(client, world.admin)
    response = client.post(
        "/admin/users/new",
        data={
            "email": "guru@contoh.id",
            "name": "Guru Baru",
            "role": "facilitator",
            "region": "35.02",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "/account/welcome/" in page
    user = db.session.scalars(select(User).where(User.email == "guru@contoh.id")).one()
    assert user.password_hash is None and user.district_code == "35.02"
    [entry] = _log("user_create")
    assert entry.actor_id == world.admin.id and entry.province_code == "35"
    assert entry.after is not None and entry.after["role"] == "facilitator"
    outside = client.post(
        "/admin/users/new",
        data={"email": "x@contoh.id", "name": "Xaverius", "role": "facilitator", "region": "33.01"},
    )
    # Refused: back on the form with what was typed and the reason, not on an error page.
    assert outside.status_code == 303 and outside.headers["Location"].endswith("/admin/users/new")
    again = client.get("/admin/users/new").get_data(as_text=True)
    assert 'value="Xaverius"' in again and 'value="x@contoh.id"' in again
    assert "flash-error" in again


def test_change_role_records_before_and_after(client: FlaskClient, world: Any) -> None:
    """A role change is visible in the log with the old and the new values."""
    login(client, world.admin)
    response = client.post(
        f"/admin/users/{world.officer_b.id}",
        data={"name": "Officer B", "role": "province_pmo", "region": "35"},
    )
    assert response.status_code == 302
    [entry] = _log("user_update")
    assert entry.before is not None and entry.after is not None
    assert entry.before["role"] == "district_pmo" and entry.before["district_code"] == "35.02"
    assert entry.after["role"] == "province_pmo" and entry.after["district_code"] is None
    log_page = client.get("/admin/log").get_data(as_text=True)
    assert "user_update" in log_page and "province_pmo" in log_page


def test_log_page_is_scoped(client: FlaskClient, app: Flask, world: Any) -> None:
    """A province administrator reads their province's entries only."""
    login(client, world.admin_c)
    client.post(f"/admin/users/{world.facilitator_c.id}/disable")
    client.post("/logout")
    login(client, world.admin)
    assert "user_disable" not in client.get("/admin/log").get_data(as_text=True)
    client.post("/logout")
    login(client, world.national)
    assert "user_disable" in client.get("/admin/log").get_data(as_text=True)


def test_schools_create_edit_deactivate(client: FlaskClient, world: Any) -> None:
    """Add, edit and deactivate a school; outside the province is refused."""
    login(client, world.admin)
    data = {"npsn": "20599901", "name": "SD Baru", "level": "SD", "status": "negeri",
            "cohort": "3", "district_code": "3501"}  # fmt: skip
    assert client.post("/admin/schools/new", data=data).status_code == 302
    school = db.session.scalars(select(School).where(School.npsn == "20599901")).one()
    assert school.district_code == "35.01" and school.province_code == "35"
    edit = {**data, "name": "SD Baru Jaya", "district_code": "35.02"}
    assert client.post(f"/admin/schools/{school.id}", data=edit).status_code == 302
    assert client.post(f"/admin/schools/{school.id}/deactivate").status_code == 302
    db.session.expire_all()
    assert (school.name, school.district_code, school.active) == ("SD Baru Jaya", "35.02", False)
    bad = {**data, "npsn": "20599902", "district_code": "33.01"}
    assert client.post("/admin/schools/new", data=bad).status_code == 303  # form kept
    actions = db.session.scalars(select(AdminLogEntry.action).order_by(AdminLogEntry.id)).all()
    assert actions == ["school_create", "school_update", "school_deactivate"]


def test_assignments_add_remove(client: FlaskClient, world: Any) -> None:
    """Give a facilitator a school of their district, then take it away."""
    login(client, world.admin)
    extra = db.session.scalars(select(School).where(School.npsn == "20500002")).one()
    client.post(f"/admin/users/{world.facilitator_a.id}/assignments", data={"npsn": extra.npsn})
    db.session.expire_all()
    assert {a.school_id for a in world.facilitator_a.assignments} == {world.school_a.id, extra.id}
    client.post(f"/admin/users/{world.facilitator_a.id}/assignments/{extra.id}/remove")
    db.session.expire_all()
    assert {a.school_id for a in world.facilitator_a.assignments} == {world.school_a.id}
    assert [e.action for e in db.session.scalars(select(AdminLogEntry))] == [
        "assignment_add", "assignment_remove"
    ]  # fmt: skip


def test_hand_over_departing_facilitators_tickets(client: FlaskClient, world: Any) -> None:
    """Each open ticket goes to the current facilitator of its school; audit rows are written."""
    first = world.raise_ticket()
    second = world.raise_ticket(title="Tidak ada internet")
    newcomer = make_user("baru@x.id", "facilitator", "35", "35.01")
    assign(newcomer, world.school_a)
    db.session.commit()
    login(client, world.admin)
    plan = client.get(f"/admin/users/{world.facilitator_a.id}/hand-over").get_data(as_text=True)
    assert first.number in plan and newcomer.name in plan
    done = client.post(f"/admin/users/{world.facilitator_a.id}/hand-over", data={"note": "Pindah"})
    assert done.status_code == 200
    db.session.expire_all()
    for ticket in (first, second):
        refreshed = db.session.get(Ticket, ticket.id)
        assert refreshed is not None and refreshed.facilitator_id == newcomer.id
        last = db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        ).all()[-1]
        assert last.event == "hand_over" and last.actor_id == world.admin.id
    [entry] = _log("tickets_hand_over")
    assert entry.after is not None and len(entry.after["handed"]) == 2


def test_hand_over_skips_school_without_other_facilitator(world: Any) -> None:
    """With nobody else at the school the ticket stays and the reason is reported."""
    from ticketing.services.schools import hand_over_all

    ticket = world.raise_ticket()
    report = hand_over_all(world.admin, world.facilitator_a)
    assert report.handed == [] and report.skipped[0][0] == ticket.number


def test_categories_national_only(client: FlaskClient, world: Any) -> None:
    """Categories are shared: province administrators read them, national ones change them."""
    parent = db.session.scalars(select(Category).where(Category.parent_id.is_(None))).first()
    assert parent is not None
    login(client, world.admin)
    assert client.get("/admin/categories").status_code == 200
    data = {"parent": str(parent.id), "name_id": "Guru mapel", "name_en": "Subject teachers"}
    assert client.post("/admin/categories", data=data).status_code == 403
    client.post("/logout")
    login(client, world.national)
    assert client.post("/admin/categories", data=data).status_code == 302
    child = db.session.scalars(select(Category).where(Category.name_id == "Guru mapel")).one()
    assert child.parent_id == parent.id and child.kind == parent.kind
    rename = {"name_id": "Guru mata pelajaran", "name_en": "Subject teachers"}
    assert client.post(f"/admin/categories/{child.id}", data=rename).status_code == 302
    assert client.post(f"/admin/categories/{child.id}/deactivate").status_code == 302
    # A subcategory cannot have subcategories of its own.
    nested = {"parent": str(child.id), "name_id": "Terlalu dalam", "name_en": ""}
    assert client.post("/admin/categories", data=nested).status_code in (400, 404)
    top = {"parent": "non_academic", "name_id": "Sarana prasarana", "name_en": "Facilities"}
    assert client.post("/admin/categories", data=top).status_code == 302
    db.session.expire_all()
    assert child.name_id == "Guru mata pelajaran" and not child.active
    actions = [
        e.action for e in db.session.scalars(select(AdminLogEntry).order_by(AdminLogEntry.id))
    ]
    assert actions == [
        "category_create",
        "category_rename",
        "category_deactivate",
        "category_create",
    ]


def test_cli_commands(app: Flask, world: Any, tmp_path: Path) -> None:
    """The same operations from the command line."""
    runner = app.test_cli_runner()
    csv_path = tmp_path / "s.csv"
    csv_path.write_text(
        "npsn,nama,jenjang,status,kode_kabupaten_kota,angkatan\n"
        "50200001,SD Negeri 1 Gerung,SD,Negeri,52.01,3\n"
        "50200002,SD Salah,SD,Negeri,35.01,3\n",
        encoding="utf-8",
    )
    result = runner.invoke(args=["schools", "import", str(csv_path), "--province", "52"])
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output and "line 3" in result.output
    users_path = tmp_path / "u.csv"
    users_path.write_text("nama,email,peran,kode wilayah\nLalu,lalu@ntb.id,FSP,5201\n", "utf-8")
    assert runner.invoke(args=["users", "import", str(users_path)]).exit_code == 0
    assign_path = tmp_path / "a.csv"
    assign_path.write_text("email,npsn\nlalu@ntb.id,50200001\n", "utf-8")
    assert "1 new" in runner.invoke(args=["assignments", "import", str(assign_path)]).output
    link = runner.invoke(args=["users", "link", "lalu@ntb.id"])
    assert "/account/welcome/" in link.output
    assert (
        runner.invoke(
            args=["users", "set-role", "lalu@ntb.id", "pmo_kabupaten", "--region", "52.01"]
        ).exit_code
        == 0
    )
    assert runner.invoke(args=["users", "disable", "lalu@ntb.id"]).exit_code == 0
    lalu = db.session.scalars(select(User).where(User.email == "lalu@ntb.id")).one()
    db.session.refresh(lalu)
    assert lalu.role == "district_pmo" and not lalu.active
    assert runner.invoke(args=["users", "set-role", "lalu@ntb.id", "kepala"]).exit_code != 0
    assert runner.invoke(args=["schools", "deactivate", "50200001"]).exit_code == 0
    world.raise_ticket()
    newcomer = make_user("baru@x.id", "facilitator", "35", "35.01")
    assign(newcomer, world.school_a)
    db.session.commit()
    handed = runner.invoke(args=["tickets", "hand-over", "fa@x.id", "--actor", "admin@x.id"])
    assert handed.exit_code == 0 and "baru@x.id" in handed.output
    assert db.session.scalars(select(SchoolAssignment)).all()


@pytest.mark.parametrize("who", ["admin", "national"])
def test_every_admin_page_renders(client: FlaskClient, world: Any, who: str) -> None:
    """Each page of the administration answers 200 for administrators of both kinds."""
    world.raise_ticket()
    login(client, getattr(world, who))
    pages = [
        "/admin/", "/admin/users", "/admin/users?q=fa&page=1", "/admin/users/new",
        f"/admin/users/{world.facilitator_a.id}", f"/admin/users/{world.officer_a.id}",
        f"/admin/users/{world.facilitator_a.id}/hand-over", "/admin/schools",
        "/admin/schools?q=20500001", "/admin/schools/new", f"/admin/schools/{world.school_a.id}",
        "/admin/categories", "/admin/imports", "/admin/log", "/account/password",
    ]  # fmt: skip
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
