"""The public view: works signed out (styles included), fits 360 px, draws its charts, and
shows no figure of fewer than 5 tickets, in the page and in its exports."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.factories import World
from tests.test_browser import browser, screenshots_on_failure, served  # noqa: F401  (fixtures)
from ticketing.clock import frozen_at
from ticketing.dashboard import present
from ticketing.extensions import db
from ticketing.models import Province
from ticketing.reports import Row, Table
from ticketing.services import tickets as ticket_service


def _fill(world: World) -> None:
    """District 35.01: 7 tickets (2 assigned); 35.02: 2 tickets. The public view on."""
    for i in range(7):
        ticket = world.raise_ticket(title=f"Masalah {i}")
        if i < 2:
            ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    for i in range(2):
        world.raise_ticket(world.facilitator_b, world.school_b, title=f"Lain {i}")
    db.session.get(Province, "35").public_dashboard = True
    db.session.commit()


def test_hidden_cells_rule() -> None:
    a, b, c = Row("a", total=7), Row("b", total=2), Row("c", total=9)
    a.by_state.update(raised=5, assigned=2)
    b.by_state.update(raised=2)
    c.by_state.update(raised=9)
    total = Row("", total=18)
    total.by_state.update(raised=16, assigned=2)
    hidden = present.hidden_cells(Table([a, b, c], total))
    assert ("a", "assigned") in hidden and ("b", "raised") in hidden and ("b", "total") in hidden
    # a's assigned hidden alone in its row would show through open_total - raised: raised too.
    assert ("a", "raised") in hidden
    # The column "total" has one primary hidden cell (b): the next smallest is hidden too.
    assert ("a", "total") in hidden and ("c", "total") not in hidden


def test_small_cells_hidden_in_page_and_exports(app: Any, client: Any, world: World) -> None:
    _fill(world)
    page = client.get("/public/35").get_data(as_text=True)
    assert "&lt;5" in page and 'id="small-cells"' in page
    narrowed = client.get(f"/public/35?category={world.category.id}").get_data(as_text=True)
    assert "This filter narrows some figures" in narrowed
    rows = list(
        csv.reader(io.StringIO(client.get("/public/35/export.csv").data.decode("utf-8-sig")))
    )
    line = next(r for r in rows if r[0] == "35.02")
    assert line[2] == "<5"  # total of 2 tickets
    assert all(not (c.isdigit() and 0 < int(c) < 5) for r in rows[1:] for c in r[2:9])
    book = load_workbook(io.BytesIO(client.get("/public/35/export.xlsx").data))
    values = [list(r) for r in book.active.iter_rows(values_only=True)]
    assert next(r for r in values if r[0] == "35.02")[2] == "<5"
    assert client.get("/static/css/dashboard.css").status_code == 200  # signed out
    asof_page = client.get("/public/35?asof=2099-01-01").get_data(as_text=True)
    assert "&lt;5" in asof_page


@pytest.mark.browser
def test_public_view_signed_out_at_360px(served: Any, browser: Any) -> None:  # noqa: F811
    base, world, _app = served
    _fill(world)
    context = browser.new_context(viewport={"width": 360, "height": 640},
                                  device_scale_factor=2, is_mobile=True,
                                  has_touch=True)  # fmt: skip
    page = context.new_page()
    with screenshots_on_failure("public-360", [page]):
        statuses: dict[str, int] = {}
        page.on("response", lambda r: statuses.__setitem__(r.url, r.status))
        errors: list[str] = []  # e.g. a Content-Security-Policy refusal
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{base}/public/35")
        assert page.url.endswith("/public/35")  # not sent to the login page
        assert all(code == 200 for code in statuses.values()), statuses
        assert any(url.endswith("dashboard.css") for url in statuses)
        # Styles applied: the headline figures are a grid.
        display = page.eval_on_selector(".headline", "e => getComputedStyle(e).display")
        assert display == "grid"
        # Charts drawn: inline SVG with bars.
        assert page.locator("svg.chart-svg").count() >= 3
        assert page.locator("#chart-states svg rect").count() >= 1
        box = page.eval_on_selector("#chart-states svg", "e => e.getBoundingClientRect().width")
        assert 200 < box <= 360
        # No horizontal scroll at 360 px.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, width
        # The compact table shows; the full one is one tap away.
        assert page.locator("#full-districts").is_hidden()
        page.locator("a[href='#full-districts']").first.click()
        assert page.locator("#full-districts").is_visible()
        assert errors == []
    context.close()


def _trend_history(world: World) -> None:
    """Raised per month in province 35: January 7, February 3 (a hidden cell), March 6;
    verified: two in March (hidden). The public view on."""
    for month, count in ((1, 7), (2, 3), (3, 6)):
        with frozen_at(datetime(2026, month, 10, 3)):
            for i in range(count):
                school = world.school_a if i % 2 else world.school_b
                facilitator = world.facilitator_a if i % 2 else world.facilitator_b
                ticket = world.raise_ticket(facilitator, school, title=f"Masalah {month}-{i}")
                if month == 3 and i < 2:
                    officer = world.officer_a if i % 2 else world.officer_b
                    ticket_service.fire(ticket, "assign", actor=officer, assignee=officer)
                    ticket_service.fire(ticket, "resolve", actor=officer, note="Sudah")
                    ticket_service.fire(ticket, "verify", actor=facilitator)
    db.session.get(Province, "35").public_dashboard = True
    db.session.commit()


def _recovered(series: list[int | None], total: int | None) -> dict[int, int]:
    """What subtraction gives: where exactly one month is hidden and the sum is known."""
    hidden = [i for i, value in enumerate(series) if value is None]
    if total is None or len(hidden) != 1:
        return {}
    return {hidden[0]: total - sum(v for v in series if v is not None)}


TREND_ROW = re.compile(
    r'<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td><td class="num">([^<]+)</td></tr>'
)


def test_trend_cannot_be_worked_out_by_subtraction(client: Any, world: World) -> None:
    _trend_history(world)
    period = "from=2026-01-01&to=2026-03-31"  # the table's total is then the series' sum
    with frozen_at(datetime(2026, 4, 2, 3)):
        api = client.get(f"/api/v1/public/provinces/35?{period}").get_json()
        page = client.get(f"/public/35?{period}").get_data(as_text=True)
        export = client.get(f"/public/35/export.csv?{period}").data.decode("utf-8-sig")
    trend = api["trend"]
    assert [p["month"] for p in trend] == ["2026-01", "2026-02", "2026-03"]
    # The true counts are 7, 3, 6 and 0, 0, 2: the 3 and the 2 are hidden ...
    assert trend[1]["raised"] is None and trend[2]["verified"] is None
    # ... and the totals a visitor sees are the series' sums.
    assert api["total"]["total"] == 16
    rows = list(csv.reader(io.StringIO(export)))
    assert rows[-1][2] == "16"
    # The subtraction recovers no hidden month, from the API ...
    for name, total in (("raised", api["total"]["total"]), ("verified", None)):
        assert _recovered([p[name] for p in trend], total) == {}, name
    assert trend[0]["raised"] == 7 and trend[2]["raised"] is None  # the complement hidden
    # ... nor from the page's table, whose cells show <5 in the same places ...
    shown = [(m, html.unescape(r), html.unescape(v)) for m, r, v in TREND_ROW.findall(page)]
    assert [(r, v) for _m, r, v in shown] == [("7", "0"), ("<5", "0"), ("<5", "<5")]
    as_numbers = [None if r == "<5" else int(r) for _m, r, _v in shown]
    assert _recovered(as_numbers, 16) == {}
    # ... nor from the chart, which draws the hidden months as nothing.
    chart = page[page.index('id="chart-trend"') :]
    chart = chart[: chart.index("</figure>")]
    drawn = re.findall(r"<title>([^<]*): Raised (\d+)</title>", chart)
    assert {int(n) for _label, n in drawn} <= {0, 7}


def test_hidden_trend_rule() -> None:
    trend = [
        {"month": "2026-01", "raised": 9, "verified": 0},
        {"month": "2026-02", "raised": 2, "verified": 0},
        {"month": "2026-03", "raised": 6, "verified": 3},
        {"month": "2026-04", "raised": 1, "verified": 0},
    ]
    hidden = present.hidden_trend(trend)
    # Two primary cells in "raised": nothing more to hide there. One in "verified", and no
    # other count to hide with it: its sum (3) is then the only count, hidden as <5 alike.
    assert hidden == {("2026-02", "raised"), ("2026-04", "raised"), ("2026-03", "verified")}
    trend[3]["raised"] = 0
    assert ("2026-03", "raised") in present.hidden_trend(trend)  # the next smallest
