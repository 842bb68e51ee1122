"""The ticket list honours every parameter the dashboard links with (docs/dashboard.md)."""

from __future__ import annotations

from datetime import datetime

from tests.factories import assign, login
from ticketing.clock import frozen_at
from ticketing.extensions import db
from ticketing.services import tickets as svc
from ticketing.ticket_query import TicketQuery


def test_dashboard_parameters_narrow_the_list(client, world):
    assign(world.facilitator_a, world.school_a2)  # an SMP of cohort 2, in district 35.01
    with frozen_at(datetime(2026, 1, 10, 3)):
        early = world.raise_ticket(title="Isu Januari")
    with frozen_at(datetime(2026, 3, 10, 3)):
        smp = world.raise_ticket(school=world.school_a2, title="Isu SMP")
        escalated = world.raise_ticket(title="Isu eskalasi")
        svc.fire(escalated, "escalate", actor=world.officer_a, note="Perlu provinsi")
        reopened = world.raise_ticket(title="Isu dibuka kembali")
        svc.fire(reopened, "assign", actor=world.officer_a, assignee=world.officer_a)
        svc.fire(reopened, "resolve", actor=world.officer_a, note="Sudah")
        svc.fire(reopened, "reopen", actor=world.facilitator_a, note="Belum")
        verified = world.raise_ticket(title="Isu selesai")
        svc.fire(verified, "assign", actor=world.officer_a, assignee=world.officer_a)
        svc.fire(verified, "resolve", actor=world.officer_a, note="Sudah")
        svc.fire(verified, "verify", actor=world.facilitator_a)
    db.session.commit()
    login(client, world.officer_a)

    def listed(query: str) -> set[str]:
        html = client.get(f"/?{query}").get_data(as_text=True)
        every = {early, smp, escalated, reopened, verified}
        return {t.number for t in every if t.number in html}

    every = {t.number for t in (early, smp, escalated, reopened, verified)}
    assert listed("tab=all") == every
    # The officer's home is their work: open tickets at the district tier.
    assert listed("") == {early.number, smp.number, reopened.number}
    assert listed("level=SMP") == {smp.number}
    assert listed("cohort=2") == {smp.number}
    assert listed("escalated=1") == {escalated.number}
    assert listed("reopened=1") == {reopened.number}
    assert listed("state=open") == every - {verified.number}
    assert listed("resolved_by=district") == {verified.number}
    assert listed("created_from=2026-03-01&created_to=2026-03-31") == every - {early.number}
    assert listed("created_to=2026-01-31") == {early.number}
    # The parameters survive paging: the links to older pages keep them.
    filters = TicketQuery.from_args({"level": "SMP", "escalated": "1"}, world.officer_a)
    assert filters.as_args(before=7) == {
        "tab": "all",
        "level": "SMP",
        "escalated": "1",
        "before": "7",
    }
