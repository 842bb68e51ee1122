"""The facilitator's pages stay light for a phone on a weak connection: at most 80 KB on the
wire (compressed as the server sends them) for the page and everything it loads."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import login
from ticketing.extensions import db

LIMIT = 80 * 1024
ASSET = re.compile(r'<(?:script[^>]+src|link[^>]+href|img[^>]+src)="(/[^"]+)"')
# Measured by this test (printed with -s), for the closing note.
WEIGHTS: dict[str, int] = {}


def _wire(client: FlaskClient, path: str) -> int:
    """Bytes of the body as sent to a browser that accepts brotli."""
    response = client.get(path, headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200, (path, response.status_code)
    response.direct_passthrough = False
    return len(response.get_data())


def _weight(client: FlaskClient, path: str) -> int:
    """The page and every script, style sheet, icon and image it names (each once)."""
    html = client.get(path).get_data(as_text=True)
    assets = sorted(set(ASSET.findall(html)))
    return _wire(client, path) + sum(_wire(client, asset) for asset in assets)


def test_facilitator_pages_stay_under_80_kb(app: Flask, client: FlaskClient, world: Any) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.facilitator_a)
    pages = {
        "list": "/",
        "raise": "/tickets/new",
        "ticket": f"/tickets/{ticket.id}",
        "edit": f"/tickets/{ticket.id}/edit",
        "help": "/help",
    }
    for name, path in pages.items():
        WEIGHTS[name] = _weight(client, path)
    print("FACILITATOR PAGE WEIGHTS (bytes)", WEIGHTS)
    assert all(size <= LIMIT for size in WEIGHTS.values()), WEIGHTS
