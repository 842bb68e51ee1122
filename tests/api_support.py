"""Helpers for the API tests: tokens and authorised requests."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from ticketing.extensions import db
from ticketing.models import User
from ticketing.services import api_tokens


def token_for(user: User, name: str = "test", days: int | None = 90) -> str:
    """A fresh token for the user (committed); returns the secret."""
    _row, secret = api_tokens.create(user, name, days)
    db.session.commit()
    return secret


def call(client: FlaskClient, method: str, path: str, secret: str | None = None,
         **kwargs: Any) -> TestResponse:  # fmt: skip
    """A request with the token (if any) in the Authorization header."""
    headers = dict(kwargs.pop("headers", {}) or {})
    if secret is not None:
        headers["Authorization"] = f"Bearer {secret}"
    return client.open(path, method=method, headers=headers, **kwargs)
