"""Personal access tokens: account page, hashing, expiry, revocation, disabling, CSRF, limits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.api_support import call, token_for
from tests.factories import PASSWORD, build_world, login
from ticketing import clock, create_app
from ticketing.extensions import db
from ticketing.models import ApiToken, Comment
from ticketing.services import api_tokens
from ticketing.services import users as user_service


def test_account_page_creates_a_token_shown_once_and_stored_hashed(
    client: FlaskClient, world: Any
) -> None:
    login(client, world.officer_a)
    page = client.post("/account/tokens", data={"name": "Portal provinsi", "expires": "30"})
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    secret = re.search(r"(eskpat_[A-Za-z0-9_-]{43})", page.get_data(as_text=True))
    assert secret is not None
    row = db.session.scalars(select(ApiToken)).one()
    assert row.token_hash == api_tokens.hash_secret(secret.group(1))
    assert secret.group(1) not in {row.token_hash, row.hint, row.name}
    assert row.expires_at is not None and row.expires_at - row.created_at == timedelta(days=30)
    # Listed afterwards by name and hint, never the secret again.
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "Portal provinsi" in listing and row.hint in listing
    assert secret.group(1) not in listing
    assert call(client, "GET", "/api/v1/me", secret.group(1)).json["email"] == "oa@x.id"


def test_empty_name_refused(client: FlaskClient, world: Any) -> None:
    login(client, world.officer_a)
    assert client.post("/account/tokens", data={"name": " ", "expires": "90"}).status_code == 400
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_owner_revokes_and_the_token_stops(client: FlaskClient, world: Any) -> None:
    secret = token_for(world.facilitator_a)
    row = db.session.scalars(select(ApiToken)).one()
    login(client, world.facilitator_a)
    assert call(client, "GET", "/api/v1/me", secret).status_code == 200
    response = client.post(f"/account/tokens/{row.id}/revoke")
    assert response.status_code == 302
    other = client.application.test_client()
    refused = call(other, "GET", "/api/v1/me", secret)
    assert refused.status_code == 401
    assert refused.mimetype == "application/problem+json"
    assert refused.json["code"] == "unauthorized"
    assert "Location" not in refused.headers


def test_someone_else_cannot_revoke(client: FlaskClient, world: Any) -> None:
    token_for(world.facilitator_a)
    row = db.session.scalars(select(ApiToken)).one()
    login(client, world.facilitator_b)
    assert client.post(f"/account/tokens/{row.id}/revoke").status_code == 404
    db.session.expire_all()
    assert row.revoked_at is None


def test_administrator_revokes_in_scope_only(app: Flask, world: Any) -> None:
    secret = token_for(world.officer_a)
    row = db.session.scalars(select(ApiToken)).one()
    outside = app.test_client()
    login(outside, world.admin_c)
    path = f"/admin/users/{world.officer_a.id}/tokens/{row.id}/revoke"
    assert outside.post(path).status_code == 404
    assert call(app.test_client(), "GET", "/api/v1/me", secret).status_code == 200
    inside = app.test_client()
    login(inside, world.admin)
    assert "api-tokens" in inside.get(f"/admin/users/{world.officer_a.id}").get_data(as_text=True)
    assert inside.post(path).status_code == 302
    assert call(app.test_client(), "GET", "/api/v1/me", secret).status_code == 401


def test_disabling_a_user_kills_their_tokens(app: Flask, world: Any) -> None:
    secret = token_for(world.officer_a)
    user_service.set_active(world.admin, world.officer_a, False)
    db.session.commit()
    assert call(app.test_client(), "GET", "/api/v1/me", secret).status_code == 401
    # Enabling the account again does not bring the old token back.
    user_service.set_active(world.admin, world.officer_a, True)
    db.session.commit()
    assert call(app.test_client(), "GET", "/api/v1/me", secret).status_code == 401
    assert db.session.scalars(select(ApiToken)).one().revoked_at is not None


def test_expired_wrong_and_malformed_tokens_are_401(app: Flask, world: Any) -> None:
    secret = token_for(world.officer_a, days=30)
    client = app.test_client()
    assert call(client, "GET", "/api/v1/me", secret).status_code == 200
    with clock.frozen_at(clock.utcnow() + timedelta(days=31)):
        assert call(client, "GET", "/api/v1/me", secret).status_code == 401
    assert call(client, "GET", "/api/v1/me", secret[:-2] + "xx").status_code == 401
    response = client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_last_used_is_recorded(app: Flask, world: Any) -> None:
    secret = token_for(world.officer_a)
    assert db.session.scalars(select(ApiToken)).one().last_used_at is None
    call(app.test_client(), "GET", "/api/v1/me", secret)
    db.session.expire_all()
    assert db.session.scalars(select(ApiToken)).one().last_used_at is not None


def test_a_token_follows_its_users_current_role(app: Flask, world: Any) -> None:
    """Scope comes from the user's row on every request: a moved officer sees the new district."""
    ticket = world.raise_ticket()
    db.session.commit()
    secret = token_for(world.officer_b)
    client = app.test_client()
    assert call(client, "GET", f"/api/v1/tickets/{ticket.id}", secret).status_code == 404
    world.officer_b.district_code = "35.01"
    db.session.commit()
    assert call(client, "GET", f"/api/v1/tickets/{ticket.id}", secret).status_code == 200


# --- CSRF: tokens need none, the session cookie does ---------------------------------------


@pytest.fixture
def csrf_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The application with CSRF protection on, as in production."""
    application = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_FOLDER=str(tmp_path / "uploads"), WTF_CSRF_ENABLED=True,
    )  # fmt: skip
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def test_token_needs_no_csrf_but_the_session_does(csrf_app: Flask) -> None:
    world = build_world()
    ticket = world.raise_ticket()
    db.session.commit()
    secret = token_for(world.officer_a)
    path = f"/api/v1/tickets/{ticket.id}/comments"
    assert call(csrf_app.test_client(), "POST", path, secret, json={"body": "a"}).status_code == 201
    browser = csrf_app.test_client()
    g.pop("_login_user", None)
    page = browser.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert csrf is not None
    data = {"email": world.officer_a.email, "password": PASSWORD, "csrf_token": csrf.group(1)}
    assert browser.post("/login", data=data).status_code == 302
    g.pop("_login_user", None)
    assert browser.get("/api/v1/me").status_code == 200  # reading with the cookie is fine
    g.pop("_login_user", None)
    refused = browser.post(path, json={"body": "b"})
    assert refused.status_code == 400
    assert refused.json["code"] == "csrf_failed"
    g.pop("_login_user", None)
    # Signing in starts a new session, with a new CSRF token: read it from a signed-in page.
    page = browser.get("/account/tokens").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert csrf is not None
    g.pop("_login_user", None)
    accepted = browser.post(path, json={"body": "c"}, headers={"X-CSRFToken": csrf.group(1)})
    assert accepted.status_code == 201
    assert db.session.scalar(select(func.count(Comment.id))) == 2


# --- Rate limit ------------------------------------------------------------------------------


def test_rate_limit_per_token_answers_429_with_retry_after(database_url: str, tmp_path: Path):
    application = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=database_url, UPLOAD_FOLDER=str(tmp_path / "up"),
        RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://", API_RATE_LIMIT="3 per minute",
    )  # fmt: skip
    with application.app_context():
        world = build_world()
        first, second = token_for(world.officer_a), token_for(world.officer_a, "kedua")
        client = application.test_client()
        codes = [call(client, "GET", "/api/v1/me", first).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = call(client, "GET", "/api/v1/me", first, headers={"Accept-Language": "en"})
        assert limited.mimetype == "application/problem+json"
        assert limited.json["code"] == "rate_limited"
        assert int(limited.headers["Retry-After"]) >= 1
        # Another token of the same user has its own budget.
        assert call(client, "GET", "/api/v1/me", second).status_code == 200
        db.session.remove()
        db.engine.dispose()
