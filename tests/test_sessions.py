"""Sessions per device: a new, revocable session at every sign-in, listed on the account page."""

from __future__ import annotations

import re
from datetime import timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from config import Config
from tests.factories import PASSWORD, login
from ticketing import create_app
from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import UserSession
from ticketing.services import sessions

PHONE = "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"  # noqa: E501
LAPTOP = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0"


def _sign_in(client: Any, user: Any, agent: str = LAPTOP, remember: bool = False) -> Any:
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, headers={"User-Agent": agent})
    assert response.status_code == 302
    return response


def _cookie(client: Any, name: str) -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie else None


def test_each_sign_in_gets_its_own_session_and_a_new_identity(app: Flask, world: Any) -> None:
    phone, laptop = app.test_client(), app.test_client()
    _sign_in(phone, world.officer_a, PHONE)
    _sign_in(laptop, world.officer_a, LAPTOP)
    rows = db.session.scalars(select(UserSession).order_by(UserSession.id)).all()
    assert [r.user_id for r in rows] == [world.officer_a.id] * 2
    assert rows[0].token_hash != rows[1].token_hash
    # The tokens themselves are not stored, only their hashes.
    assert all(len(r.token_hash) == 64 for r in rows)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert "Chrome · Android" in page and "Firefox · Windows" in page
    assert "this device" in page


def test_a_captured_session_does_not_survive_the_next_sign_in(app: Flask, world: Any) -> None:
    """Session fixation: the identity and the CSRF secret change when someone signs in."""
    client = app.test_client()
    client.get("/login")
    with client.session_transaction() as before:
        before["csrf_token"] = "planted-secret"
        before["_user_id"] = "planted-identity"
    _sign_in(client, world.officer_a)
    with client.session_transaction() as after:
        assert after.get("csrf_token") != "planted-secret"
        assert after["_user_id"] != "planted-identity"
        first = after["_user_id"]
    client.post("/logout")
    _sign_in(client, world.officer_a)
    with client.session_transaction() as again:
        assert again["_user_id"] != first
    # The first identity is dead: a copy of the old cookie is refused.
    stale = app.test_client()
    with stale.session_transaction() as copied:
        copied["_user_id"] = first
        copied["_fresh"] = True
    assert stale.get("/").status_code == 302


def test_revoke_one_device_or_all_others(app: Flask, world: Any) -> None:
    phone, laptop, tablet = app.test_client(), app.test_client(), app.test_client()
    for client in (phone, laptop, tablet):
        _sign_in(client, world.officer_a)
    ids = db.session.scalars(select(UserSession.id).order_by(UserSession.id)).all()
    # Someone else cannot end my sessions.
    other = app.test_client()
    login(other, world.officer_b)
    assert other.post(f"/account/sessions/{ids[0]}/end").status_code == 404
    # The laptop ends the phone's session.
    assert laptop.post(f"/account/sessions/{ids[0]}/end").status_code == 302
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200 and tablet.get("/").status_code == 200
    # ... then every other device.
    assert laptop.post("/account/sessions/end-others").status_code == 302
    assert tablet.get("/").status_code == 302
    assert laptop.get("/").status_code == 200
    assert db.session.scalar(select(func.count(UserSession.id))) == 2  # laptop + officer_b
    # Ending this device's own session signs it out.
    assert laptop.post(f"/account/sessions/{ids[1]}/end").status_code == 302
    assert laptop.get("/").status_code == 302


def test_password_change_ends_the_other_sessions_and_keeps_this_one(app: Flask, world: Any):
    here, there = app.test_client(), app.test_client()
    _sign_in(here, world.officer_a)
    _sign_in(there, world.officer_a)
    response = here.post(
        "/account/password",
        data={
            "current": PASSWORD,
            "password": "Another-Long-Pass-77",
            "confirm": "Another-Long-Pass-77",
        },
    )
    assert response.status_code == 302
    assert here.get("/").status_code == 200
    assert there.get("/").status_code == 302
    assert db.session.scalar(select(func.count(UserSession.id))) == 1


def test_disabled_account_and_idle_sessions_are_refused(app: Flask, world: Any) -> None:
    client = app.test_client()
    _sign_in(client, world.officer_a)
    row = db.session.scalars(select(UserSession)).one()
    row.last_used_at = utcnow() - sessions.IDLE_LIMIT - timedelta(minutes=1)
    db.session.commit()
    assert client.get("/").status_code == 302
    _sign_in(client, world.officer_a)
    world.officer_a.active = False
    db.session.commit()
    assert client.get("/").status_code == 302


def test_last_use_is_recorded_at_most_every_few_minutes(app: Flask, world: Any) -> None:
    client = app.test_client()
    _sign_in(client, world.officer_a)
    row = db.session.scalars(select(UserSession)).one()
    old = utcnow() - timedelta(hours=2)
    row.last_used_at = old
    db.session.commit()
    client.get("/")
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).last_used_at > old


def test_the_user_loader_is_one_query(app: Flask, world: Any) -> None:
    from sqlalchemy import event

    client = app.test_client()
    _sign_in(client, world.officer_a)
    with client.session_transaction() as stored:
        token = stored["_user_id"]
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        db.session.expunge_all()
        user = sessions.load(token)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert user is not None and user.district is not None and user.province is not None
    assert len(statements) == 1, statements


def test_remember_cookie_is_lax_and_lasts_30_days(database_url: str, tmp_path: Any, world: Any):
    assert timedelta(days=30) == Config.REMEMBER_COOKIE_DURATION
    app = create_app(
        "testing", instance_path=str(tmp_path / "i"), SQLALCHEMY_DATABASE_URI=database_url
    )
    with app.app_context():
        client = app.test_client()
        response = _sign_in(client, world.officer_a, remember=True)
        db.session.remove()
    header = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("remember_"))
    assert "SameSite=Lax" in header and "HttpOnly" in header
    expires = re.search(r"Expires=([^;]+)", header)
    assert expires is not None
    lasts = parsedate_to_datetime(expires.group(1)).replace(tzinfo=None) - utcnow()
    assert timedelta(days=29) < lasts <= timedelta(days=30, minutes=1)
