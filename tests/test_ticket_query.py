"""One ticket query: the list and its export give the same tickets for every parameter set."""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import assign, login
from ticketing.clock import frozen_at
from ticketing.extensions import db
from ticketing.models import RECURRENCE, STATES
from ticketing.services import links
from ticketing.services import tickets as svc
from ticketing.ticket_query import SORTS, TABS, TicketQuery

NUMBER = re.compile(r'<span class="ticket-number">([^<]+)</span>')
EXPORT = re.compile(r'href="([^"]*/dashboard/export/tickets\.csv[^"]*)"')
NEXT = re.compile(r'rel="next" href="([^"]+)"')


def build(world: Any) -> None:
    """A dozen tickets in every state, two provinces, three districts, old and new."""
    assign(world.facilitator_a, world.school_a2)
    with frozen_at(datetime(2026, 1, 12, 3)):
        old = world.raise_ticket(title="Listrik padam")
        svc.fire(old, "assign", actor=world.officer_a, assignee=world.officer_a)
        svc.fire(old, "resolve", actor=world.officer_a, note="Sudah")
        svc.fire(old, "verify", actor=world.facilitator_a)
    with frozen_at(datetime(2026, 2, 10, 3)):
        world.raise_ticket(school=world.school_a2, title="Listrik sekolah")
        esc = world.raise_ticket(title="Jadwal bentrok")
        svc.fire(esc, "escalate", actor=world.officer_a, note="Perlu provinsi")
        reopened = world.raise_ticket(title="Guru kurang")
        svc.fire(reopened, "assign", actor=world.officer_a, assignee=world.officer_a2)
        svc.fire(reopened, "resolve", actor=world.officer_a, note="Sudah")
        svc.fire(reopened, "reopen", actor=world.facilitator_a, note="Belum")
        waiting = world.raise_ticket(title="Anggaran BOS")
        svc.fire(waiting, "assign", actor=world.officer_a, assignee=world.officer_a)
        svc.fire(waiting, "resolve", actor=world.officer_a, note="Sudah")
        gone = world.raise_ticket(title="Tidak jadi")
        svc.fire(gone, "withdraw", actor=world.facilitator_a, note="Salah input")
    with frozen_at(datetime(2026, 3, 2, 3)):
        for title in ("Jadwal lokakarya", "Modul ajar", "Listrik lagi"):
            world.raise_ticket(world.facilitator_b, world.school_b, title=title)
        prov = world.raise_ticket(world.facilitator_b, world.school_b, title="Sarpras")
        svc.fire(prov, "escalate", actor=world.officer_b, note="Berat")
        svc.fire(prov, "resolve", actor=world.province, note="Provinsi selesai")
        world.raise_ticket(world.facilitator_c, world.school_c, title="Provinsi lain")
        # The same problem as January's, back at school A: a recurrence linked in March.
        back = world.raise_ticket(title="Padam lagi")
        links.link(back, old, kind=RECURRENCE, actor=world.officer_a)
    db.session.commit()


def _list_numbers(client: Any, query: str) -> tuple[list[str], str | None]:
    """Every ticket of the list over all its pages, and the page's export link."""
    url: str | None = f"/?{query}"
    numbers: list[str] = []
    export = None
    pages = 0
    while url:
        response = client.get(url)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        listed = text[text.index('id="tickets"') :]
        numbers += NUMBER.findall(listed[: listed.index("</ul>")])
        if export is None and (found := EXPORT.search(text)):
            export = html_lib.unescape(found.group(1))
        found_next = NEXT.search(text)
        url = html_lib.unescape(found_next.group(1)) if found_next else None
        pages += 1
        assert pages < 50
    return numbers, export


def _export_numbers(client: Any, url: str) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    return [row[0] for row in rows[1:]]


def _values(world: Any) -> dict[str, st.SearchStrategy[str]]:
    """Each list parameter with valid and malformed values."""
    ids = [str(world.school_a.id), str(world.school_b.id), str(world.school_c.id), "x", "-1"]
    days = ["2026-01-01", "2026-02-10", "2026-02-28", "2026-12-31", "nope", "2026-13-01"]
    flag = st.sampled_from(["1", "0", ""])
    months = st.sampled_from(["2026-02", "2026-03", "2026-01", "2026-13", "Mei", ""])
    return {
        "tab": st.sampled_from([*TABS, "bogus", ""]),
        "state": st.sampled_from([*STATES, "open", "bogus", ""]),
        "open": flag,
        "category": st.sampled_from([str(world.category.id), "999", "abc"]),
        "school": st.sampled_from(ids),
        "district": st.sampled_from(["35.01", "35.02", "33.01", "99.99", "x" * 8]),
        "province": st.sampled_from(["35", "33", "99"]),
        "level": st.sampled_from(["SD", "SMP", "XX"]),
        "cohort": st.sampled_from(["1", "2", "99999999999"]),
        "mine": flag,
        "overdue": flag,
        "waiting": flag,
        "escalated": flag,
        "reopened": flag,
        "resolved_by": st.sampled_from(["district", "province", "central?"]),
        "created_from": st.sampled_from(days),
        "created_to": st.sampled_from(days),
        "verified_from": st.sampled_from(days),
        "verified_to": st.sampled_from(days),
        "sla": st.sampled_from(["met", "missed", "x"]),
        "q": st.sampled_from(["Listrik", "jadwal", "2050000", "ESK-2026-0000", "%", "_", ""]),
        "sort": st.sampled_from([*SORTS, "bogus"]),
        "reopened_in": months,
        "came_back_in": months,
    }


def test_list_and_export_give_the_same_tickets(app: Any, client: Any, world: Any) -> None:
    app.config["PAGE_SIZE"] = 3
    build(world)
    users = [world.officer_a, world.province, world.facilitator_a, world.admin, world.national]
    values = _values(world)
    params = st.dictionaries(st.sampled_from(sorted(values)), st.just(""), max_size=5).flatmap(
        lambda chosen: st.fixed_dictionaries({k: values[k] for k in chosen})
    )
    signed_in: dict[str, Any] = {"user": None}
    sizes: list[int] = []

    @settings(
        max_examples=60,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(user=st.sampled_from(users), args=params)
    def check(user: Any, args: dict[str, str]) -> None:
        if signed_in["user"] is not user:
            client.post("/logout")
            login(client, user)
            signed_in["user"] = user
        query = "&".join(f"{k}={v}" for k, v in args.items())
        listed, export = _list_numbers(client, query)
        assert export is not None, "the list page links to its export"
        assert _export_numbers(client, export) == listed
        assert len(set(listed)) == len(listed)  # no ticket twice across pages
        sizes.append(len(listed))
        # The canonical query string gives the same list again.
        parsed = TicketQuery.from_args(dict(args), user)
        canonical = "&".join(f"{k}={v}" for k, v in parsed.export_args().items())
        assert _list_numbers(client, canonical)[0] == listed

    check()
    assert max(sizes) > 3  # some lists had several pages: the comparison meant something


def test_export_honours_the_search(client: Any, world: Any) -> None:
    build(world)
    login(client, world.officer_a)
    listed, export = _list_numbers(client, "q=Listrik&tab=all")
    assert export is not None and "q=Listrik" in export
    assert len(listed) == 2
    assert _export_numbers(client, export) == listed


def test_malformed_parameters_are_ignored(world: Any) -> None:
    query = TicketQuery.from_args(
        {"category": "99999999999", "page": "-5", "sort": "x", "tab": "x", "level": "Z"},
        world.officer_a,
    )
    assert query.category is None and query.page == 1 and query.sort == ""
    assert query.tab == "all" and query.level is None
    assert TicketQuery.from_args({}, world.officer_a).tab == "todo"
    assert TicketQuery.from_args({}, world.facilitator_a).tab == "all"


def test_a_kept_list_statement_reads_fresh_tickets_in_each_users_scope(
    client: Any, world: Any
) -> None:
    """The list page keeps its statements per scope and parameters (ticket_query._built), not
    its tickets: the same page twice shows a ticket raised in between, and another district's
    officer asking the same gets their own district."""
    build(world)
    login(client, world.officer_a)
    first, _ = _list_numbers(client, "tab=all")
    new = world.raise_ticket(title="Baru")
    db.session.commit()
    second, _ = _list_numbers(client, "tab=all")
    assert second == [new.number, *first]
    client.post("/logout")
    login(client, world.officer_b)
    theirs, _ = _list_numbers(client, "tab=all")
    assert theirs and not set(theirs) & set(second)
