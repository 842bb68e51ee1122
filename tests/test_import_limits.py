"""Imports parsed once within limits, staged for preview and confirm; one set of field rules
per record, shared by its form and its import."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openpyxl import Workbook
from sqlalchemy import func, select

from tests.factories import login
from tests.test_import_admin import reasons_by_line, write_csv
from ticketing.extensions import db
from ticketing.models import School, User
from ticketing.services import imports

SCHOOL_HEADER = ["npsn", "nama", "jenjang", "status", "kode kabupaten/kota", "angkatan"]


def xlsx(path: Path, rows: int) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(SCHOOL_HEADER)
    for i in range(rows):
        sheet.append([f"{20600000 + i}", f"SD Negeri {i}", "SD", "negeri", "35.01", 1])
    book.save(path)
    return path


def _no_parsing(monkeypatch: Any) -> None:
    def refuse(_path: Path) -> Any:
        raise AssertionError("the file was parsed")

    monkeypatch.setattr(imports, "_read_xlsx", refuse)
    monkeypatch.setattr(imports, "_read_csv", refuse)


def test_xlsx_with_too_many_rows_is_refused_before_parsing(
    app: Flask, world, tmp_path, monkeypatch
):
    app.config["IMPORT_MAX_ROWS"] = 100
    path = xlsx(tmp_path / "big.xlsx", 150)
    _no_parsing(monkeypatch)
    result = imports.validate(imports.SCHOOLS, path, actor=world.admin)
    assert result.file_error is not None and "more than 100 rows" in result.file_error
    assert not result.inserts


def test_unpacked_size_is_checked_before_parsing(app: Flask, world, tmp_path, monkeypatch):
    app.config["IMPORT_MAX_UNPACKED_BYTES"] = 4 * 1024 * 1024
    path = xlsx(tmp_path / "wide.xlsx", 30)
    app.config["IMPORT_MAX_UNPACKED_BYTES"] = 2048  # smaller than the file's XML
    _no_parsing(monkeypatch)
    result = imports.validate(imports.SCHOOLS, path, actor=world.admin)
    assert result.file_error is not None and "too large once unpacked" in result.file_error


def test_csv_rows_are_counted_before_parsing(app: Flask, world, tmp_path, monkeypatch):
    app.config["IMPORT_MAX_ROWS"] = 10
    rows = [[f"{20600000 + i}", f"SD {i}", "SD", "negeri", "35.01", 1] for i in range(11)]
    path = write_csv(tmp_path / "s.csv", SCHOOL_HEADER, rows)
    _no_parsing(monkeypatch)
    result = imports.validate(imports.SCHOOLS, path, actor=world.admin)
    assert result.file_error is not None and "more than 10 rows" in result.file_error
    monkeypatch.undo()
    app.config["IMPORT_MAX_ROWS"] = 11
    assert imports.validate(imports.SCHOOLS, path, actor=world.admin).file_error is None


@pytest.mark.indonesian
def test_the_limit_message_is_in_indonesian(app: Flask, world, tmp_path, client):
    app.config["IMPORT_MAX_ROWS"] = 5
    login(client, world.admin)
    response = client.post(
        "/admin/imports",
        data={
            "kind": "schools",
            "file": (io.BytesIO(xlsx(tmp_path / "b.xlsx", 9).read_bytes()), "b.xlsx"),
        },
        content_type="multipart/form-data",
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "lebih dari 5 baris" in page


def test_a_file_is_parsed_once_then_staged(app: Flask, world, tmp_path, client, monkeypatch):
    login(client, world.admin)
    path = xlsx(tmp_path / "ok.xlsx", 3)
    response = client.post(
        "/admin/imports",
        data={"kind": "schools", "file": (io.BytesIO(path.read_bytes()), "ok.xlsx")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    folder = Path(app.instance_path) / "imports"
    staged = list(folder.iterdir())
    assert [p.suffix for p in staged] == [".json"]  # the upload itself is not kept
    _no_parsing(monkeypatch)  # preview and confirm read the staged rows
    preview = response.headers["Location"]
    assert client.get(preview).status_code == 200
    done = client.post(preview + "/confirm")
    assert done.status_code == 200
    assert db.session.scalar(select(func.count(School.id)).where(School.npsn >= "20600000")) == 3


LONG_SCHOOL = "S" * 201
LONG_PERSON = "P" * 121


def test_a_long_school_name_is_refused_alike_by_form_and_import(client, world, tmp_path):
    login(client, world.admin)
    form = client.post(
        "/admin/schools/new",
        data={"npsn": "20599901", "name": LONG_SCHOOL, "level": "SD", "status": "negeri",
              "cohort": "1", "district_code": "35.01"},
    )  # fmt: skip
    assert form.status_code in (200, 400)
    assert "The school name is longer than 200 characters." in form.get_data(as_text=True)
    path = write_csv(
        tmp_path / "s.csv", SCHOOL_HEADER, [["20599901", LONG_SCHOOL, "SD", "negeri", "35.01", 1]]
    )
    result = imports.validate(imports.SCHOOLS, path, actor=world.admin)
    assert reasons_by_line(result)[2] == "The school name is longer than 200 characters."
    assert db.session.scalar(select(School).where(School.npsn == "20599901")) is None
    # 200 characters pass both.
    ok = client.post(
        "/admin/schools/new",
        data={"npsn": "20599901", "name": "S" * 200, "level": "SD", "status": "negeri",
              "cohort": "1", "district_code": "35.01"},
    )  # fmt: skip
    assert ok.status_code == 302


def test_a_long_user_name_is_refused_alike_by_form_and_import(client, world, tmp_path):
    login(client, world.admin)
    form = client.post(
        "/admin/users/new",
        data={"email": "p@x.id", "name": LONG_PERSON, "role": "facilitator", "region": "35.01"},
    )
    assert "The name is longer than 120 characters." in form.get_data(as_text=True)
    path = write_csv(
        tmp_path / "u.csv",
        ["nama", "email", "peran", "kode wilayah"],
        [[LONG_PERSON, "p@x.id", "fasilitator", "35.01"]],
    )
    result = imports.validate(imports.USERS, path, actor=world.admin)
    assert reasons_by_line(result)[2] == "The name is longer than 120 characters."
    assert db.session.scalar(select(User).where(User.email == "p@x.id")) is None
