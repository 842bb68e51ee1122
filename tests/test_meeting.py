"""The monthly meeting report: figures from the history, XLSX equals the page, e-mail."""

from __future__ import annotations

import io
from datetime import date, timedelta
from html.parser import HTMLParser
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories import World, login, make_user
from tests.test_history_figures import WIB, build_history
from ticketing import asof
from ticketing.clock import frozen_at
from ticketing.extensions import db
from ticketing.models import OPEN_STATES, OutboxMessage, TicketEvent


class Tables(HTMLParser):
    """The text of every cell of every <table id="table-..."> of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and (found.get("id") or "").startswith("table-"):
            self.current = str(found["id"])[6:]
            self.tables[self.current] = []
        elif self.current and tag == "tr":
            self.tables[self.current].append([])
        elif self.current and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self.current = None
        elif self.current and tag in ("td", "th") and self.cell is not None:
            self.tables[self.current][-1].append("".join(self.cell).strip())
            self.cell = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _cell(value: Any) -> str:
    return "" if value is None else str(value)


def test_meeting_report_counts_xlsx_and_mail(world: World, client: Any) -> None:
    history = build_history(world, seed=3)
    moment_low = asof.moment_of(date(2022, 12, 31), WIB)
    moment_high = asof.moment_of(date(2023, 1, 31), WIB)
    # Independent counts for January 2023, from what the test did.
    open_start = sum(1 for t in history.district
                     if history.state_at(t, moment_low) in OPEN_STATES)  # fmt: skip
    open_end = sum(1 for t in history.district
                   if history.state_at(t, moment_high) in OPEN_STATES)  # fmt: skip
    raised = sum(1 for states in history.states.values()
                 if moment_low <= states[0][0] < moment_high)  # fmt: skip
    verified = sum(
        1
        for states in history.states.values()
        for when, s in states[1:]
        if s == "verified" and moment_low <= when < moment_high
    )
    login(client, world.province)
    with frozen_at(moment_high + timedelta(days=60)):
        page = client.get("/dashboard/province/35/meeting?month=2023-01")
        xlsx = client.get("/dashboard/province/35/meeting.xlsx?month=2023-01")
    assert page.status_code == 200 and xlsx.status_code == 200
    parser = Tables()
    parser.feed(page.get_data(as_text=True))
    summary = {row[0]: row[1:] for row in parser.tables["summary"][1:]}
    assert summary["Open at the start"][0] == str(open_start)
    assert summary["Still open at the end"][0] == str(open_end)
    assert summary["Raised"][0] == str(raised)
    assert summary["Verified"][0] == str(verified)
    # The workbook read back equals the page, table by table.
    book = load_workbook(io.BytesIO(xlsx.data))
    assert len(book.worksheets) == len(parser.tables) == 5
    for sheet, (key, rows) in zip(book.worksheets, parser.tables.items(), strict=True):
        values = [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        assert values == rows, key
    # Sent to the province's officers through the outbox, with the link.
    other = make_user("prov2@x.id", "province_pmo", "35", None)
    db.session.commit()
    events_before = db.session.scalar(select(db.func.count()).select_from(TicketEvent))
    with frozen_at(moment_high + timedelta(days=60)):
        sent = client.post("/dashboard/province/35/meeting/send?month=2023-01")
    assert sent.status_code == 302
    mails = [m for m in db.session.scalars(select(OutboxMessage)) if "meeting" in m.subject]
    assert {m.to_address for m in mails} == {world.province.email, other.email}
    assert all("meeting?month=2023-01" in m.body_text for m in mails)
    assert db.session.scalar(select(db.func.count()).select_from(TicketEvent)) == events_before
    # Out of scope (another province, a district officer): 404, as the province dashboard.
    client.post("/logout")
    login(client, world.province_c)
    assert client.get("/dashboard/province/35/meeting").status_code == 404
    client.post("/logout")
    login(client, world.officer_a)
    assert client.post("/dashboard/province/35/meeting/send").status_code == 404


def test_every_dashboard_shows_figures_as_of_a_day(world: World, client: Any) -> None:
    from ticketing.models import Province

    with frozen_at(asof.moment_of(date(2023, 1, 10), WIB)):
        world.raise_ticket()
    db.session.get(Province, "35").public_dashboard = True
    db.session.commit()
    pages = {
        world.national: "/dashboard/national?asof=2023-01-16",
        world.province: "/dashboard/province/35?asof=2023-01-16",
        world.officer_a: "/dashboard/district/35.01?asof=2023-01-16",
    }
    for user, path in pages.items():
        login(client, user)
        page = client.get(path)
        assert page.status_code == 200, path
        assert "16 January 2023" in page.get_data(as_text=True)
        assert 'data-open-total="1"' in page.get_data(as_text=True)
        client.post("/logout")
    public = client.get("/public/35?asof=2023-01-16").get_data(as_text=True)
    assert "16 January 2023" in public and "&lt;5" in public  # one ticket: hidden
    before = client.get("/public/35?asof=2023-01-05").get_data(as_text=True)
    assert 'data-open-total="0"' in before
