"""Rate limits that protect without locking owners out, shared across workers through Redis."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from config import ProductionConfig
from tests.factories import PASSWORD, make_user
from ticketing import create_app
from ticketing.extensions import db
from ticketing.services import tokens

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def limited_app(database_url: str, tmp_path: Any, **config: Any) -> Any:
    config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    return create_app(
        "testing",
        instance_path=str(tmp_path / f"instance-{uuid.uuid4().hex[:6]}"),
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        **config,
    )


def sign_in(client: Any, email: str, address: str, password: str = "wrong-password") -> int:
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    ).status_code


def test_a_strangers_failures_do_not_lock_the_owner_out(database_url, tmp_path, world):
    app = limited_app(database_url, tmp_path)
    owner = world.officer_a.email
    with app.app_context():
        client = app.test_client()
        # The owner signs in from the office as usual, then signs out.
        assert sign_in(client, owner, "192.0.2.10", PASSWORD) == 302
        client.post("/logout")
        # A stranger tries passwords from many addresses until the account limit bites.
        codes = [sign_in(client, owner, f"198.51.100.{i}") for i in range(60)]
        assert 429 in codes
        assert sign_in(client, owner, "203.0.113.77") == 429  # any new address: limited
        # The owner, at their usual address, is not locked out.
        assert sign_in(client, owner, "192.0.2.10", PASSWORD) == 302
        db.session.remove()


def test_one_address_guessing_one_account_is_slowed(database_url, tmp_path, world):
    app = limited_app(database_url, tmp_path)
    with app.app_context():
        client = app.test_client()
        codes = [sign_in(client, world.officer_a.email, "198.51.100.5") for _ in range(7)]
        # ... while the same account from another address still gets its own attempts.
        elsewhere = sign_in(client, world.officer_a.email, "192.0.2.99")
        db.session.remove()
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]
    assert elsewhere == 200


def test_successful_sign_ins_are_not_counted(database_url, tmp_path, world):
    app = limited_app(database_url, tmp_path)
    with app.app_context():
        client = app.test_client()
        for _ in range(8):
            assert sign_in(client, world.officer_a.email, "192.0.2.1", PASSWORD) == 302
            client.post("/logout")
        db.session.remove()


def test_guessing_the_current_password_is_limited(database_url, tmp_path, world):
    app = limited_app(database_url, tmp_path)
    with app.app_context():
        client = app.test_client()
        assert sign_in(client, world.officer_a.email, "192.0.2.1", PASSWORD) == 302
        codes = [
            client.post(
                "/account/password",
                data={
                    "current": f"guess-{i}",
                    "password": "Brand-New-Pass-91",
                    "confirm": "Brand-New-Pass-91",
                },
            ).status_code
            for i in range(7)
        ]
        db.session.remove()
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


def test_one_time_link_attempts_are_limited_per_link(database_url, tmp_path, world):
    app = limited_app(database_url, tmp_path)
    with app.app_context():
        link = tokens.make_token(world.officer_a, tokens.RESET)
        db.session.commit()
        client = app.test_client()
        codes = [
            client.post(
                f"/account/reset/{link}",
                data={"password": "short", "confirm": "short"},
                environ_base={"REMOTE_ADDR": f"198.51.100.{i}"},
            ).status_code
            for i in range(7)
        ]
        db.session.remove()
    assert 429 not in codes[:5] and codes[5:] == [429, 429]


def test_production_needs_a_shared_limit_store(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DATABASE_URL", "postgresql://app@db/eskalasi")
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        ProductionConfig.check()


def _redis_or_skip() -> None:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI") or os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"Redis is not reachable at {REDIS_URL}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")


def test_limits_are_shared_across_workers_through_redis(database_url, tmp_path, world):
    """Two app processes (two workers, or two hosts) count the same attempts."""
    _redis_or_skip()
    shared = {"RATELIMIT_STORAGE_URI": REDIS_URL}
    first = limited_app(database_url, tmp_path, **shared)
    second = limited_app(database_url, tmp_path, **shared)
    # Counters outlive the test in Redis, and the limiter keeps the key prefix of the first
    # app it met in this process: an account and an address of this run's own keep runs apart.
    run = uuid.uuid4()
    with first.app_context():
        email = make_user(f"limits-{run.hex[:12]}@example.org", "district_pmo", "35", "35.01").email
        db.session.commit()
    address = f"10.{run.int % 250}.{(run.int >> 8) % 250}.{(run.int >> 16) % 250}"
    codes = []
    for i in range(7):
        app = (first, second)[i % 2]
        with app.app_context():
            codes.append(sign_in(app.test_client(), email, address))
            db.session.remove()
    assert codes[:5] == [200] * 5 and codes[5:] == [429, 429]


def test_strangers_cannot_fill_the_database_with_kept_forms(database_url, tmp_path, world):
    """Text of refused forms is kept for the typist; one address keeps at most 60 an hour."""
    from sqlalchemy import func, select

    from ticketing.models import FormStash

    app = limited_app(database_url, tmp_path)
    with app.app_context():
        for i in range(70):
            client = app.test_client()  # no cookies: every post a new "session"
            response = client.post(
                "/tickets/new",
                data={"title": f"spam {i}", "description": "x" * 1000},
                environ_base={"REMOTE_ADDR": "198.51.100.66"},
            )
            assert response.status_code in (302, 303)
        kept = db.session.scalar(select(func.count()).select_from(FormStash))
        # Another address (a facilitator whose session ended) is still kept.
        app.test_client().post(
            "/tickets/new",
            data={"title": "Listrik padam", "description": "Sudah dua minggu."},
            environ_base={"REMOTE_ADDR": "192.0.2.44"},
        )
        after = db.session.scalar(select(func.count()).select_from(FormStash))
        db.session.remove()
    assert kept == 60
    assert after == 61
