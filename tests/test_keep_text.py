"""Nothing typed is lost: a session that ended, an expired form, a refused admin form."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.factories import PASSWORD, login
from ticketing.extensions import db
from ticketing.models import FormStash, Ticket
from ticketing.services import users as user_service


def _raise_data(world, **extra):
    return {"school": str(world.school_a.id), "category": str(world.category.id),
            "title": "Perpustakaan tutup", "description": "Kunci hilang sejak Senin.",
            **extra}  # fmt: skip


def test_session_ended_mid_form_returns_after_sign_in_with_the_text(app, client, world):
    login(client, world.facilitator_a)
    assert client.get("/tickets/new").status_code == 200
    user_service.end_sessions(world.facilitator_a)  # e.g. signed out on another device
    db.session.commit()
    response = client.post("/tickets/new", data=_raise_data(world, password="never-kept"))
    assert response.status_code == 303
    assert "/login?next=/tickets/new" in response.headers["Location"]
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0
    stash = db.session.scalars(select(FormStash)).one()
    assert "never-kept" not in stash.data and "Kunci hilang" in stash.data
    signed_in = client.post(
        "/login?next=/tickets/new", data={"email": world.facilitator_a.email, "password": PASSWORD}
    )
    assert signed_in.headers["Location"].endswith("/tickets/new")
    page = client.get("/tickets/new").get_data(as_text=True)
    assert 'value="Perpustakaan tutup"' in page
    assert "Kunci hilang sejak Senin.</textarea>" in page
    assert f'<option selected value="{world.school_a.id}"' in page
    assert db.session.scalar(select(func.count()).select_from(FormStash)) == 0  # read once


def test_comment_sent_after_the_session_ended_comes_back_on_the_ticket(app, client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a)
    user_service.end_sessions(world.officer_a)
    db.session.commit()
    response = client.post(
        f"/tickets/{ticket.id}/comments",
        data={"body": "Sudah kami telepon kepala sekolah."},
        headers={"Referer": f"http://localhost/tickets/{ticket.id}"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/login?next=/tickets/{ticket.id}")
    login(client, world.officer_a)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Sudah kami telepon kepala sekolah.</textarea>" in page


def test_forms_carry_the_draft_marker_and_the_script(app, client, world):
    login(client, world.facilitator_a)
    page = client.get("/tickets/new").get_data(as_text=True)
    assert 'data-draft="raise"' in page and "js/drafts.js" in page and "js/photos.js" in page
    assert 'accept="image/*' in page
