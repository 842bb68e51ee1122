"""Error pages: every handled code renders the page in the user's language, never a trace."""

from __future__ import annotations

from flask import Flask

from tests.factories import login
from ticketing.extensions import db


def _clean(html: str) -> None:
    assert "Traceback" not in html and 'File "' not in html
    assert "<h1>" in html


def test_404_and_403_pages(client, world):
    login(client, world.officer_a)
    response = client.get("/tickets/999999")
    assert response.status_code == 404
    _clean(response.get_data(as_text=True))
    assert 'lang="id"' in response.get_data(as_text=True)
    response = client.get("/tickets/new")
    assert response.status_code == 403
    assert "You are not allowed" in response.get_data(as_text=True)


def test_error_page_in_english_when_chosen(client, world):
    world.officer_a.locale = "en"
    db.session.commit()
    login(client, world.officer_a)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'lang="en"' in html and "Page not found" in html


def test_anonymous_404_uses_session_language(client):
    client.post("/language/en", data={"next": "/help"})
    html = client.get("/help/nothing").get_data(as_text=True)
    assert 'lang="en"' in html


def test_400_for_bad_form_and_409_for_impossible_event(client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a)
    response = client.post(f"/tickets/{ticket.id}/escalate", data={"version": "x"})
    # A version that does not match is treated as a conflict: nothing applied.
    assert response.status_code == 409
    _clean(response.get_data(as_text=True))


def test_500_page_without_trace(app: Flask, world):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def explode() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/explode-for-test", "explode_for_test", explode)
    client = app.test_client()
    login(client, world.facilitator_a)
    response = client.get("/explode-for-test")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    _clean(html)
    assert "secret internals" not in html
    assert "Something went wrong" in html
