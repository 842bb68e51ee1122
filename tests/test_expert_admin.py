"""Experts' fields of expertise and scope after creation: the user edit page and the user
import, within the administrator's scope (permissions.administered_users / can_administer)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import login, make_user
from tests.test_import_admin import reasons_by_line, write_csv
from ticketing.extensions import db
from ticketing.models import AdminLogEntry, Category, User
from ticketing.services import consultations, imports

HEADER = ["nama", "email", "peran", "kode wilayah", "bidang keahlian"]


def _category(code: str) -> Category:
    return db.session.scalars(select(Category).where(Category.code == code)).one()


def _codes(user: User) -> set[str]:
    ids = consultations.expert_field_ids(user)
    return {c.code for c in db.session.scalars(select(Category).where(Category.id.in_(ids)))}


def _edit(client: FlaskClient, user: User, **data: Any) -> Any:
    form = {"name": user.name, "role": user.role, "region": user.province_code or ""}
    form.update(data)
    return client.post(f"/admin/users/{user.id}", data=form)


def test_province_admin_edits_the_fields_of_an_expert_of_the_province(
    client: FlaskClient, world: Any
) -> None:
    learning = _category("akademik-pembelajaran")
    budget = _category("nonakademik-anggaran")
    login(client, world.admin)
    page = client.get(f"/admin/users/{world.expert.id}").get_data(as_text=True)
    # The current field is ticked.
    assert f'selected value="{world.category.id}"' in page or (
        f'value="{world.category.id}" selected' in page
    )
    response = _edit(client, world.expert, fields=[str(learning.id), str(budget.id)])
    assert response.status_code == 302
    db.session.expire_all()
    assert _codes(world.expert) == {"akademik-pembelajaran", "nonakademik-anggaran"}
    entry = db.session.scalars(
        select(AdminLogEntry).where(AdminLogEntry.action == "user_update")
    ).one()
    assert entry.before is not None and entry.after is not None
    assert entry.before["fields"] == [world.category.code]
    assert entry.after["fields"] == ["akademik-pembelajaran", "nonakademik-anggaran"]
    # The expert is now found for tickets of the new field, no longer for the old one.
    ticket = world.raise_ticket()
    db.session.commit()
    assert world.expert not in consultations.experts_for(ticket)


def test_expert_scope_changes_within_the_administrators_reach(
    client: FlaskClient, world: Any
) -> None:
    login(client, world.admin)
    # A province administrator cannot make their expert national, nor move them away.
    for region in ("", "33"):
        response = _edit(client, world.expert, region=region, fields=[str(world.category.id)])
        assert response.status_code == 303  # back to the form with the refusal
        db.session.expire_all()
        assert world.expert.province_code == "35"
    # Nor see or change an expert of another province, nor a national one.
    national = make_user("wpn@x.id", "expert", None, None)
    db.session.commit()
    for other in (world.expert_c, national):
        assert client.get(f"/admin/users/{other.id}").status_code == 404
        assert _edit(client, other, fields=[]).status_code == 404
    assert _codes(world.expert_c) == {world.category.code}
    # A national administrator may give national scope.
    client.post("/logout")
    login(client, world.national)
    response = _edit(client, world.expert, region="", fields=[str(world.category.id)])
    assert response.status_code == 302
    db.session.expire_all()
    assert world.expert.province_code is None and _codes(world.expert) == {world.category.code}


def test_fields_only_for_experts_and_lost_with_the_role(client: FlaskClient, world: Any) -> None:
    login(client, world.admin)
    # Ticking fields for a facilitator is refused, nothing changes.
    response = _edit(client, world.officer_a, region="35.01", fields=[str(world.category.id)])
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only experts have fields of expertise." in page
    # An expert made a province officer loses their fields.
    response = _edit(client, world.expert, role="province_pmo", region="35", fields=[])
    assert response.status_code == 302
    db.session.expire_all()
    assert world.expert.role == "province_pmo"
    assert consultations.expert_field_ids(world.expert) == set()
    # Creating an expert with fields records them in the log.
    response = client.post(
        "/admin/users/new",
        data={"email": "wp9@x.id", "name": "Widya", "role": "expert", "region": "35",
              "fields": [str(world.category.id)]},
    )  # fmt: skip
    assert response.status_code == 200
    created = db.session.scalars(select(User).where(User.email == "wp9@x.id")).one()
    assert _codes(created) == {world.category.code}
    entry = db.session.scalars(
        select(AdminLogEntry).where(AdminLogEntry.action == "user_create")
    ).one()
    assert entry.after is not None and entry.after["fields"] == [world.category.code]


def test_import_sets_expert_fields_by_code_or_name(world: Any, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "u.csv",
        HEADER,
        [
            ["Widya A", "wa@contoh.id", "Widyaprada", "35",
             "akademik-pembelajaran; Anggaran"],  # 2: code and Indonesian name
            ["Widya B", "wb@contoh.id", "narasumber", "35",
             "The principal as learning leader"],  # 3: English name
            ["Widya C", "wc@contoh.id", "narasumber", "35", ""],  # 4: no fields (yet)
            ["Siti", "siti@contoh.id", "fasilitator", "35.01", ""],  # 5
        ],
    )  # fmt: skip
    result = imports.run(imports.USERS, path, actor=world.admin, filename="u", confirm=True)
    db.session.commit()
    assert result.errors == [] and result.created == 4
    by_email = {u.email: u for u in db.session.scalars(select(User))}
    assert _codes(by_email["wa@contoh.id"]) == {"akademik-pembelajaran", "nonakademik-anggaran"}
    assert _codes(by_email["wb@contoh.id"]) == {"akademik-kepemimpinan"}
    assert _codes(by_email["wc@contoh.id"]) == set()
    # The same file again changes nothing.
    again = imports.run(imports.USERS, path, actor=world.admin, filename="u", confirm=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    # A changed field updates the expert; an empty cell keeps an expert's fields.
    write_csv(
        path,
        HEADER,
        [
            ["Widya A", "wa@contoh.id", "Widyaprada", "35", ""],
            ["Widya B", "wb@contoh.id", "narasumber", "35", "lainnya"],
            ["Widya C", "wc@contoh.id", "narasumber", "35", "nonakademik-sdm"],
            ["Siti", "siti@contoh.id", "fasilitator", "35.01", ""],
        ],
    )
    changed = imports.run(imports.USERS, path, actor=world.admin, filename="u", confirm=True)
    db.session.commit()
    assert (changed.created, changed.updated, changed.unchanged) == (0, 2, 2)
    db.session.expire_all()
    assert _codes(by_email["wa@contoh.id"]) == {"akademik-pembelajaran", "nonakademik-anggaran"}
    assert _codes(by_email["wb@contoh.id"]) == {"nonakademik-lainnya"}
    assert _codes(by_email["wc@contoh.id"]) == {"nonakademik-sdm"}
    # An expert imported as another role loses the fields.
    write_csv(path, HEADER, [["Widya B", "wb@contoh.id", "pmo_provinsi", "35", ""]])
    moved = imports.run(imports.USERS, path, actor=world.admin, filename="u", confirm=True)
    db.session.commit()
    assert moved.updated == 1
    db.session.expire_all()
    assert consultations.expert_field_ids(by_email["wb@contoh.id"]) == set()


def test_import_refuses_bad_fields_with_reasons(world: Any, tmp_path: Path) -> None:
    from ticketing.services import schools

    old = _category("nonakademik-kegiatan")
    schools.set_category_active(world.national, old, False)
    db.session.commit()
    path = write_csv(
        tmp_path / "u.csv",
        HEADER,
        [
            ["Widya", "w1@contoh.id", "narasumber", "35", "akademik-perencanaan"],  # 2 ok
            ["Widya 2", "w2@contoh.id", "narasumber", "35", "astronomi"],  # 3 unknown
            ["Siti", "siti@contoh.id", "fasilitator", "35.01", "anggaran"],  # 4 not an expert
            ["Widya 3", "w3@contoh.id", "narasumber", "35", "nonakademik-kegiatan"],  # 5 off
            ["Widya 4", "w4@contoh.id", "narasumber", "", "anggaran"],  # 6 national
            ["Widya 5", "w5@contoh.id", "narasumber", "33", "anggaran"],  # 7 other province
            ["C", "wpc@x.id", "narasumber", "35", "anggaran"],  # 8 another province's expert
        ],
    )
    result = imports.validate(imports.USERS, path, actor=world.admin)
    reasons = reasons_by_line(result)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8]
    assert "Unknown field of expertise “astronomi”" in reasons[3]
    assert "Only experts (Widyaprada, narasumber) have fields of expertise." in reasons[4]
    assert "“nonakademik-kegiatan” is deactivated" in reasons[5]
    assert "Only a national administrator can add national experts." in reasons[6]
    assert "outside your province" in reasons[7]
    assert "account outside your province" in reasons[8]
    assert result.created == 1
    # A national administrator imports a national expert.
    national = imports.validate(imports.USERS, path, actor=world.national)
    assert 6 not in reasons_by_line(national)
