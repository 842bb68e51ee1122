"""CSRF left on: a POST without the token is refused and changes nothing; with it, it works."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.factories import PASSWORD, build_world
from ticketing import create_app
from ticketing.extensions import db
from ticketing.models import Comment, Ticket, TicketEvent


@pytest.fixture
def csrf_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The application with CSRF protection on, as in production."""
    application = create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        WTF_CSRF_ENABLED=True,
    )
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def _token(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert match, "no CSRF token in the form"
    return match.group(1)


def _login(client: FlaskClient, email: str) -> None:
    g.pop("_login_user", None)
    refused = client.post("/login", data={"email": email, "password": PASSWORD})
    assert refused.status_code == 400
    token = _token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def _counts() -> tuple[int, int, int]:
    db.session.expire_all()
    count = lambda model: db.session.scalar(select(func.count()).select_from(model))  # noqa: E731
    return count(Ticket), count(TicketEvent), count(Comment)


def test_login_needs_the_token(csrf_app: Flask) -> None:
    world = build_world()
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": world.officer_a.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302  # still signed out


def test_action_without_token_changes_nothing(csrf_app: Flask) -> None:
    world = build_world()
    ticket = world.raise_ticket()
    db.session.commit()
    client = csrf_app.test_client()
    _login(client, world.officer_a.email)
    before = _counts()
    version = str(ticket.version_id)
    response = client.post(
        f"/tickets/{ticket.id}/escalate", data={"version": version, "note": "Naik ke provinsi"}
    )
    # Refused, nothing changed; back on the form with the text kept (ticketing/stash.py).
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}/escalate")
    assert _counts() == before
    assert db.session.get(Ticket, ticket.id).state == "raised"
    # With the token from the rendered form, the same action works.
    page = client.get(f"/tickets/{ticket.id}/escalate").get_data(as_text=True)
    assert "Naik ke provinsi</textarea>" in page and "Formulir sudah kedaluwarsa" in page
    response = client.post(
        f"/tickets/{ticket.id}/escalate",
        data={"version": version, "note": "Naik", "csrf_token": _token(page)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).state == "escalated"


def test_comment_raise_logout_without_token(csrf_app: Flask) -> None:
    world = build_world()
    ticket = world.raise_ticket()
    db.session.commit()
    client = csrf_app.test_client()
    _login(client, world.facilitator_a.email)
    before = _counts()
    assert client.post(f"/tickets/{ticket.id}/comments", data={"body": "x"}).status_code == 303
    data = {"school": str(world.school_a.id), "category": str(world.category.id),
            "title": "t", "description": "d"}  # fmt: skip
    assert client.post("/tickets/new", data=data).status_code == 303
    assert client.post("/logout").status_code == 400
    assert _counts() == before
    g.pop("_login_user", None)
    assert client.get("/").status_code == 200  # the refused logout did not sign out
    token = _token(client.get("/tickets/new").get_data(as_text=True))
    assert client.post("/tickets/new", data={**data, "csrf_token": token}).status_code == 302
    assert _counts()[0] == before[0] + 1


def test_edit_without_token_keeps_the_text_and_changes_nothing(csrf_app: Flask) -> None:
    """ "Ubah laporan" with an expired form: nothing changes, the text comes back on the form
    (not the saved values), and with a fresh token the correction is saved."""
    world = build_world()
    ticket = world.raise_ticket()
    db.session.commit()
    client = csrf_app.test_client()
    _login(client, world.facilitator_a.email)
    before = _counts()
    data = {"version": str(ticket.version_id), "school": str(world.school_a.id),
            "category": str(world.category.id), "title": "Judul yang benar",
            "description": "Keterangan yang diketik di sekolah."}  # fmt: skip
    response = client.post(f"/tickets/{ticket.id}/edit", data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}/edit")
    assert _counts() == before
    page = client.get(f"/tickets/{ticket.id}/edit").get_data(as_text=True)
    assert "Keterangan yang diketik di sekolah.</textarea>" in page
    assert 'value="Judul yang benar"' in page
    assert "data-draft-prefilled" not in page  # the page holds the user's text, not the saved
    response = client.post(f"/tickets/{ticket.id}/edit", data={**data, "csrf_token": _token(page)})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).title == "Judul yang benar"
    assert _counts()[1] == before[1] + 1
