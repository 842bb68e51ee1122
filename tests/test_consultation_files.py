"""Experts answer with text and files: the files go the way of ticket evidence (checked by
content, pictures re-encoded, served with nosniff/no-store to those who see the ticket), hang
on the answer's audit row on the timeline, and a refused file keeps the answer's text."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.factories import login, make_user
from tests.photos import phone_jpeg
from ticketing.extensions import db
from ticketing.models import Attachment, ConsultationEvent
from ticketing.services import attachments, consultations
from ticketing.services import tickets as ticket_service

PDF = b"%PDF-1.4\n" + b"0" * 2000


def _asked(world):
    ticket = world.raise_ticket()
    ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    [consultation] = consultations.ask(
        ticket, actor=world.officer_a, experts=[world.expert], question="Bagaimana juknisnya?"
    )
    db.session.commit()
    return ticket, consultation


def _answer(client, consultation, note, files, **headers):
    return client.post(
        f"/consultations/{consultation.id}/answer",
        data={"note": note, "answer_to": str(consultation.id), "files": files},
        content_type="multipart/form-data",
        headers=headers,
    )


def _count(model) -> int:
    return int(db.session.scalar(select(func.count()).select_from(model)) or 0)


def test_an_answer_with_files_is_on_the_timeline_for_those_who_see_the_ticket(app, client, world):
    ticket, consultation = _asked(world)
    login(client, world.expert)
    photo = phone_jpeg(min_bytes=200_000)
    files = [(io.BytesIO(PDF), "juknis.pdf"), (io.BytesIO(photo), "IMG_1.JPG")]
    response = _answer(client, consultation, "Lihat juknis terlampir.", files)
    assert response.status_code == 302
    answer_row = db.session.scalars(
        select(ConsultationEvent).where(ConsultationEvent.event == "answer")
    ).one()
    rows = db.session.scalars(select(Attachment).order_by(Attachment.id)).all()
    assert [r.consultation_event_id for r in rows] == [answer_row.id, answer_row.id]
    assert [r.event_id for r in rows] == [None, None] and [r.comment_id for r in rows] == [None] * 2
    pdf, jpeg = rows
    assert (pdf.content_type, jpeg.content_type) == (attachments.PDF, attachments.JPEG)
    # The photo was re-encoded like ticket evidence: upright, no EXIF (no GPS).
    stored = Image.open(io.BytesIO(attachments.path_of(jpeg).read_bytes()))
    assert not stored.getexif() and stored.height > stored.width
    assert consultation.state == "answered" and ticket.state == "assigned"

    # The officer who holds the ticket sees the files with the answer and downloads them.
    client.post("/logout")
    login(client, world.officer_a)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    entry = page[page.index(f'id="k{answer_row.id}"') :]
    entry = entry[: entry.find('class="entry ', 1)]  # this timeline entry only
    assert "juknis.pdf" in entry and f"/attachments/{pdf.id}" in entry
    download = client.get(f"/attachments/{pdf.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in download.headers["Cache-Control"]

    # The expert asked, and (like the answer's text) the ticket's facilitator, see them too.
    for allowed in (world.expert, world.facilitator_a, world.province):
        client.post("/logout")
        login(client, allowed)
        assert client.get(f"/attachments/{jpeg.id}").status_code == 200, allowed.email

    # Not an expert who was not consulted, not another province, not anonymous.
    bystander = make_user("wp2@x.id", "expert", "35", None)
    consultations.set_fields(bystander, [world.category.id])
    db.session.commit()
    for refused in (bystander, world.expert_c, world.officer_c, world.province_c, world.officer_b):
        client.post("/logout")
        login(client, refused)
        assert client.get(f"/attachments/{pdf.id}").status_code == 404, refused.email
        assert client.get(f"/tickets/{ticket.id}").status_code == 404, refused.email
    client.post("/logout")
    anonymous = client.get(f"/attachments/{pdf.id}")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_a_follow_up_carries_its_own_files(app, client, world):
    ticket, consultation = _asked(world)
    consultations.answer(consultation, actor=world.expert, note="Jawaban pertama")
    db.session.commit()
    login(client, world.expert)
    response = _answer(client, consultation, "Tambahan: format laporan.",
                       [(io.BytesIO(PDF), "format.pdf")])  # fmt: skip
    assert response.status_code == 302
    follow_up = db.session.scalars(
        select(ConsultationEvent).where(ConsultationEvent.event == "follow_up")
    ).one()
    [row] = db.session.scalars(select(Attachment)).all()
    assert row.consultation_event_id == follow_up.id
    from ticketing.tickets import queries

    files = {e.event: [a.original_name for a in e.attachments]
             for e in queries.timeline(ticket) if e.kind == "consultation"}  # fmt: skip
    assert files == {"ask": [], "answer": [], "follow_up": ["format.pdf"]}


def test_only_the_expert_asked_may_attach_files_and_nothing_is_left_on_disk(app, world):
    _ticket, consultation = _asked(world)
    upload = attachments.Upload("x.pdf", attachments.PDF, PDF)
    from ticketing.errors import PermissionDenied

    for intruder in (world.officer_a, world.expert_c, world.facilitator_a):
        with pytest.raises(PermissionDenied):
            consultations.answer(consultation, actor=intruder, note="Saya", files=[upload])
        db.session.rollback()
    assert _count(Attachment) == 0
    folder = attachments.upload_folder()
    assert list(folder.iterdir()) == []


def test_a_refused_file_keeps_the_answer_text_and_changes_nothing(app, client, world):
    ticket, consultation = _asked(world)
    events_before = _count(ConsultationEvent)
    login(client, world.expert)
    fake = b"<html><script>alert(1)</script></html>"
    response = _answer(client, consultation, "Jawaban panjang saya.",
                       [(io.BytesIO(fake), "juknis.pdf")],
                       Referer=f"http://localhost/tickets/{ticket.id}")  # fmt: skip
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/tickets/{ticket.id}")
    db.session.expire_all()
    assert consultation.state == "requested"
    assert _count(ConsultationEvent) == events_before and _count(Attachment) == 0
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Jawaban panjang saya.</textarea>" in page
    assert "only photos (JPEG, PNG, WEBP, HEIC), PDF, DOCX and XLSX" in page
    # Too many files: refused with the limit named, the text kept again.
    many = [(io.BytesIO(PDF), f"f{i}.pdf") for i in range(attachments.MAX_FILES + 1)]
    response = _answer(client, consultation, "Jawaban kedua.", many,
                       Referer=f"http://localhost/tickets/{ticket.id}")  # fmt: skip
    assert response.status_code == 303
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Jawaban kedua.</textarea>" in page
    assert f"Attach at most {attachments.MAX_FILES} files." in page
    assert _count(Attachment) == 0


def test_an_over_limit_answer_comes_back_with_its_text(app, client, world):
    ticket, consultation = _asked(world)
    app.config["MAX_CONTENT_LENGTH"] = 64 * 1024
    login(client, world.expert)
    big = b"%PDF-" + b"0" * (100 * 1024)
    response = _answer(client, consultation, "Teks yang tidak boleh hilang.",
                       [(io.BytesIO(big), "scan-besar.pdf")],
                       Referer=f"http://localhost/tickets/{ticket.id}")  # fmt: skip
    assert response.status_code == 303
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Teks yang tidak boleh hilang.</textarea>" in page
    assert "scan-besar.pdf" in page  # named, to be chosen again
    db.session.expire_all()
    assert consultation.state == "requested" and _count(Attachment) == 0
    # The text goes back into the form of the question it answered, not into another one.
    assert page.count("Teks yang tidak boleh hilang.") == 1


def test_the_api_download_follows_the_same_rules(app, client, world):
    """/api/v1/attachments/<id>: answer files as on the web; an internal note's file is not
    the facilitator's (the API once checked the ticket's scope only)."""
    from tests.api_support import call, token_for

    ticket, consultation = _asked(world)
    upload = attachments.Upload("juknis.pdf", attachments.PDF, PDF)
    consultations.answer(consultation, actor=world.expert, note="Terlampir", files=[upload])
    note = ticket_service.add_comment(
        ticket, actor=world.officer_a, body="Catatan internal", internal=True,
        files=[attachments.Upload("rahasia.pdf", attachments.PDF, PDF)],
    )  # fmt: skip
    db.session.commit()
    answer_file = db.session.scalars(
        select(Attachment).where(Attachment.consultation_event_id.is_not(None))
    ).one()
    note_file = db.session.scalars(select(Attachment).where(Attachment.comment_id == note.id)).one()
    officer, facilitator = token_for(world.officer_a), token_for(world.facilitator_a)
    bystander = token_for(world.expert_c)
    assert call(client, "GET", f"/api/v1/attachments/{answer_file.id}", officer).status_code == 200
    assert call(client, "GET", f"/api/v1/attachments/{note_file.id}", officer).status_code == 200
    got = call(client, "GET", f"/api/v1/attachments/{answer_file.id}", facilitator)
    assert got.status_code == 200 and got.headers["X-Content-Type-Options"] == "nosniff"
    assert (
        call(client, "GET", f"/api/v1/attachments/{note_file.id}", facilitator).status_code == 404
    )
    assert (
        call(client, "GET", f"/api/v1/attachments/{answer_file.id}", bystander).status_code == 404
    )
    assert call(client, "GET", f"/api/v1/attachments/{answer_file.id}").status_code == 401
