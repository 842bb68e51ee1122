"""The JSON API: idempotent raise, versioned events, the list's parity with the web, files,
dashboards, problems in the request's language, the reference page, and whole jobs."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.api_support import call, token_for
from tests.factories import login
from ticketing import permissions, reports
from ticketing.clock import utcnow
from ticketing.dashboard import figures as dashboard_figures
from ticketing.extensions import db
from ticketing.models import Attachment, Province, Ticket
from ticketing.services import dashboards as dashboard_service
from ticketing.services import tickets as ticket_service

PDF = b"%PDF-1.4 bukti"


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")  # photos are re-encoded: a real image
    return out.getvalue()


PNG = _png()


def _raise_body(world: Any, title: str = "Tidak ada listrik") -> dict[str, Any]:
    return {"school_id": world.school_a.id, "category_id": world.category.id, "title": title,
            "description": "Sejak Juli."}  # fmt: skip


def test_raise_retried_with_the_same_key_creates_one_ticket(client: FlaskClient, world) -> None:
    secret = token_for(world.facilitator_a)
    headers = {"Idempotency-Key": "phone-7f3a-0001"}
    first = call(client, "POST", "/api/v1/tickets", secret, json=_raise_body(world),
                 headers=headers)  # fmt: skip
    again = call(client, "POST", "/api/v1/tickets", secret, json=_raise_body(world),
                 headers=headers)  # fmt: skip
    assert first.status_code == 201 and again.status_code == 200
    assert first.headers["Location"].endswith(f"/api/v1/tickets/{first.json['id']}")
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json["id"] == first.json["id"]
    assert db.session.scalar(select(func.count(Ticket.id))) == 1
    other = call(client, "POST", "/api/v1/tickets", secret, json=_raise_body(world),
                 headers={"Idempotency-Key": "phone-7f3a-0002"})  # fmt: skip
    assert other.status_code == 201
    assert db.session.scalar(select(func.count(Ticket.id))) == 2


def test_a_repeat_after_a_hand_over_is_the_same_ticket(client: FlaskClient, world) -> None:
    """The key is the raiser's: handed over, the ticket is still found (200 while the raiser
    still sees it; 409 naming it once it is out of their sight), never raised twice."""
    from tests.factories import assign
    from ticketing.models import SchoolAssignment

    secret = token_for(world.facilitator_a)
    headers = {"Idempotency-Key": "phone-hand-0001"}
    first = call(client, "POST", "/api/v1/tickets", secret, json=_raise_body(world),
                 headers=headers)  # fmt: skip
    ticket = db.session.get(Ticket, first.json["id"])
    assign(world.facilitator_a2, world.school_a)
    ticket_service.hand_over(ticket, actor=world.admin, facilitator=world.facilitator_a2)
    db.session.commit()
    again = call(client, "POST", "/api/v1/tickets", secret, json=_raise_body(world),
                 headers=headers)  # fmt: skip
    assert again.status_code == 200 and again.json["id"] == ticket.id
    db.session.execute(SchoolAssignment.__table__.delete().where(
        SchoolAssignment.facilitator_id == world.facilitator_a.id))  # fmt: skip
    db.session.commit()
    gone = call(client, "POST", "/api/v1/tickets", secret, json=_raise_body(world),
                headers=headers)  # fmt: skip
    assert gone.status_code == 409 and ticket.number in gone.json["detail"]
    assert db.session.scalar(select(func.count(Ticket.id))) == 1


def test_raise_for_a_school_not_mine_is_403_and_bad_bodies_422(client: FlaskClient, world):
    secret = token_for(world.facilitator_b)
    refused = call(client, "POST", "/api/v1/tickets", secret, json=_raise_body(world))
    assert refused.status_code == 403 and refused.json["code"] == "forbidden"
    missing = call(client, "POST", "/api/v1/tickets", secret, json={"title": "x"})
    assert missing.status_code == 422 and missing.json["code"] == "validation_failed"
    assert {"school_id", "category_id", "description"} <= set(missing.json["errors"])
    text = call(client, "POST", "/api/v1/tickets", secret, data="x", content_type="text/plain")
    assert text.status_code == 415
    assert db.session.scalar(select(func.count(Ticket.id))) == 0


def test_event_with_a_stale_version_is_409_with_the_current_version(client, world) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    seen = ticket.version_id
    officer, other = token_for(world.officer_a), token_for(world.officer_a2)
    body = {"event": "assign", "version": seen, "assignee_id": world.officer_a2.id}
    assert call(client, "POST", f"/api/v1/tickets/{ticket.id}/events", other,
                json=body).status_code == 200  # fmt: skip
    late = call(client, "POST", f"/api/v1/tickets/{ticket.id}/events", officer,
                json={**body, "assignee_id": world.officer_a.id})  # fmt: skip
    assert late.status_code == 409
    assert late.json["code"] == "version_conflict"
    assert late.json["current_version"] == seen + 1
    assert late.json["current_state"] == "assigned"
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).assignee_id == world.officer_a2.id


def test_problems_speak_the_requests_language(client: FlaskClient, world) -> None:
    ticket = world.raise_ticket()
    ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    db.session.commit()
    secret = token_for(world.officer_a)
    body = {"event": "escalate", "version": ticket.version_id}
    path = f"/api/v1/tickets/{ticket.id}/events"
    english = call(client, "POST", path, secret, json=body, headers={"Accept-Language": "en"})
    indonesian = call(client, "POST", path, secret, json=body)
    assert english.status_code == indonesian.status_code == 400
    assert english.json["code"] == indonesian.json["code"] == "invalid_input"
    assert english.json["field"] == "note"
    assert english.headers["Content-Language"] == "en"
    assert indonesian.headers["Content-Language"] == "id"
    assert english.json["title"] == "The data given is not acceptable"
    assert indonesian.json["title"] != english.json["title"]
    assert english.json["type"].endswith("#problem-invalid_input")
    missing = call(client, "GET", "/api/v1/tickets/999999", secret)
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    assert missing.json["detail"] == "Tiket tidak ditemukan."
    missing = call(
        client, "GET", "/api/v1/tickets/999999", secret, headers={"Accept-Language": "en"}
    )
    assert missing.json["detail"] == "Ticket not found."
    unknown = call(client, "GET", "/api/v1/nowhere", secret, headers={"Accept-Language": "en"})
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"


LIST_QUERIES = ["", "state=", "tab=all", "state=raised", "tab=todo", "state=open&sort=age",
                "q=listrik", "mine=1", "overdue=1", "escalated=1", "category={category}",
                "school={school}", "district=35.01", "tab=all&sort=school",
                "reopened_in={month}", "came_back_in={month}&tab=all"]  # fmt: skip


@pytest.mark.parametrize("who", ["facilitator_a", "officer_a", "province", "admin", "national"])
def test_list_page_and_api_return_the_same_tickets(app: Flask, world, who: str) -> None:
    for i in range(4):
        ticket = world.raise_ticket(title=f"Tidak ada listrik {i}")
        if i >= 1:
            ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
        if i >= 2:
            ticket_service.fire(ticket, "escalate", actor=world.officer_a, note="berat")
        if i >= 3:
            ticket_service.fire(ticket, "resolve", actor=world.province, note="beres")
            ticket_service.fire(ticket, "reopen", actor=world.facilitator_a, note="belum")
    world.raise_ticket(world.facilitator_b, world.school_b, title="Guru kurang")
    db.session.commit()
    user = getattr(world, who)
    secret = token_for(user)
    web = app.test_client()
    login(web, user)
    api = app.test_client()
    for raw in LIST_QUERIES:
        month = utcnow().strftime("%Y-%m")  # the month of the reopen (list and API alike)
        query = raw.format(category=world.category.id, school=world.school_a.id, month=month)
        page = web.get(f"/?{query}").get_data(as_text=True)
        listed = page.split('id="tickets"', 1)[1].split("</ul>", 1)[0]
        numbers = re.findall(r'class="ticket-number">([^<]+)<', listed)
        answer = call(api, "GET", f"/api/v1/tickets?{query}&limit=25", secret)
        assert answer.status_code == 200, (who, query, answer.json)
        assert [t["number"] for t in answer.json["items"]] == numbers, (who, query)


def test_comment_with_files_and_download_with_the_web_checks(client: FlaskClient, world) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    officer = token_for(world.officer_a)
    files = [(io.BytesIO(PDF), "surat.pdf"), (io.BytesIO(PNG), "foto.png")]
    answer = call(client, "POST", f"/api/v1/tickets/{ticket.id}/comments", officer,
                  data={"body": "Bukti terlampir", "files": files},
                  content_type="multipart/form-data")  # fmt: skip
    assert answer.status_code == 201, answer.json
    kinds = {a["name"]: a["content_type"] for a in answer.json["attachments"]}
    assert kinds == {"surat.pdf": "application/pdf", "foto.png": "image/png"}
    url = answer.json["attachments"][0]["download_url"]
    got = call(client, "GET", url, token_for(world.facilitator_a))
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert call(client, "GET", url, token_for(world.officer_b)).status_code == 404
    # A file whose content is not an allowed type is refused, as on the web; nothing is stored.
    bad = call(client, "POST", f"/api/v1/tickets/{ticket.id}/comments", officer,
               data={"body": "x", "files": [(io.BytesIO(b"MZ\x90\x00"), "virus.pdf")]},
               content_type="multipart/form-data")  # fmt: skip
    assert bad.status_code == 400 and bad.json["field"] == "files"
    assert db.session.scalar(select(func.count(Attachment.id))) == 2


def test_catalogues_are_scoped(client: FlaskClient, world) -> None:
    def schools(who: str) -> set[int]:
        answer = call(client, "GET", "/api/v1/schools", token_for(getattr(world, who)))
        return {s["id"] for s in answer.json["items"]}

    assert schools("facilitator_a") == {world.school_a.id}
    assert schools("officer_a") == {world.school_a.id, world.school_a2.id}
    assert schools("province") == {world.school_a.id, world.school_a2.id, world.school_b.id}
    assert world.school_c.id in schools("national")
    districts = call(client, "GET", "/api/v1/districts", token_for(world.province)).json
    assert districts and all(d["province_code"] == "35" for d in districts)
    assert len(districts) == 38
    one = call(client, "GET", "/api/v1/districts", token_for(world.facilitator_b)).json
    assert [d["code"] for d in one] == ["35.02"]
    categories = call(client, "GET", "/api/v1/categories", token_for(world.officer_a),
                      headers={"Accept-Language": "en"}).json  # fmt: skip
    assert categories[0]["name"] == categories[0]["name_en"]


def test_dashboards_give_the_pages_numbers(client: FlaskClient, world) -> None:
    for _ in range(3):
        world.raise_ticket()
    world.raise_ticket(world.facilitator_b, world.school_b)
    db.session.commit()
    answer = call(client, "GET", "/api/v1/dashboard/provinces/35", token_for(world.province))
    assert answer.status_code == 200
    province = db.session.get(Province, "35")
    scope = permissions.visible_tickets(world.province).where(Ticket.province_code == "35")
    table, _cats, _trend = dashboard_figures.province(
        "province", scope, province, reports.Filters(), "id"
    )
    assert answer.json["total"]["total"] == table.total.total == 4
    by_key = {row["key"]: row["total"] for row in answer.json["rows"]}
    assert by_key == {row.key: row.total for row in table.rows} == {"35.01": 3, "35.02": 1}
    district = call(client, "GET", "/api/v1/dashboard/districts/35.01", token_for(world.officer_a))
    assert district.json["total"]["raised"] == 3


def test_public_aggregates_need_no_token_only_when_public(client: FlaskClient, world) -> None:
    world.raise_ticket()
    db.session.commit()
    assert client.get("/api/v1/public/provinces/35").status_code == 404
    dashboard_service.set_public_dashboard(world.admin, db.session.get(Province, "35"), True)
    db.session.commit()
    answer = client.get("/api/v1/public/provinces/35", headers={"Origin": "https://jatim.go.id"})
    # One ticket: hidden by the public view's small-cell rule (dashboard/present.py), as on
    # the page.
    assert answer.status_code == 200 and answer.json["total"]["total"] is None
    assert answer.json["rows"][0]["raised"] is None
    assert answer.headers["Access-Control-Allow-Origin"] == "*"  # a portal's page may read it
    text = answer.get_data(as_text=True)
    assert "Tidak ada guru" not in text and world.facilitator_a.name not in text
    assert client.get("/api/v1/public/provinces/33").status_code == 404


def test_document_and_reference_page(client: FlaskClient) -> None:
    document = client.get("/api/v1/openapi.json")
    assert document.status_code == 200
    spec = document.json
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/tickets/{ticket_id}/events" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    page = client.get("/api/v1/docs")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for path in spec["paths"]:
        assert path in html
    assert "problem-version_conflict" in html
    # Strict CSP to come: nothing inline, nothing from elsewhere.
    assert "<script" not in html and "<style" not in html and "style=" not in html
    assert not re.search(r"\son[a-z]+=", html)
    assert "https://" not in html and "http://" not in html


def test_anonymous_api_calls_are_401_never_a_redirect(client: FlaskClient, world) -> None:
    for path in ("/api/v1/me", "/api/v1/tickets", "/api/v1/dashboard/national"):
        answer = client.get(path)
        assert answer.status_code == 401
        assert answer.mimetype == "application/problem+json"
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    assert client.post("/api/v1/tickets", json={}).status_code == 401
