"""Every headline figure links to a list of exactly the tickets it counts.

A history built through the services with the clock moved: tickets reopened this month (one
of them twice, one just after local midnight of the 1st), last month, in another district and
another province; fixes that came back this month and last month. Each dashboard and the
meeting report is opened, each headline link followed through every page of the list, and the
listed tickets counted: the count equals the figure. The list's export and the API give the
same tickets for the new month parameters.
"""

from __future__ import annotations

import csv
import html as html_lib
import io
import re
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from tests.api_support import call, token_for
from tests.factories import World, login
from tests.test_ticket_query import _list_numbers
from ticketing.clock import frozen_at
from ticketing.extensions import db
from ticketing.models import RECURRENCE, Province, Ticket
from ticketing.services import links
from ticketing.services import tickets as svc

NOW = datetime(2026, 5, 20, 3)  # 20 May 2026, 10.00 WIB
FIGURE = re.compile(
    r'<(a|div) class="figure figure-(\w+)"(?: href="([^"]*)")?>\s*'
    r'<span class="figure-value" data-figure="\w+">([^<]*)</span>'
)


def _history(world: World) -> None:
    """Reopens and recurrences around May 2026 (see the module docstring)."""

    def fix(ticket: Any, officer: Any) -> None:
        svc.fire(ticket, "resolve", actor=officer, note="Sudah")

    with frozen_at(datetime(2026, 3, 2, 3)):
        closed = world.raise_ticket(title="Pompa air rusak")
        svc.fire(closed, "assign", actor=world.officer_a, assignee=world.officer_a)
        fix(closed, world.officer_a)
        svc.fire(closed, "verify", actor=world.facilitator_a)
    with frozen_at(datetime(2026, 4, 5, 3)):
        earlier = world.raise_ticket(title="Pompa air mati lagi")
        links.link(earlier, closed, kind=RECURRENCE, actor=world.facilitator_a)
    with frozen_at(datetime(2026, 4, 10, 3)):
        twice = world.raise_ticket(title="Guru kurang")
        midnight = world.raise_ticket(title="Atap bocor")
        other = world.raise_ticket(world.facilitator_b, world.school_b, title="Laptop")
        far = world.raise_ticket(world.facilitator_c, world.school_c, title="Jauh")
        for ticket, officer in ((twice, world.officer_a), (midnight, world.officer_a),
                                (other, world.officer_b), (far, world.officer_c)):  # fmt: skip
            svc.fire(ticket, "assign", actor=officer, assignee=officer)
            fix(ticket, officer)
    with frozen_at(datetime(2026, 4, 20, 3)):
        svc.fire(twice, "reopen", actor=world.facilitator_a, note="Belum")  # last month
        fix(twice, world.officer_a)
    # 30 April 17:30 UTC is 1 May 00:30 WIB: this month in the province's zone.
    with frozen_at(datetime(2026, 4, 30, 17, 30)):
        svc.fire(midnight, "reopen", actor=world.facilitator_a, note="Masih bocor")
    for day in (6, 12):
        with frozen_at(datetime(2026, 5, day, 3)):
            svc.fire(twice, "reopen", actor=world.facilitator_a, note="Belum juga")
            fix(twice, world.officer_a)
    with frozen_at(datetime(2026, 5, 15, 3)):
        svc.fire(other, "reopen", actor=world.facilitator_b, note="Belum")
        svc.fire(far, "reopen", actor=world.facilitator_c, note="Belum")
    with frozen_at(datetime(2026, 5, 3, 3)):
        again = world.raise_ticket(title="Pompa air rusak lagi")
        links.link(again, closed, kind=RECURRENCE, actor=world.facilitator_a)
    db.session.get(Province, "35").public_dashboard = True
    db.session.commit()


def _figures(text: str) -> dict[str, tuple[str, str | None]]:
    """Each headline figure of a page: (value, link or None)."""
    found = {}
    for _tag, key, href, value in FIGURE.findall(text):
        found[key] = (html_lib.unescape(value.strip()), html_lib.unescape(href) if href else None)
    assert found, "the page shows headline figures"
    return found


def _listed(client: Any, href: str) -> tuple[list[str], str | None]:
    """The ticket numbers of a list (``/?...``) over all its pages, and its export link."""
    return _list_numbers(client, urlsplit(href).query)


def _check_page(client: Any, path: str, expected: dict[str, int]) -> None:
    with frozen_at(NOW):
        page = client.get(path)
        assert page.status_code == 200, path
        figures = _figures(page.get_data(as_text=True))
        for key, number in expected.items():
            value, href = figures[key]
            assert value == str(number), (path, key, value, number)
        for key, (value, href) in figures.items():
            if href is None:
                continue
            numbers, export = _listed(client, href)
            assert len(numbers) == int(value), (path, key, href, numbers)
            assert len(set(numbers)) == len(numbers)
            assert export is not None
            rows = list(csv.reader(io.StringIO(client.get(export).data.decode("utf-8-sig"))))
            assert [r[0] for r in rows[1:]] == numbers, (path, key)


def test_every_headline_link_lists_the_tickets_it_counts(client: Any, world: World) -> None:
    _history(world)
    login(client, world.national)
    _check_page(client, "/dashboard/national", {"reopened": 4, "came_back": 1})
    client.post("/logout")
    login(client, world.province)
    _check_page(client, "/dashboard/province/35", {"reopened": 3, "came_back": 1})
    _check_page(client, "/dashboard/province/35?level=SD", {"reopened": 3, "came_back": 1})
    # The meeting report, this month and last month: each linked figure equals its list.
    _check_page(client, "/dashboard/province/35/meeting?month=2026-05",
                {"reopened": 3, "came_back": 1, "raised": 1})  # fmt: skip
    _check_page(client, "/dashboard/province/35/meeting?month=2026-04",
                {"reopened": 1, "came_back": 1, "raised": 4})  # fmt: skip
    client.post("/logout")
    login(client, world.officer_a)
    _check_page(client, "/dashboard/district/35.01", {"reopened": 2, "came_back": 1})
    client.post("/logout")
    # The public view shows the figures (small ones hidden) and links to nothing.
    with frozen_at(NOW):
        public = _figures(client.get("/public/35").get_data(as_text=True))
    assert all(href is None for _value, href in public.values())
    assert public["reopened"][0] == "<5"


def test_month_parameters_in_list_export_and_api(app: Any, client: Any, world: World) -> None:
    _history(world)
    login(client, world.province)
    secret = token_for(world.province)
    api = app.test_client()
    expected = {
        "reopened_in=2026-05&tab=all": {"Guru kurang", "Atap bocor", "Laptop"},
        "reopened_in=2026-04&tab=all": {"Guru kurang"},
        "came_back_in=2026-05&tab=all": {"Pompa air rusak lagi"},
        "came_back_in=2026-04&tab=all": {"Pompa air mati lagi"},
        "reopened_in=2026-05&district=35.02&tab=all": {"Laptop"},
        "reopened_in=2026-06&tab=all": set(),
    }
    titles = {t.number: t.title for t in db.session.scalars(db.select(Ticket))}
    for query, wanted in expected.items():
        with frozen_at(NOW):
            numbers, export = _listed(client, f"/?{query}")
            answer = call(api, "GET", f"/api/v1/tickets?{query}&limit=100", secret)
        assert {titles[n] for n in numbers} == wanted, query
        assert export is not None and query.split("=")[0] in urlsplit(export).query
        rows = list(csv.reader(io.StringIO(client.get(export).data.decode("utf-8-sig"))))
        assert [r[0] for r in rows[1:]] == numbers, query
        assert answer.status_code == 200, answer.json
        assert [t["number"] for t in answer.json["items"]] == numbers, query
    # The list says what it holds, the month in words.
    page = client.get("/?reopened_in=2026-05&tab=all").get_data(as_text=True)
    assert "Tickets reopened in May 2026." in page
    # A malformed month is ignored by the list (more, never an error) and refused by the API (422).
    assert client.get("/?reopened_in=2026-13&tab=all").status_code == 200
    assert call(api, "GET", "/api/v1/tickets?reopened_in=May", secret).status_code == 422
