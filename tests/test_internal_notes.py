"""Internal notes never reach a facilitator; reply templates per province."""

from __future__ import annotations

import io
import re
from typing import Any

from sqlalchemy import select

from tests.factories import login
from ticketing.extensions import db
from ticketing.models import Attachment, Comment, Notification, OutboxMessage, ReplyTemplate
from ticketing.services import tickets as svc

SECRET = "Kepala sekolah sulit diajak bekerja sama"


def test_an_internal_note_never_reaches_a_facilitator(client: Any, world: Any) -> None:
    ticket = world.raise_ticket(title="Guru kurang")
    svc.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    db.session.commit()
    login(client, world.officer_a)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert 'name="internal"' in page
    response = client.post(
        f"/tickets/{ticket.id}/comments",
        data={
            "body": SECRET,
            "internal": "y",
            "files": [(io.BytesIO(b"%PDF-1.4 rahasia"), "catatan-rahasia.pdf")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    client.post(f"/tickets/{ticket.id}/comments", data={"body": "Sedang kami tangani"})
    note = db.session.scalar(select(Comment).where(Comment.body == SECRET))
    assert note is not None and note.internal
    attachment = db.session.scalar(select(Attachment).where(Attachment.comment_id == note.id))
    assert attachment is not None
    # The officers see it, marked.
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert SECRET in page and "Internal note" in page
    # Events after it send notifications and e-mails (to the facilitator among others).
    client.post(
        f"/tickets/{ticket.id}/resolve",
        data={"version": str(ticket.version_id), "note": "Guru pengganti ada"},
    )
    db.session.expire_all()
    assert ticket.state == "resolved"
    client.post("/logout")

    login(client, world.facilitator_a)
    readers = [
        f"/tickets/{ticket.id}",
        "/?tab=all",
        "/?tab=all&q=Guru",
        "/dashboard/export/tickets.csv?tab=all",
        "/notifications",
    ]
    for url in readers:
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.get_data().decode("utf-8-sig")
        assert SECRET not in body, url
        assert "catatan-rahasia" not in body, url
    assert "Sedang kami tangani" in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert client.get(f"/attachments/{attachment.id}").status_code == 404
    xlsx = client.get("/dashboard/export/tickets.xlsx?tab=all")
    assert xlsx.status_code == 200 and SECRET.encode() not in xlsx.get_data()
    # A facilitator cannot write one either.
    refused = client.post(
        f"/tickets/{ticket.id}/comments", data={"body": "rahasia?", "internal": "y"}
    )
    assert refused.status_code == 403
    emails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.user_id == world.facilitator_a.id)
    ).all()
    assert emails, "the facilitator was told about the resolution"
    assert all(SECRET not in m.body_text and SECRET not in m.subject for m in emails)
    notes = db.session.scalars(
        select(Notification).where(Notification.user_id == world.facilitator_a.id)
    ).all()
    assert notes
    # The province officer and the administrator read it.
    for user in (world.province, world.admin):
        client.post("/logout")
        login(client, user)
        assert SECRET in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
        assert client.get(f"/attachments/{attachment.id}").status_code == 200


def test_reply_templates_per_province(client: Any, world: Any) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.admin)
    response = client.post(
        "/admin/templates",
        data={"title": "Guru pengganti", "body": "Dinas sudah menugaskan guru pengganti."},
    )
    assert response.status_code == 302
    row = db.session.scalar(select(ReplyTemplate))
    assert row is not None and row.province_code == "35"
    assert "Guru pengganti" in client.get("/admin/templates").get_data(as_text=True)
    client.post("/logout")
    # Another province's administrator neither sees nor changes it.
    login(client, world.admin_c)
    assert "Guru pengganti" not in client.get("/admin/templates").get_data(as_text=True)
    changed = client.post(f"/admin/templates/{row.id}", data={"title": "x", "body": "y"})
    assert changed.status_code == 404
    client.post("/logout")
    # The officers of the province pick it on the ticket page; facilitators do not see it.
    login(client, world.officer_a)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert re.search(r'<option value="Dinas sudah menugaskan guru pengganti.">', page)
    client.post("/logout")
    login(client, world.facilitator_a)
    assert "Guru pengganti" not in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    client.post("/logout")
    login(client, world.admin)
    assert client.post(f"/admin/templates/{row.id}/delete").status_code == 302
    assert db.session.scalar(select(ReplyTemplate)) is None
