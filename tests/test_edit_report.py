"""A facilitator corrects a raised ticket ("Ubah laporan"): audited, no state change."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask, g
from sqlalchemy import func, select

from tests.factories import assign, login, make_school
from tests.rollup_checks import assert_rollups_agree
from ticketing.audit_check import verify_trails
from ticketing.errors import ConflictError, InvalidInput, NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.models import Category, Notification, Ticket, TicketEvent
from ticketing.services import tickets as svc


def _edit(world, ticket, actor=None, **changes):
    values = {
        "title": ticket.title,
        "description": ticket.description,
        "category": ticket.category,
        "school": ticket.school,
    }
    values.update(changes)
    return svc.edit_report(ticket, actor=actor or world.facilitator_a, **values)


def _rows(ticket: Ticket) -> list[TicketEvent]:
    return list(
        db.session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
        )
    )


def _second_category() -> Category:
    other = Category(code="budget-x", kind="non_academic", name_id="Anggaran sekolah",
                     name_en="School budget", position=99)  # fmt: skip
    db.session.add(other)
    db.session.flush()
    return other


def test_the_facilitator_corrects_a_raised_ticket(world):
    ticket = world.raise_ticket()
    db.session.commit()
    version = ticket.version_id
    other = _second_category()
    row = _edit(world, ticket, title="Tidak ada guru IPA", description="Sejak Agustus.",
                category=other, expected_version=version)  # fmt: skip
    db.session.commit()
    assert row is not None and row.event == "edit"
    assert (row.from_state, row.to_state) == ("raised", "raised")
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.state == "raised" and ticket.version_id == version + 1
    assert (ticket.title, ticket.description, ticket.category_id) == (
        "Tidak ada guru IPA", "Sejak Agustus.", other.id,
    )  # fmt: skip
    # One audit row, recording old -> new for each changed part.
    assert [r.event for r in _rows(ticket)] == ["raise", "edit"]
    recorded = json.loads(_rows(ticket)[1].note)
    assert recorded["title"][1] == "Tidak ada guru IPA"
    assert recorded["category"] == [world.category.id, other.id]
    changes = {c.field: c for c in svc.report_changes(row.note, "en")}
    assert set(changes) == {"title", "description", "category"}
    assert changes["category"].new == "School budget"
    # The trail still replays to the state; the rollups moved with the category.
    assert verify_trails(db.session).problems == []
    assert_rollups_agree()


def test_nothing_changed_writes_nothing(world):
    ticket = world.raise_ticket()
    db.session.commit()
    version = ticket.version_id
    assert _edit(world, ticket, title=f"  {ticket.title} ") is None
    db.session.commit()
    assert ticket.version_id == version and len(_rows(ticket)) == 1


def test_another_school_of_another_district_moves_the_ticket_there(world):
    """The facilitator's district changed (an administrator moved them): a raised ticket of the
    old district follows the school it is corrected to, like a new raise would."""
    ticket = world.raise_ticket()
    db.session.commit()
    due_before = ticket.due_at
    school = make_school("20500009", "35.02")
    assign(world.facilitator_a, school)
    db.session.commit()
    _edit(world, ticket, school=school)
    db.session.commit()
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert (ticket.school_id, ticket.district_code, ticket.province_code) == (
        school.id, "35.02", "35",
    )  # fmt: skip
    assert ticket.state == "raised"
    assert ticket.due_at == due_before  # the clock runs on from the raise
    assert json.loads(_rows(ticket)[-1].note)["district"] == ["35.01", "35.02"]
    # The new district sees it (and was told); the old one no longer does.
    told = db.session.scalars(
        select(Notification.user_id).where(Notification.ticket_id == ticket.id,
                                           Notification.kind == "raised")
    ).all()  # fmt: skip
    assert world.officer_b.id in told
    with pytest.raises(NotFound):
        svc.get_visible(world.officer_a, ticket.id)
    assert svc.get_visible(world.officer_b, ticket.id).id == ticket.id
    assert_rollups_agree()
    assert verify_trails(db.session).problems == []


def test_only_own_active_schools_and_active_categories(world):
    ticket = world.raise_ticket()
    db.session.commit()
    with pytest.raises(InvalidInput) as refused:
        _edit(world, ticket, school=world.school_b)
    assert refused.value.details["field"] == "school"
    db.session.rollback()
    other = _second_category()
    other.active = False
    db.session.flush()
    with pytest.raises(InvalidInput) as refused:
        _edit(world, ticket, category=other)
    assert refused.value.details["field"] == "category"
    db.session.rollback()
    with pytest.raises(InvalidInput):
        _edit(world, ticket, title="  ")
    db.session.rollback()
    assert len(_rows(ticket)) == 1


def test_refused_after_assignment_and_for_everyone_else(world):
    ticket = world.raise_ticket()
    db.session.commit()
    # Another facilitator of the same school sees the ticket but may not correct it.
    assign(world.facilitator_a2, world.school_a)
    db.session.commit()
    for who in (world.facilitator_a2, world.officer_a, world.province, world.admin):
        with pytest.raises(PermissionDenied):
            _edit(world, ticket, actor=who, title="Diubah orang lain")
        db.session.rollback()
    with pytest.raises(NotFound):  # a facilitator of another district does not see it
        _edit(world, ticket, actor=world.facilitator_b, title="x")
    db.session.rollback()
    svc.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    db.session.commit()
    with pytest.raises(PermissionDenied):
        _edit(world, ticket, title="Terlambat")
    db.session.rollback()
    assert [r.event for r in _rows(ticket)] == ["raise", "assign"]


def test_a_stale_version_is_a_conflict(world):
    ticket = world.raise_ticket()
    db.session.commit()
    seen = ticket.version_id
    _edit(world, ticket, title="Edit pertama", expected_version=seen)
    db.session.commit()
    with pytest.raises(ConflictError):
        _edit(world, ticket, title="Edit kedua", expected_version=seen)
    db.session.rollback()
    # And an officer's action based on the version before the edit is refused too.
    with pytest.raises(ConflictError):
        svc.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a,
                 expected_version=seen)  # fmt: skip
    db.session.rollback()
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.title == "Edit pertama" and ticket.state == "raised"
    assert [r.event for r in _rows(ticket)] == ["raise", "edit"]


def test_the_trail_replays_after_edits_and_later_events(world):
    ticket = world.raise_ticket()
    _edit(world, ticket, title="Judul yang benar")
    _edit(world, ticket, description="Keterangan yang benar.")
    svc.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    svc.fire(ticket, "resolve", actor=world.officer_a, note="Beres")
    svc.fire(ticket, "verify", actor=world.facilitator_a)
    db.session.commit()
    report = verify_trails(db.session)
    assert report.problems == [] and report.events == 6
    assert_rollups_agree()


# --- Through the browser's door: the ticket page, the form, the timeline ----------------------


def _form_values(page: str) -> dict[str, str]:
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    seen = re.search(r'name="seen_event" type="hidden" value="(\d+)"', page)
    assert version and seen
    return {"version": version.group(1), "seen_event": seen.group(1)}


def test_the_edit_page_and_the_timeline(app: Flask, client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.facilitator_a)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f'href="/tickets/{ticket.id}/edit"' in page
    form = client.get(f"/tickets/{ticket.id}/edit")
    html = form.get_data(as_text=True)
    assert form.status_code == 200 and "data-draft-prefilled" in html
    assert f'value="{ticket.title}"' in html and ticket.description in html
    data = {**_form_values(html), "school": str(world.school_a.id),
            "category": str(world.category.id), "title": "Atap kelas bocor",
            "description": "Ruang kelas 3 bocor saat hujan."}  # fmt: skip
    response = client.post(f"/tickets/{ticket.id}/edit", data=data)
    assert response.status_code == 302
    shown = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Ticket {ticket.number} was corrected." in shown
    assert "Corrected the report" in shown
    assert "<del" in shown and "Atap kelas bocor</ins>" in shown
    # Indonesian too.
    g.pop("_login_user", None)
    client.post("/language/id")
    shown = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert "Mengubah laporan" in shown and "Judul" in shown


def test_the_form_is_refused_when_not_allowed(app: Flask, client, world):
    ticket = world.raise_ticket()
    svc.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    db.session.commit()
    login(client, world.facilitator_a)
    assert "/edit" not in client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert client.get(f"/tickets/{ticket.id}/edit").status_code == 403
    data = {"version": str(ticket.version_id), "school": str(world.school_a.id),
            "category": str(world.category.id), "title": "x", "description": "y"}  # fmt: skip
    assert client.post(f"/tickets/{ticket.id}/edit", data=data).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(TicketEvent)) == 2


def test_a_refusal_and_a_conflict_keep_the_text(app: Flask, client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.facilitator_a)
    values = _form_values(client.get(f"/tickets/{ticket.id}/edit").get_data(as_text=True))
    data = {**values, "school": str(world.school_a.id), "category": str(world.category.id),
            "title": "", "description": "Teks panjang yang diketik di lapangan."}  # fmt: skip
    refused = client.post(f"/tickets/{ticket.id}/edit", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Teks panjang yang diketik di lapangan." in html
    assert "data-draft-prefilled" not in html  # the server's page holds the typed text
    # Someone else (here: the same facilitator in another tab) corrected it meanwhile.
    _edit(world, db.session.get(Ticket, ticket.id), title="Dari tab lain")
    db.session.commit()
    data["title"] = "Judul saya"
    conflict = client.post(f"/tickets/{ticket.id}/edit", data=data)
    html = conflict.get_data(as_text=True)
    assert conflict.status_code == 409
    assert "Judul saya" in html and "Teks panjang yang diketik di lapangan." in html
    assert "Dari tab lain" in html  # what changed meanwhile
    # The refreshed version lets the user send it again on purpose.
    again = client.post(f"/tickets/{ticket.id}/edit", data={**data, **_form_values(html)})
    assert again.status_code == 302
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).title == "Judul saya"


def test_a_conflict_after_assignment_keeps_the_text_without_a_form(app: Flask, client, world):
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.facilitator_a)
    values = _form_values(client.get(f"/tickets/{ticket.id}/edit").get_data(as_text=True))
    svc.fire(db.session.get(Ticket, ticket.id), "assign", actor=world.officer_a,
             assignee=world.officer_a)  # fmt: skip
    db.session.commit()
    data = {**values, "school": str(world.school_a.id), "category": str(world.category.id),
            "title": "Judul baru", "description": "Keterangan baru yang panjang."}  # fmt: skip
    response = client.post(f"/tickets/{ticket.id}/edit", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Keterangan baru yang panjang.</textarea>" in html and 'value="Judul baru"' in html
    assert "can no longer be corrected" in html
    db.session.expire_all()
    assert db.session.get(Ticket, ticket.id).title != "Judul baru"
