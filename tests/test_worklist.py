"""The worklist: take ("Ambil"), take and resolve, bulk actions, the province holder, views."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import event, func, select

from tests.factories import login
from ticketing.errors import NotFound, PermissionDenied
from ticketing.extensions import db
from ticketing.models import SavedView, Ticket, TicketEvent
from ticketing.services import bulk, links
from ticketing.services import tickets as svc


def _events(ticket: Ticket) -> list[str]:
    return list(
        db.session.scalars(
            select(TicketEvent.event)
            .where(TicketEvent.ticket_id == ticket.id)
            .order_by(TicketEvent.id)
        )
    )


def test_take_from_the_list_assigns_to_me(client: Any, world: Any) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a2)
    html = client.get("/").get_data(as_text=True)
    assert f'formaction="/tickets/{ticket.id}/take"' in html
    response = client.post(
        f"/tickets/{ticket.id}/take",
        data={"version": str(ticket.version_id), "back": "tab=todo&sort=age"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/?tab=todo&sort=age")
    db.session.expire_all()
    assert ticket.state == "assigned" and ticket.assignee_id == world.officer_a2.id
    assert _events(ticket) == ["raise", "assign"]
    # A second take with the old version is a conflict: nothing changes, the user is told.
    response = client.post(f"/tickets/{ticket.id}/take", data={"version": "1"})
    assert response.status_code == 403  # no longer raised: not takeable


def test_take_with_a_stale_version_changes_nothing(client: Any, world: Any) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    seen = ticket.version_id
    svc.add_comment(ticket, actor=world.officer_a, body="lihat")
    ticket.title = "Judul baru"  # someone else changed the ticket (version bump)
    db.session.commit()
    login(client, world.officer_a2)
    response = client.post(f"/tickets/{ticket.id}/take", data={"version": str(seen)})
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "changed by someone else" in follow
    db.session.expire_all()
    assert ticket.state == "raised"


def test_take_and_resolve_is_two_audit_rows_in_one_transaction(client: Any, world: Any) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    login(client, world.officer_a)
    page = client.get(f"/tickets/{ticket.id}").get_data(as_text=True)
    assert f"/tickets/{ticket.id}/take_resolve" in page
    # Without a resolution note nothing is written, not even the assign.
    refused = client.post(
        f"/tickets/{ticket.id}/take_resolve", data={"version": str(ticket.version_id)}
    )
    assert refused.status_code == 400
    db.session.expire_all()
    assert ticket.state == "raised" and _events(ticket) == ["raise"]
    done = client.post(
        f"/tickets/{ticket.id}/take_resolve",
        data={"version": str(ticket.version_id), "note": "Guru pengganti sudah ada"},
    )
    assert done.status_code == 302
    db.session.expire_all()
    assert ticket.state == "resolved" and ticket.assignee_id == world.officer_a.id
    assert _events(ticket) == ["raise", "assign", "resolve"]


def test_province_officer_takes_and_gives_escalated_tickets(client: Any, world: Any) -> None:
    from tests.factories import make_user

    colleague = make_user("prov2@x.id", "province_pmo", "35", None, name="Rekan Provinsi")
    ticket = world.raise_ticket()
    svc.fire(ticket, "escalate", actor=world.officer_a, note="berat")
    other = world.raise_ticket(world.facilitator_b, world.school_b, title="Lain")
    svc.fire(other, "escalate", actor=world.officer_b, note="berat")
    db.session.commit()
    # Another province's officer cannot take it: not even visible.
    with pytest.raises(NotFound):
        svc.take(ticket, actor=world.province_c)
    login(client, world.province_c)
    assert client.post(f"/tickets/{ticket.id}/take", data={}).status_code == 404
    client.post("/logout")
    # A district officer cannot take an escalated ticket.
    with pytest.raises(PermissionDenied):
        svc.take(ticket, actor=world.officer_a)
    db.session.rollback()

    login(client, world.province)
    response = client.post(f"/tickets/{ticket.id}/take", data={"version": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert ticket.province_holder_id == world.province.id and ticket.state == "escalated"
    assert _events(ticket)[-1] == "take"
    listed = client.get(f"/?tab=all&holder={world.province.id}").get_data(as_text=True)
    assert ticket.number in listed and other.number not in listed
    assert "province officer</span>" not in listed  # shown as text, not a broken tag
    # Give it to a colleague: one audit row, the list's holder filter follows.
    response = client.post(
        f"/tickets/{ticket.id}/holder",
        data={"holder": str(colleague.id), "version": str(ticket.version_id)},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert ticket.province_holder_id == colleague.id and _events(ticket)[-1] == "give"
    mine = client.get(f"/?tab=all&holder={world.province.id}").get_data(as_text=True)
    assert ticket.number not in mine
    theirs = client.get(f"/?tab=all&holder={colleague.id}").get_data(as_text=True)
    assert ticket.number in theirs and "Rekan Provinsi" in theirs
    # A holder must be a province officer of the province.
    bad = client.post(f"/tickets/{ticket.id}/holder", data={"holder": str(world.officer_a.id)})
    assert bad.status_code == 302
    db.session.expire_all()
    assert ticket.province_holder_id == colleague.id


def test_bulk_applies_to_the_others_and_reports_the_conflict(client: Any, world: Any) -> None:
    tickets = [world.raise_ticket(title=f"Jadwal lokakarya bentrok {i}") for i in range(4)]
    for t in tickets[:3]:
        svc.fire(t, "assign", actor=world.officer_a, assignee=world.officer_a)
    db.session.commit()
    login(client, world.officer_a)
    html = client.get("/?tab=all").get_data(as_text=True)
    versions = dict(re.findall(r'name="v(\d+)" value="(\d+)"', html))
    # Meanwhile a colleague escalates the second ticket.
    svc.fire(tickets[1], "escalate", actor=world.officer_a2, note="Perlu provinsi")
    db.session.commit()
    data: dict[str, Any] = {
        "ticket": [str(t.id) for t in tickets],
        "event": "resolve",
        "note": "Jadwal sudah diatur ulang",
        "back": "tab=all",
        **{f"v{t.id}": versions[str(t.id)] for t in tickets},
    }
    response = client.post("/tickets/bulk", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="bulk-result"' in page
    assert "2 tickets done." in page and "2 tickets not changed." in page
    assert "Changed by someone else: not applied" in page
    assert "Not allowed for this ticket now" in page  # the raised one cannot be resolved
    db.session.expire_all()
    assert [t.state for t in tickets] == ["resolved", "escalated", "resolved", "raised"]
    for t in (tickets[0], tickets[2]):
        assert _events(t)[-1] == "resolve"
    assert _events(tickets[1])[-1] == "escalate"
    # The result is shown once.
    assert 'id="bulk-result"' not in client.get("/?tab=all").get_data(as_text=True)


def test_bulk_service_refuses_without_note_and_for_facilitators(world: Any) -> None:
    ticket = world.raise_ticket()
    db.session.commit()
    from ticketing.errors import InvalidInput

    with pytest.raises(InvalidInput):
        bulk.apply(world.officer_a, "escalate", [ticket.id], note="  ")
    with pytest.raises(PermissionDenied):
        bulk.apply(world.facilitator_a, "take", [ticket.id])
    outcomes = bulk.apply(world.officer_b, "take", [ticket.id])  # not in their district
    assert [o.result for o in outcomes] == [bulk.DENIED]
    outcomes = bulk.apply(world.officer_a, "take", [ticket.id, ticket.id])
    assert [o.result for o in outcomes] == [bulk.DONE]


def test_group_of_linked_tickets_in_the_list(client: Any, world: Any) -> None:
    first = world.raise_ticket(title="Jadwal lokakarya bentrok")
    second = world.raise_ticket(world.facilitator_a2, world.school_a2, title="Jadwal bentrok")
    third = world.raise_ticket(title="Lain")
    links.link(second, first, kind="duplicate", actor=world.officer_a)
    db.session.commit()
    login(client, world.officer_a)
    page = client.get(f"/tickets/{first.id}").get_data(as_text=True)
    assert f"linked={first.id}" in page
    group = client.get(f"/?tab=all&linked={first.id}").get_data(as_text=True)
    assert first.number in group and second.number in group and third.number not in group


def test_saved_views(client: Any, world: Any) -> None:
    login(client, world.officer_a)
    response = client.post("/views", data={"name": "Terlambat", "query": "overdue=1&sort=age"})
    assert response.status_code == 302
    row = db.session.scalar(select(SavedView).where(SavedView.user_id == world.officer_a.id))
    assert row is not None and "overdue=1" in row.query_string and "sort=age" in row.query_string
    assert "Terlambat" in client.get("/").get_data(as_text=True)
    # Another user cannot remove it.
    client.post("/logout")
    login(client, world.officer_a2)
    assert client.post(f"/views/{row.id}/delete").status_code == 404
    assert "Terlambat" not in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login(client, world.officer_a)
    assert client.post(f"/views/{row.id}/delete").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(SavedView)) == 0


class QueryCounter:
    """Counts the SQL statements the engine runs (for the figures in the report)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *_args: Any) -> None:
        self.count += 1


@pytest.mark.parametrize("size", [25])
def test_query_counts_of_the_list_and_a_bulk_action(
    app: Any, client: Any, world: Any, size: int, capsys: Any
) -> None:
    app.config["PAGE_SIZE"] = 50
    tickets = [world.raise_ticket(title=f"Masalah {i}") for i in range(size)]
    db.session.commit()
    login(client, world.officer_a)
    counter = QueryCounter()
    event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get("/").status_code == 200
        list_queries = counter.count
        counter.count = 0
        html = client.get("/").get_data(as_text=True)
        versions = dict(re.findall(r'name="v(\d+)" value="(\d+)"', html))
        counter.count = 0
        data: dict[str, Any] = {
            "ticket": [str(t.id) for t in tickets],
            "event": "take",
            **{f"v{t.id}": versions[str(t.id)] for t in tickets},
        }
        assert client.post("/tickets/bulk", data=data).status_code == 302
        bulk_queries = counter.count
    finally:
        event.remove(db.engine, "before_cursor_execute", counter)
    db.session.expire_all()
    assert all(t.state == "assigned" for t in tickets)
    with capsys.disabled():
        print(f"\n[query counts] list page: {list_queries}; bulk take of {size}: {bulk_queries}")
    # The list's cost does not grow with its length (no query per row).
    assert list_queries <= 20
