"""Imports of schools, users and assignments: validation, all-or-nothing, idempotence, scale."""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.factories import login
from ticketing.extensions import db
from ticketing.models import AdminLogEntry, School, SchoolAssignment, User
from ticketing.services import imports


def write_csv(path: Path, header: list[str], rows: list[list[Any]], delimiter: str = ",") -> Path:
    """Write a CSV file as a spreadsheet program would."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def count(model: Any) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


SCHOOL_HEADER = ["NPSN", "Nama", "Jenjang", "Status", "Kode Kabupaten/Kota", "Angkatan"]


def reasons_by_line(result: imports.ImportResult) -> dict[int, str]:
    return {e.line: e.message for e in result.errors}


# --- Schools ----------------------------------------------------------------------------------


def test_school_file_with_every_refusal_reason(world: Any, tmp_path: Path) -> None:
    """Each bad row is refused with its line number and a specific reason; good rows pass."""
    path = write_csv(
        tmp_path / "sekolah.csv",
        SCHOOL_HEADER,
        [
            ["20512345", "SD Negeri 1 Batu", "SD", "Negeri", "35.01", "1"],  # 2 ok
            ["2051234", "SD Pendek", "SD", "Negeri", "35.01", "1"],  # 3 NPSN too short
            ["20512346", "", "SMP", "Swasta", "35.01", "2"],  # 4 missing name
            ["20512347", "SMA Tujuh", "Universitas", "Negeri", "35.01", "1"],  # 5 level
            ["20512348", "SMK Satu", "SMK", "Negeri", "99.99", "1"],  # 6 unknown district
            ["20512349", "SD Semarang", "SD", "Negeri", "33.01", "1"],  # 7 other province
            ["20512345", "SD Dobel", "SD", "Negeri", "35.01", "1"],  # 8 duplicate NPSN
            ["20512350", "SD Status", "SD", "Campuran", "35.01", "1"],  # 9 status
            ["20512351", "SD Angkatan", "SD", "Swasta", "3501", "tiga"],  # 10 cohort
            ["20300001", "SD Jateng", "SD", "Negeri", "35.01", "1"],  # 11 NPSN of province 33
            ["20512352", "PAUD Melati", "tk", "swasta", "3502", ""],  # 12 ok (TK=PAUD, 3502)
        ],
    )
    result = imports.validate(imports.SCHOOLS, path, actor=world.admin)
    reasons = reasons_by_line(result)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert "Invalid NPSN “2051234”" in reasons[3] and "8 digits" in reasons[3]
    assert "school name (nama) is missing" in reasons[4]
    assert "Unknown level “Universitas”" in reasons[5]
    assert "Unknown district code “99.99”" in reasons[6]
    assert "outside your province" in reasons[7] and "33.01" in reasons[7]
    assert "Duplicate NPSN 20512345: already on line 2" in reasons[8]
    assert "Unknown status “Campuran”" in reasons[9]
    assert "cohort (angkatan) “tiga” is not a whole number" in reasons[10]
    assert "belongs to a school of another province" in reasons[11]
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    # Validation alone writes nothing.
    assert count(School) == 4


def test_nothing_written_before_confirm_then_everything_in_one_go(
    app: Flask, client: FlaskClient, world: Any, tmp_path: Path
) -> None:
    """Upload -> preview lists bad rows, writes nothing; confirm writes all valid rows."""
    rows = [[f"205{i:05d}", f"SD {i}", "SD", "Negeri", "35.01", "1"] for i in range(10, 40)]
    rows.insert(5, ["12", "SD Rusak", "SD", "Negeri", "35.01", "1"])  # line 7
    path = write_csv(tmp_path / "s.csv", SCHOOL_HEADER, rows)
    login(client, world.admin)
    response = client.post(
        "/admin/imports",
        data={"kind": "schools", "file": (io.BytesIO(path.read_bytes()), "sekolah.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "<td>7</td>" in page and "Invalid NPSN" in page
    assert 'data-count="created">30<' in page
    assert count(School) == 4  # nothing written by the preview
    stored = list((Path(app.instance_path) / "imports").iterdir())
    assert len(stored) == 1
    done = client.post(preview_url + "/confirm")
    assert done.status_code == 200
    assert count(School) == 34
    assert not (Path(app.instance_path) / "imports" / stored[0].name).exists()
    entry = db.session.scalars(
        select(AdminLogEntry).where(AdminLogEntry.action == "import_schools")
    ).one()
    assert entry.after is not None
    assert entry.after["created"] == 30 and entry.after["refused"] == 1
    assert entry.actor_id == world.admin.id and entry.province_code == "35"
    # The upload is tied to this browser session: another administrator cannot confirm it.
    assert client.post(preview_url + "/confirm").status_code == 404


def test_confirm_is_one_transaction(world: Any, tmp_path: Path) -> None:
    """If the write fails halfway, no row of the import stays."""
    rows = [[f"205{i:05d}", f"SD {i}", "SD", "Negeri", "35.01", "1"] for i in range(10, 20)]
    path = write_csv(tmp_path / "s.csv", SCHOOL_HEADER, rows)
    result = imports.validate(imports.SCHOOLS, path, actor=world.admin)
    # Sabotage the last insert (an invalid level the database refuses) after validation.
    result.inserts[-1]["level"] = "XXX"
    with pytest.raises(Exception):  # noqa: B017 - the database's integrity error
        imports.apply(result, actor=world.admin, filename="s.csv")
    db.session.rollback()
    assert count(School) == 4
    assert count(AdminLogEntry) == 0


def test_reimport_same_file_changes_nothing_and_changed_file_updates(
    world: Any, tmp_path: Path
) -> None:
    """Idempotent by NPSN: same file -> all unchanged; edited rows -> updated in place."""
    rows = [[f"205{i:05d}", f"SD {i}", "SD", "Negeri", "35.01", "1"] for i in range(10, 20)]
    path = write_csv(tmp_path / "s.csv", SCHOOL_HEADER, rows)
    first = imports.run(imports.SCHOOLS, path, actor=world.admin, filename="s", confirm=True)
    db.session.commit()
    assert (first.created, first.updated, first.unchanged) == (10, 0, 0)
    again = imports.run(imports.SCHOOLS, path, actor=world.admin, filename="s", confirm=True)
    db.session.commit()
    assert (again.created, again.updated, again.unchanged) == (0, 0, 10)
    rows[0][1] = "SD Negeri Baru"
    rows[1][4] = "35.02"
    rows[2][5] = "3"
    write_csv(path, SCHOOL_HEADER, rows)
    changed = imports.run(imports.SCHOOLS, path, actor=world.admin, filename="s", confirm=True)
    db.session.commit()
    assert (changed.created, changed.updated, changed.unchanged) == (0, 3, 7)
    db.session.expire_all()
    by_npsn = {s.npsn: s for s in db.session.scalars(select(School))}
    assert by_npsn["20500010"].name == "SD Negeri Baru"
    assert by_npsn["20500011"].district_code == "35.02"
    assert by_npsn["20500012"].cohort == 3
    assert count(School) == 14


def test_missing_column_is_reported(world: Any, tmp_path: Path) -> None:
    """A file without a required column is refused as a whole, naming the column."""
    path = write_csv(tmp_path / "s.csv", ["npsn", "nama"], [["20500099", "SD"]])
    result = imports.validate(imports.SCHOOLS, path, actor=world.admin)
    assert result.file_error and "jenjang" in result.file_error
    assert "kode_kabupaten_kota" in result.file_error


def test_semicolon_csv_and_header_spellings(world: Any, tmp_path: Path) -> None:
    """Spreadsheets in Indonesian locales save with ';'; headers vary in spelling."""
    path = write_csv(
        tmp_path / "s.csv",
        ["NPSN", "Nama Sekolah", "Bentuk Pendidikan", "Status Sekolah", "kode_kab_kota", "cohort"],
        [["20500077", "SMP Negeri 7", "SMP", "N", "35.01", "2"]],
        delimiter=";",
    )
    result = imports.validate(imports.SCHOOLS, path, actor=world.admin)
    assert result.errors == [] and result.created == 1
    assert result.inserts[0]["status"] == "negeri" and result.inserts[0]["cohort"] == 2


def test_xlsx_school_import(world: Any, tmp_path: Path) -> None:
    """XLSX files work the same way, numbers in cells included."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["npsn", "nama", "jenjang", "status", "kode_kabupaten_kota", "angkatan"])
    for i in range(500):
        sheet.append([20600000 + i, f"SD Negeri {i}", "SD", "Negeri", 3501, 2])
    sheet.append([123, "SD Rusak", "SD", "Negeri", 3501, 2])
    path = tmp_path / "sekolah.xlsx"
    workbook.save(path)
    started = time.perf_counter()
    result = imports.run(imports.SCHOOLS, path, actor=world.admin, filename="x", confirm=True)
    db.session.commit()
    print(f"\nXLSX 500 schools: {time.perf_counter() - started:.2f} s")
    assert result.created == 500
    assert reasons_by_line(result).keys() == {502}
    assert count(School) == 504


def test_30000_schools_import(world: Any, tmp_path: Path, database_url: str) -> None:
    """A national-scale file: validated and written with bulk statements; time is printed."""
    districts = [f"35.{n:02d}" for n in range(1, 30)] + [f"35.{n}" for n in range(71, 80)]
    rows = [
        [f"{30000000 + i}", f"Sekolah {i}", ("SD", "SMP", "SMA", "SMK")[i % 4],
         ("Negeri", "Swasta")[i % 2], districts[i % len(districts)], str(1 + i % 3)]
        for i in range(30_000)
    ]  # fmt: skip
    path = write_csv(tmp_path / "jatim.csv", SCHOOL_HEADER, rows)
    started = time.perf_counter()
    result = imports.run(imports.SCHOOLS, path, actor=world.admin, filename="j", confirm=True)
    db.session.commit()
    first = time.perf_counter() - started
    assert result.errors == [] and result.created == 30_000
    assert count(School) == 30_004
    started = time.perf_counter()
    again = imports.run(imports.SCHOOLS, path, actor=world.admin, filename="j", confirm=True)
    db.session.commit()
    second = time.perf_counter() - started
    assert again.unchanged == 30_000 and again.created == again.updated == 0
    backend = database_url.split(":", 1)[0]
    print(f"\n30,000 schools on {backend}: import {first:.2f} s, re-import {second:.2f} s")


# --- Users ------------------------------------------------------------------------------------

USER_HEADER = ["nama", "email", "peran", "kode wilayah"]


def test_user_file_with_every_refusal_reason(world: Any, tmp_path: Path) -> None:
    """Roles in Indonesian or internal names; every kind of bad row explained."""
    path = write_csv(
        tmp_path / "u.csv",
        USER_HEADER,
        [
            ["Siti", "siti@contoh.id", "Fasilitator", "35.01"],  # 2 ok
            ["Budi", "budi@contoh.id", "pmo_kabupaten", "3502"],  # 3 ok
            ["Wati", "wati@contoh.id", "PMO Provinsi", "35"],  # 4 ok
            ["", "anon@contoh.id", "fasilitator", "35.01"],  # 5 missing name
            ["Eko", "eko-at-contoh", "fasilitator", "35.01"],  # 6 bad e-mail
            ["Dewi", "dewi@contoh.id", "kepala sekolah", "35.01"],  # 7 unknown role
            ["Rudi", "rudi@contoh.id", "fasilitator", "35"],  # 8 facilitator w/ province
            ["Ani", "ani@contoh.id", "pmo_provinsi", "35.01"],  # 9 province PMO w/ district
            ["Joko", "joko@contoh.id", "fasilitator", "33.01"],  # 10 other province
            ["Siti 2", "SITI@contoh.id", "fasilitator", "35.01"],  # 11 duplicate e-mail
            ["Tono", "tono@contoh.id", "fasilitator", "99.99"],  # 12 unknown district
            ["Nasional", "nas@contoh.id", "admin", ""],  # 13 national admin by province admin
            ["C", "fc@x.id", "fasilitator", "35.01"],  # 14 e-mail of another province's user
            ["Admin", "adm@contoh.id", "administrator", "35"],  # 15 admin by province admin
        ],
    )
    result = imports.validate(imports.USERS, path, actor=world.admin)
    reasons = reasons_by_line(result)
    assert sorted(reasons) == [5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]
    assert "name (nama) is missing" in reasons[5]
    assert "Bad e-mail address “eko-at-contoh”" in reasons[6]
    assert "Unknown role “kepala sekolah”" in reasons[7]
    assert "Role and region do not match" in reasons[8] and "district" in reasons[8]
    assert "Role and region do not match" in reasons[9] and "whole province" in reasons[9]
    assert "outside your province" in reasons[10]
    assert "Duplicate e-mail siti@contoh.id: already on line 2" in reasons[11]
    assert "Unknown district code “99.99”" in reasons[12]
    assert "cannot create a national administrator" in reasons[13]
    assert "account outside your province" in reasons[14]
    assert "Only a national administrator can create administrators" in reasons[15]
    assert result.created == 3
    roles = {row["email"]: (row["role"], row["district_code"]) for row in result.inserts}
    assert roles["budi@contoh.id"] == ("district_pmo", "35.02")
    assert roles["wati@contoh.id"] == ("province_pmo", None)


def test_user_reimport_updates_by_email(world: Any, tmp_path: Path) -> None:
    """Same file: unchanged; a changed role or name updates the account with that e-mail."""
    rows = [
        ["Siti", "siti@contoh.id", "fasilitator", "35.01"],
        ["Budi", "Budi@Contoh.id", "fasilitator", "35.01"],
    ]
    path = write_csv(tmp_path / "u.csv", USER_HEADER, rows)
    first = imports.run(imports.USERS, path, actor=world.admin, filename="u", confirm=True)
    db.session.commit()
    assert first.created == 2
    again = imports.run(imports.USERS, path, actor=world.admin, filename="u", confirm=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    rows[1] = ["Budi Santoso", "budi@contoh.id", "pmo_kabupaten", "35.02"]
    write_csv(path, USER_HEADER, rows)
    changed = imports.run(imports.USERS, path, actor=world.admin, filename="u", confirm=True)
    db.session.commit()
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 1)
    budi = db.session.scalars(select(User).where(User.email == "budi@contoh.id")).one()
    assert (budi.name, budi.role, budi.district_code) == ("Budi Santoso", "district_pmo", "35.02")
    assert budi.password_hash is None  # imported accounts set their password via a link


# --- Assignments ------------------------------------------------------------------------------


def test_assignment_file_with_every_refusal_reason(world: Any, tmp_path: Path) -> None:
    """Unknown people and schools, non-facilitators, wrong district, duplicates."""
    path = write_csv(
        tmp_path / "a.csv",
        ["email", "npsn"],
        [
            ["fa@x.id", "20500002"],  # 2 ok (school_a2, district 35.01)
            ["nobody@x.id", "20500001"],  # 3 unknown user
            ["oa@x.id", "20500001"],  # 4 not a facilitator
            ["fa@x.id", "20599999"],  # 5 unknown school
            ["fa@x.id", "20500003"],  # 6 school in 35.02, facilitator in 35.01
            ["fc@x.id", "20300001"],  # 7 user and school of another province
            ["fa@x.id", "20500002"],  # 8 duplicate pair
            ["fa@x.id", "2050"],  # 9 invalid NPSN
            ["fa@x.id", "20500001"],  # 10 already assigned: unchanged
        ],
    )
    result = imports.validate(imports.ASSIGNMENTS, path, actor=world.admin)
    reasons = reasons_by_line(result)
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "No user with the e-mail nobody@x.id in your province" in reasons[3]
    assert "oa@x.id is not a facilitator" in reasons[4]
    assert "Unknown school: no school with NPSN 20599999" in reasons[5]
    assert "School 20500003 is in district 35.02" in reasons[6] and "35.01" in reasons[6]
    assert "No user with the e-mail fc@x.id in your province" in reasons[7]
    assert "Unknown school" in reasons[7]
    assert "already on line 2" in reasons[8]
    assert "Invalid NPSN" in reasons[9]
    assert (result.created, result.unchanged) == (1, 1)
    imports.apply(result, actor=world.admin, filename="a.csv")
    db.session.commit()
    again = imports.run(imports.ASSIGNMENTS, path, actor=world.admin, filename="a", confirm=True)
    assert (again.created, again.unchanged) == (0, 2)
    assert count(SchoolAssignment) == 5


# --- A new province from three files ----------------------------------------------------------


def test_onboard_ntb_from_three_files(
    app: Flask, client: FlaskClient, world: Any, tmp_path: Path
) -> None:
    """Province 52: schools, users, assignments; then a facilitator sets a password and works."""
    from tests.factories import make_user

    ntb_admin = make_user("admin.ntb@x.id", "admin", "52", None)
    db.session.commit()
    login(client, ntb_admin)

    def upload(kind: str, name: str, data: bytes) -> str:
        response = client.post(
            "/admin/imports",
            data={"kind": kind, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )
        assert response.status_code == 302
        preview = client.get(response.headers["Location"]).get_data(as_text=True)
        assert 'data-count="refused">0<' in preview, preview
        done = client.post(response.headers["Location"] + "/confirm")
        assert done.status_code == 200
        return done.get_data(as_text=True)

    def csv_bytes(header: list[str], rows: list[list[str]]) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header)
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8-sig")  # Excel writes a BOM

    upload(
        "schools",
        "sekolah_ntb.csv",
        csv_bytes(
            SCHOOL_HEADER,
            [
                ["50200001", "SD Negeri 1 Gerung", "SD", "Negeri", "52.01", "3"],
                ["50200002", "SMP Negeri 2 Gerung", "SMP", "Negeri", "52.01", "3"],
                ["50200003", "SD Negeri 1 Praya", "SD", "Negeri", "52.02", "3"],
            ],
        ),
    )
    upload(
        "users",
        "pengguna_ntb.csv",
        csv_bytes(
            USER_HEADER,
            [
                ["Lalu Ahmad", "lalu@ntb.id", "fasilitator", "52.01"],
                ["Baiq Nur", "baiq@ntb.id", "fasilitator", "52.02"],
                ["Dinas Lobar", "dinas.lobar@ntb.id", "pmo_kabupaten", "52.01"],
                ["PMO NTB", "pmo@ntb.id", "pmo_provinsi", "52"],
            ],
        ),
    )
    upload(
        "assignments",
        "penugasan_ntb.csv",
        csv_bytes(
            ["email", "npsn"],
            [["lalu@ntb.id", "50200001"], ["lalu@ntb.id", "50200002"], ["baiq@ntb.id", "50200003"]],
        ),
    )
    lalu = db.session.scalars(select(User).where(User.email == "lalu@ntb.id")).one()
    assert {a.school.npsn for a in lalu.assignments} == {"50200001", "50200002"}
    # The administrator makes Lalu's first sign-in link (no mail server configured).
    page = client.post(f"/admin/users/{lalu.id}/link").get_data(as_text=True)
    link = page.split('readonly value="', 1)[1].split('"', 1)[0]
    assert "/account/welcome/" in link
    client.post("/logout")
    path = link.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    response = client.post(
        path, data={"password": "Rinjani-Segara-77", "confirm": "Rinjani-Segara-77"}
    )
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    response = client.post("/login", data={"email": "lalu@ntb.id", "password": "Rinjani-Segara-77"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    log = db.session.scalars(
        select(AdminLogEntry.action).where(AdminLogEntry.province_code == "52")
    ).all()
    assert {"import_schools", "import_users", "import_assignments", "user_send_link"} <= set(log)
