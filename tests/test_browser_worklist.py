"""Browser: a district officer clears tickets from the list on a 360 px phone, in Indonesian."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.test_browser import (  # noqa: F401  (fixtures)
    _person,
    browser,
    screenshots_on_failure,
    served,
)
from ticketing.extensions import db
from ticketing.models import Ticket, TicketEvent

pytestmark = pytest.mark.browser

TITLE = "Jadwal lokakarya bentrok dengan ujian"


def test_officer_takes_three_tickets_and_resolves_them_together(
    served: Any,  # noqa: F811
    browser: Any,  # noqa: F811
) -> None:
    base, world, _app = served
    tickets = [world.raise_ticket(title=f"{TITLE} {i}") for i in range(3)]
    other = world.raise_ticket(title="Internet sekolah mati")
    world.officer_a.locale = "id"
    db.session.commit()
    pages: list[Any] = []
    with screenshots_on_failure("worklist-phone", pages):
        phone = _person(
            browser,
            base,
            world.officer_a.email,
            pages,
            viewport={"width": 360, "height": 640},
            is_mobile=True,
            has_touch=True,
        )
        # Home: "Perlu ditangani" with its count, the filters folded on a phone.
        tabs = phone.locator("nav.tabs")
        assert "Perlu ditangani" in tabs.locator("[aria-current=page]").inner_text()
        assert "4" in tabs.locator("[aria-current=page]").inner_text()
        assert phone.locator("details.filters").get_attribute("open") is None
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360

        for ticket in tickets:
            card = phone.locator(".ticket-card", has_text=ticket.number)
            card.get_by_role("button", name="Ambil").click()
            phone.wait_for_load_state()
            assert "sekarang Anda tangani" in phone.locator(".flash").inner_text()
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360

        for ticket in tickets:
            phone.get_by_label(f"Pilih {ticket.number}").check()
        phone.get_by_label("Tindakan").select_option(label="Selesaikan")
        phone.get_by_label("Catatan", exact=True).fill("Jadwal lokakarya dipindah ke minggu depan")
        phone.get_by_role("button", name="Terapkan ke tiket yang dipilih").click()
        phone.wait_for_load_state()
        summary = phone.locator("#bulk-summary").inner_text()
        assert "3 tiket berhasil." in summary
        assert phone.locator("#bulk-result tr.result-done").count() == 3
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360

    db.session.expire_all()
    for ticket in tickets:
        row = db.session.get(Ticket, ticket.id)
        assert row is not None and row.state == "resolved"
        assert row.assignee_id == world.officer_a.id
        events = db.session.scalars(
            db.select(TicketEvent.event).where(TicketEvent.ticket_id == ticket.id)
        ).all()
        assert list(events) == ["raise", "assign", "resolve"]
    assert db.session.get(Ticket, other.id).state == "raised"  # type: ignore[union-attr]
    assert re.search(r"/\??", phone.url)
