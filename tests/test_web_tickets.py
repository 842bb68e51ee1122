"""The ticket pages through the HTTP client: lists, filters, actions, conflicts, files, help."""

from __future__ import annotations

import io
import re
from datetime import timedelta

from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from tests.factories import login
from ticketing.clock import utcnow
from ticketing.extensions import db
from ticketing.models import Attachment, Category, Comment, Ticket, TicketEvent
from ticketing.services import tickets as ticket_service
from ticketing.tickets.queries import forget_choices


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(out, "PNG")
    return out.getvalue()


PNG = _png()
PDF = b"%PDF-1.4\n%test\n"


def _events(ticket_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
    )


def _fresh(ticket_id: int) -> Ticket:
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket_id)
    assert ticket is not None
    return ticket


def test_facilitator_raises_with_evidence_and_sees_it(client, world, app):
    login(client, world.facilitator_a)
    page = client.get("/tickets/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert world.school_a.npsn in html and world.school_b.npsn not in html
    assert "<optgroup" in html
    response = client.post(
        "/tickets/new",
        data={
            "school": str(world.school_a.id),
            "category": str(world.category.id),
            "title": "Listrik padam",
            "description": "Sudah dua minggu.",
            "files": [(io.BytesIO(PNG), "foto.png"), (io.BytesIO(PDF), "surat.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    ticket = db.session.scalars(select(Ticket).where(Ticket.title == "Listrik padam")).one()
    files = db.session.scalars(select(Attachment).where(Attachment.ticket_id == ticket.id)).all()
    assert sorted(f.content_type for f in files) == ["application/pdf", "image/png"]
    assert all(re.fullmatch(r"[0-9a-f]{32}\.(png|pdf)", f.stored_name) for f in files)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "foto.png" in page and ticket.number in page
    download = client.get(f"/attachments/{files[0].id}")
    assert download.status_code == 200
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith(
        "inline"
    )  # pictures and PDFs open in the browser
    assert download.data == PDF or download.data.startswith(b"\x89PNG")  # re-encoded


def test_raise_rejects_other_school_and_bad_content(client, world):
    login(client, world.facilitator_a)
    before = db.session.scalar(select(func.count()).select_from(Ticket))
    response = client.post(
        "/tickets/new",
        data={
            "school": str(world.school_b.id),
            "category": str(world.category.id),
            "title": "x",
            "description": "y",
        },
    )
    assert response.status_code == 400  # not among the choices
    fake = io.BytesIO(b"<script>alert(1)</script>")
    response = client.post(
        "/tickets/new",
        data={
            "school": str(world.school_a.id),
            "category": str(world.category.id),
            "title": "x",
            "description": "y",
            "files": [(fake, "photo.png")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "only photos (JPEG" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == before


def test_inactive_category_is_not_offered(client, world):
    other = db.session.scalars(select(Category).where(Category.id != world.category.id)).first()
    other.active = False
    db.session.commit()
    login(client, world.facilitator_a)
    html = client.get("/tickets/new").get_data(as_text=True)
    assert f'value="{other.id}"' not in html
    assert f'value="{world.category.id}"' in html


def test_full_path_with_forms(client, world):
    ticket = world.raise_ticket()
    db.session.commit()

    def act(user, event, **data):
        login(client, user)
        page = client.get(f"/tickets/{ticket.id}/{event}")
        assert page.status_code == 200, (event, page.status_code)
        version = re.search(r'name="version" type="hidden" value="(\d+)"', page.get_data(True))
        assert version is not None
        response = client.post(
            f"/tickets/{ticket.id}/{event}", data={"version": version.group(1), **data}
        )
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
        client.post("/logout")

    act(world.officer_a, "assign", assignee=str(world.officer_a2.id))
    assert _fresh(ticket.id).assignee_id == world.officer_a2.id
    act(world.officer_a, "escalate", note="Butuh anggaran provinsi")
    act(world.province, "resolve", note="Guru dikirim")
    act(world.facilitator_a, "reopen", note="Guru belum datang")
    assert _fresh(ticket.id).state == "escalated"
    act(world.province, "resolve", note="Guru sudah datang")
    act(world.facilitator_a, "verify", note="")
    assert _fresh(ticket.id).state == "verified"
    login(client, world.facilitator_a)
    html = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    for text in ("Butuh anggaran provinsi", "Guru belum datang", "Guru sudah datang"):
        assert text in html
    assert "WIB" in html


def test_missing_reason_is_a_form_error(client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a)
    response = client.post(
        f"/tickets/{ticket.id}/escalate", data={"version": str(ticket.version_id), "note": " "}
    )
    assert response.status_code == 400
    assert _fresh(ticket.id).state == "raised"


def test_assign_refuses_officer_of_other_district(client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a)
    response = client.post(
        f"/tickets/{ticket.id}/assign",
        data={"version": str(ticket.version_id), "assignee": str(world.officer_b.id)},
    )
    assert response.status_code == 400
    assert _fresh(ticket.id).state == "raised"


def test_conflict_shows_changes_and_keeps_text(client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a)
    page = client.get(f"/tickets/{ticket.id}/escalate").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    seen = re.search(r'name="seen_event" type="hidden" value="(\d+)"', page).group(1)
    # Meanwhile a colleague takes the ticket.
    ticket_service.fire(ticket, "assign", actor=world.officer_a2, assignee=world.officer_a2)
    db.session.commit()
    events = _events(ticket.id)
    response = client.post(
        f"/tickets/{ticket.id}/escalate",
        data={"version": version, "seen_event": seen, "note": "Teks panjang saya"},
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Teks panjang saya" in html
    assert "Nothing was applied" in html
    assert world.officer_a2.name in html and "Assigned" in html
    assert _events(ticket.id) == events and _fresh(ticket.id).state == "assigned"
    # The refreshed form can be sent again on purpose.
    new_version = re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)
    assert new_version != version
    again = client.post(
        f"/tickets/{ticket.id}/escalate",
        data={"version": new_version, "note": "Teks panjang saya"},
    )
    assert again.status_code == 302
    assert _fresh(ticket.id).state == "escalated"


def test_conflict_when_action_no_longer_possible(client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.facilitator_a)
    version = str(ticket.version_id)
    ticket_service.fire(ticket, "escalate", actor=world.officer_a, note="ke provinsi")
    ticket_service.fire(ticket, "resolve", actor=world.province, note="beres")
    db.session.commit()
    response = client.post(
        f"/tickets/{ticket.id}/withdraw", data={"version": version, "note": "Tidak perlu lagi"}
    )
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "no longer possible" in html and "Tidak perlu lagi" in html
    assert _fresh(ticket.id).state == "resolved"


def test_comment_with_file_and_rollback_leaves_no_file(client, world, app, tmp_path):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a)
    response = client.post(
        f"/tickets/{ticket.id}/comments",
        data={"body": "Sedang dicek", "files": [(io.BytesIO(PNG), "a.png")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1
    folder = app.config["UPLOAD_FOLDER"]
    import os

    assert len(os.listdir(folder)) == 1
    # A transaction that fails after the file was written removes the file again.
    from ticketing.services import attachments

    uploads = attachments.read_uploads([])
    assert uploads == []
    comment = ticket_service.add_comment(ticket, actor=world.officer_a, body="x")
    attachments.store(
        ticket,
        [attachments.Upload("b.pdf", attachments.PDF, PDF)],
        actor=world.officer_a,
        comment=comment,
    )
    assert len(os.listdir(folder)) == 2
    db.session.rollback()
    assert len(os.listdir(folder)) == 1


def test_attachment_outside_scope_is_404(client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.facilitator_a)
    client.post(
        f"/tickets/{ticket.id}/comments",
        data={"body": "bukti", "files": [(io.BytesIO(PDF), "bukti.pdf")]},
        content_type="multipart/form-data",
    )
    attachment = db.session.scalars(select(Attachment)).one()
    client.post("/logout")
    for user, code in ((world.officer_b, 404), (world.facilitator_a2, 404), (world.province, 200)):
        login(client, user)
        assert client.get(f"/attachments/{attachment.id}").status_code == code
        client.post("/logout")


def test_too_large_request_is_413(app, client, world):
    app.config["MAX_CONTENT_LENGTH"] = 1024
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.facilitator_a)
    response = client.post(
        f"/tickets/{ticket.id}/comments",
        data={"body": "x", "files": [(io.BytesIO(b"%PDF-" + b"0" * 4096), "big.pdf")]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "Traceback" not in response.get_data(as_text=True)


def test_filters_search_and_keyset_pages(app, client, world):
    app.config["PAGE_SIZE"] = 2
    tickets = [world.raise_ticket(title=f"Masalah {i}") for i in range(5)]
    other = world.raise_ticket(world.facilitator_a2, world.school_a2, title="Sekolah lain")
    ticket_service.fire(tickets[0], "assign", actor=world.officer_a, assignee=world.officer_a)
    tickets[1].due_at = utcnow() - timedelta(days=1)
    db.session.commit()
    login(client, world.officer_a)
    first = client.get("/?tab=all").get_data(as_text=True)
    assert other.number in first and tickets[4].number in first
    assert tickets[3].number not in first
    nxt = re.search(r'rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    second = client.get(nxt).get_data(as_text=True)
    assert tickets[3].number in second and tickets[2].number in second
    assert other.number not in second
    mine = client.get("/?mine=1").get_data(as_text=True)
    assert tickets[0].number in mine and tickets[1].number not in mine
    overdue = client.get("/?overdue=1").get_data(as_text=True)
    assert tickets[1].number in overdue and tickets[0].number not in overdue
    assert tickets[2].number in client.get("/?q=Masalah 2").get_data(as_text=True)
    by_npsn = client.get(f"/?q={world.school_a2.npsn}").get_data(as_text=True)
    assert other.number in by_npsn and tickets[4].number not in by_npsn
    by_number = client.get(f"/?q={tickets[3].number}").get_data(as_text=True)
    assert tickets[3].number in by_number and tickets[4].number not in by_number
    state = client.get("/?state=assigned").get_data(as_text=True)
    assert tickets[0].number in state and tickets[2].number not in state
    school = client.get(f"/?school={world.school_a2.id}").get_data(as_text=True)
    assert other.number in school and tickets[4].number not in school
    assert client.get("/?q=%25").status_code == 200  # a literal %, not a wildcard crash


def test_province_sees_escalated_by_default(client, world):
    plain = world.raise_ticket(title="Biasa")
    escalated = world.raise_ticket(world.facilitator_b, world.school_b, title="Naik")
    ticket_service.fire(escalated, "escalate", actor=world.officer_b, note="berat")
    db.session.commit()
    login(client, world.province)
    html = client.get("/").get_data(as_text=True)
    assert escalated.number in html and plain.number not in html
    everything = client.get("/?state=").get_data(as_text=True)
    assert escalated.number in everything and plain.number in everything
    district = client.get("/?state=&district=35.01").get_data(as_text=True)
    assert plain.number in district and escalated.number not in district


def test_facilitator_sees_waiting_for_verification_first(client, world):
    waiting = world.raise_ticket(title="Sudah diperbaiki")
    ticket_service.fire(waiting, "assign", actor=world.officer_a, assignee=world.officer_a)
    ticket_service.fire(waiting, "resolve", actor=world.officer_a, note="Sudah")
    newer = world.raise_ticket(title="Baru")
    db.session.commit()
    login(client, world.facilitator_a)
    html = client.get("/").get_data(as_text=True)
    assert "Waiting for your verification" in html
    assert html.index(waiting.number) < html.index(newer.number)


def test_list_query_count_does_not_grow_with_rows(app, client, world):
    login(client, world.officer_a)
    counts = []
    statements: list[str] = []

    def count(*_args):
        statements.append("q")

    for n in (1, 8):
        for i in range(n):
            world.raise_ticket(title=f"T{n}-{i}")
        db.session.commit()
        statements.clear()
        forget_choices()  # both requests load the filter choices (cached per scope otherwise)
        sa_event.listen(db.engine, "before_cursor_execute", count)
        assert client.get("/").status_code == 200
        sa_event.remove(db.engine, "before_cursor_execute", count)
        counts.append(len(statements))
    assert counts[0] == counts[1]


def test_help_page_shows_every_transition(client):
    html = client.get("/help").get_data(as_text=True)
    from ticketing.help import diagram

    assert len(diagram.transitions()) == 15  # 11, and the central tier's 4
    assert html.count("<tr>") >= 16
    assert "help/workflow.en.svg" in html  # the committed diagram (tests/test_help_diagram.py)


def test_help_in_english(client, world):
    client.post("/language/en", data={"next": "/help"})
    html = client.get("/help").get_data(as_text=True)
    assert 'lang="en"' in html and "Reopened: not fixed" in html


def test_help_without_graphviz_shows_the_table(client, monkeypatch):
    from ticketing.help import diagram

    diagram._render.cache_clear()
    monkeypatch.setattr(diagram.shutil, "which", lambda _name: None)
    html = client.get("/help").get_data(as_text=True)
    diagram._render.cache_clear()
    assert "help/workflow.en.svg" in html and "Reopened: not fixed" in html
    assert "if the province resolved it" in html
