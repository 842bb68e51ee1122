"""Sign-in attempts are limited per address and per account, also behind a reverse proxy."""

from __future__ import annotations

from typing import Any

from ticketing import create_app
from ticketing.extensions import db


def limited_app(database_url: str, tmp_path: Any, **config: Any) -> Any:
    return create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=database_url,
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        **config,
    )


def attempt(client: Any, email: str, address: str, **headers: str) -> int:
    return client.post(
        "/login",
        data={"email": email, "password": "wrong-password"},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    ).status_code


def test_one_account_is_protected_from_many_addresses(database_url, tmp_path, world):
    app = limited_app(database_url, tmp_path)
    with app.app_context():
        client = app.test_client()
        codes = [
            attempt(client, world.officer_a.email, f"10.0.{i // 200}.{i % 200}") for i in range(55)
        ]
        # Other accounts can still sign in from those addresses meanwhile.
        other = attempt(client, world.officer_b.email, "10.0.0.99")
        db.session.remove()
    # The looser per-account limit (50 an hour from addresses the owner does not use).
    assert codes[:50] == [200] * 50 and 429 in codes[50:]
    assert other == 200


def test_behind_a_proxy_each_client_has_its_own_limit(database_url, tmp_path, world):
    app = limited_app(database_url, tmp_path, PROXY_FIX_X_FOR=1)
    with app.app_context():
        client = app.test_client()
        # Every request comes from the proxy's address; the client is in X-Forwarded-For.
        noisy = [
            attempt(client, f"nobody{i}@x.id", "127.0.0.1", **{"X-Forwarded-For": "203.0.113.7"})
            for i in range(35)
        ]
        quiet = attempt(client, "someone@x.id", "127.0.0.1", **{"X-Forwarded-For": "198.51.100.2"})
        db.session.remove()
    assert 429 in noisy
    assert quiet == 200
