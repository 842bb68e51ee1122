"""One-time links (first sign-in, reset), forgotten password, change of password, disabling."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.factories import PASSWORD, login
from ticketing.clock import frozen_at
from ticketing.errors import InvalidInput
from ticketing.extensions import db
from ticketing.models import OutboxMessage, User
from ticketing.services import tokens
from ticketing.services import users as user_service

T0 = datetime(2026, 3, 2, 1, 0)
NEW_PASSWORD = "Gunung-Bromo-1974"


def _new_user(world: Any) -> tuple[User, str]:
    with frozen_at(T0):
        user, link = user_service.admin_create_user(
            world.admin, email="Baru@Contoh.id", name="Pengguna Baru", role="facilitator",
            region_code="35.01",
        )  # fmt: skip
    db.session.commit()
    return user, link


def _path(link: str) -> str:
    return urlsplit(link).path


def test_created_without_password_and_link_sets_it_once(client: FlaskClient, world: Any) -> None:
    """The link works once: after the password is set the same link is refused."""
    user, link = _new_user(world)
    assert user.password_hash is None and user.email == "baru@contoh.id"
    assert client.post("/login", data={"email": user.email, "password": "x"}).status_code == 200
    path = _path(link)
    with frozen_at(T0 + timedelta(hours=1)):
        page = client.get(path)
        assert page.status_code == 200 and "Pengguna Baru" in page.get_data(as_text=True)
        done = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
        assert done.status_code == 302
        again = client.post(
            path, data={"password": "Another-Pass-99", "confirm": "Another-Pass-99"}
        )
    assert again.status_code == 410
    assert "already used" in again.get_data(as_text=True)
    db.session.expire_all()
    refreshed = db.session.get(User, user.id)
    assert refreshed is not None and refreshed.password_hash
    assert refreshed.password_hash.startswith("scrypt:")
    assert (
        client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code
        == 302
    )


def test_link_expires_after_72_hours(client: FlaskClient, world: Any) -> None:
    """An invitation lives 72 hours by the application clock."""
    user, link = _new_user(world)
    token = link.rsplit("/", 1)[1]
    with frozen_at(T0 + timedelta(hours=71)):
        assert tokens.read_token(token, tokens.INVITE).id == user.id
    with frozen_at(T0 + timedelta(hours=73)):
        with pytest.raises(tokens.InvalidToken) as caught:
            tokens.read_token(token, tokens.INVITE)
        assert caught.value.expired
        response = client.get(_path(link))
    assert response.status_code == 410 and "expired" in response.get_data(as_text=True)


def test_link_purposes_and_tampering(world: Any) -> None:
    """An invitation is not a reset link, and an edited token is refused."""
    _user, link = _new_user(world)
    token = link.rsplit("/", 1)[1]
    with frozen_at(T0), pytest.raises(tokens.InvalidToken):
        tokens.read_token(token, tokens.RESET)
    with frozen_at(T0), pytest.raises(tokens.InvalidToken):
        tokens.read_token(token[:-2] + ("aa" if token[-2:] != "aa" else "bb"), tokens.INVITE)


def test_disabled_user_link_refused(world: Any) -> None:
    """Disabling an account kills its outstanding links."""
    user, link = _new_user(world)
    user_service.set_active(world.admin, user, False)
    db.session.commit()
    with frozen_at(T0), pytest.raises(tokens.InvalidToken):
        tokens.read_token(link.rsplit("/", 1)[1], tokens.INVITE)


def test_weak_passwords_refused_on_link_page(client: FlaskClient, world: Any) -> None:
    """Short and common passwords are refused with a reason."""
    _user, link = _new_user(world)
    with frozen_at(T0):
        short = client.post(_path(link), data={"password": "abc", "confirm": "abc"})
        common = client.post(_path(link), data={"password": "password1", "confirm": "password1"})
    assert "at least 8 characters" in short.get_data(as_text=True)
    assert "too common" in common.get_data(as_text=True)


def test_forgot_password_never_reveals_and_mails_when_configured(
    app: Flask, client: FlaskClient, world: Any
) -> None:
    """Same answer for known and unknown addresses; an outbox e-mail only for a real account."""
    known = client.post("/account/forgot", data={"email": world.facilitator_a.email})
    unknown = client.post("/account/forgot", data={"email": "nobody@nowhere.id"})
    assert known.status_code == unknown.status_code == 302
    assert db.session.scalars(select(OutboxMessage)).all() == []  # no mail server: nothing
    app.config["MAIL_SERVER"] = "smtp.example.id"
    client.post("/account/forgot", data={"email": world.facilitator_a.email.upper()})
    client.post("/account/forgot", data={"email": "nobody@nowhere.id"})
    messages = db.session.scalars(select(OutboxMessage)).all()
    assert [m.to_address for m in messages] == [world.facilitator_a.email]
    link = next(w for w in messages[0].body_text.split() if "/account/reset/" in w)
    path = _path(link)
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    login_ok = client.post(
        "/login", data={"email": world.facilitator_a.email, "password": NEW_PASSWORD}
    )
    assert login_ok.status_code == 302
    assert (
        client.post(
            path, data={"password": "Xyz-Abc-123456", "confirm": "Xyz-Abc-123456"}
        ).status_code
        == 410
    )


def test_admin_created_user_gets_email_when_mail_configured(app: Flask, world: Any) -> None:
    """With a mail server the invitation goes to the outbox in the same transaction."""
    app.config["MAIL_SERVER"] = "smtp.example.id"
    user, _link = _new_user(world)
    message = db.session.scalars(select(OutboxMessage)).one()
    assert message.user_id == user.id and "/account/welcome/" in message.body_text


def test_change_password_ends_other_sessions(app: Flask, world: Any) -> None:
    """Changing my password keeps this browser signed in and signs the others out."""
    here, elsewhere = app.test_client(), app.test_client()
    login(here, world.officer_a)
    login(elsewhere, world.officer_a)
    wrong = here.post(
        "/account/password",
        data={"current": "not-it", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert "current password is wrong" in wrong.get_data(as_text=True)
    done = here.post(
        "/account/password",
        data={"current": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert done.status_code == 302
    assert here.get("/").status_code == 200
    response = elsewhere.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_disabling_ends_the_session_at_once(app: Flask, client: FlaskClient, world: Any) -> None:
    """A disabled user's next request goes to the sign-in page; signing in is refused."""
    victim = app.test_client()
    login(victim, world.facilitator_a)
    assert victim.get("/").status_code == 200
    login(client, world.admin)
    assert client.post(f"/admin/users/{world.facilitator_a.id}/disable").status_code == 302
    response = victim.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    again = victim.post("/login", data={"email": world.facilitator_a.email, "password": PASSWORD})
    assert again.status_code == 200  # the form again, with an error
    client.post(f"/admin/users/{world.facilitator_a.id}/enable")
    login(victim, world.facilitator_a)


def test_service_refuses_disabling_yourself(world: Any) -> None:
    """An administrator cannot lock themselves out."""
    with pytest.raises(InvalidInput):
        user_service.set_active(world.admin, world.admin, False)


def test_forgot_password_is_rate_limited(database_url: str, tmp_path: Any, world: Any) -> None:
    """Repeated requests from one address are slowed down (429)."""
    from ticketing import create_app

    limited = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://", UPLOAD_FOLDER=str(tmp_path),
    )  # fmt: skip
    with limited.app_context():
        client = limited.test_client()
        codes = [
            client.post("/account/forgot", data={"email": f"x{i}@contoh.id"}).status_code
            for i in range(7)
        ]
        db.session.remove()
    assert codes[:5] == [302] * 5 and codes[-1] == 429
