"""Recurrence rate and as-of figures against counts kept by the test itself.

A history is built through the services with the clock moved day by day (tickets raised,
moved through the workflow, some raised again as a recurrence of a verified one); the test
records every state it caused, and recomputes the figures from that record alone.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from tests.factories import World, login
from ticketing import asof, recurrence, reports
from ticketing.clock import frozen_at
from ticketing.extensions import db
from ticketing.models import OPEN_STATES, Ticket
from ticketing.permissions import visible_tickets
from ticketing.services import links
from ticketing.services import tickets as ticket_service

START = datetime(2023, 1, 2, 1, 0)  # Monday 08.00 WIB
DAYS = 45
WIB = "Asia/Jakarta"


@dataclass
class History:
    """What the test did: each ticket's states over time, districts, recurrence links."""

    states: dict[int, list[tuple[datetime, str]]] = field(default_factory=lambda: defaultdict(list))
    district: dict[int, str] = field(default_factory=dict)
    came_back: set[int] = field(default_factory=set)  # verified tickets linked as recurrence

    def state_at(self, ticket_id: int, moment: datetime) -> str | None:
        before = [s for when, s in self.states[ticket_id] if when < moment]
        return before[-1] if before else None


def _moves(world: World, ticket: Ticket, fac: Any, officer: Any) -> list[tuple[str, Any, dict]]:
    note = {"note": "catatan"}
    return {
        "raised": [("assign", officer, {"assignee": officer}), ("escalate", officer, note),
                   ("withdraw", fac, note)],
        "assigned": [("resolve", officer, note), ("resolve", officer, note),
                     ("escalate", officer, note), ("withdraw", fac, note)],
        "escalated": [("resolve", world.province, note),
                      ("return_to_district", world.province, note)],
        "resolved": [("verify", fac, {}), ("verify", fac, {}), ("reopen", fac, note)],
    }.get(ticket.state, [])  # fmt: skip


def build_history(world: World, seed: int = 12) -> History:
    rng = random.Random(seed)
    history = History()
    people = [
        (world.school_a, world.facilitator_a, world.officer_a),
        (world.school_a2, world.facilitator_a2, world.officer_a),
        (world.school_b, world.facilitator_b, world.officer_b),
    ]
    tickets: list[tuple[Ticket, Any, Any]] = []
    for day in range(DAYS):
        moment = START + timedelta(days=day)
        for school, fac, officer in people:
            if rng.random() < 0.5:
                moment += timedelta(minutes=7)
                with frozen_at(moment):
                    ticket = world.raise_ticket(fac, school, title=f"Masalah {day}")
                    history.states[ticket.id].append((moment, "raised"))
                    history.district[ticket.id] = school.district_code
                    earlier = [t for t, _f, _o in tickets
                               if t.school_id == school.id and t.state == "verified"]  # fmt: skip
                    if earlier and rng.random() < 0.4:
                        old = rng.choice(earlier)
                        links.link(ticket, old, kind="recurrence", actor=fac)
                        history.came_back.add(old.id)
                tickets.append((ticket, fac, officer))
        for ticket, fac, officer in tickets:
            options = _moves(world, ticket, fac, officer)
            if options and rng.random() < 0.45:
                event, actor, kwargs = rng.choice(options)
                moment += timedelta(minutes=7)
                with frozen_at(moment):
                    ticket_service.fire(ticket, event, actor=actor, **kwargs)
                history.states[ticket.id].append((moment, ticket.state))
        db.session.commit()
    return history


def test_as_of_figures_match_the_recorded_history(world: World, client: Any) -> None:
    history = build_history(world)
    scope = visible_tickets(world.national)
    days = [date(2023, 1, 2), date(2023, 1, 16), date(2023, 1, 31), date(2023, 2, 10)]
    for day in days:
        moment = asof.moment_of(day, WIB)
        expected: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OPEN_STATES, 0))
        for ticket_id, district in history.district.items():
            state = history.state_at(ticket_id, moment)
            if state in OPEN_STATES:
                expected[district][state] += 1
        got = asof.open_by(scope, moment, Ticket.district_code)
        assert got == dict(expected), day
        assert sum(sum(v.values()) for v in got.values()) > 0
    # And on the page, as the province officer sees it.
    login(client, world.province)
    day = date(2023, 1, 16)
    moment = asof.moment_of(day, WIB)
    open_then = sum(1 for t in history.district if history.state_at(t, moment) in OPEN_STATES)
    page = client.get("/dashboard/province/35?asof=2023-01-16").get_data(as_text=True)
    assert "16 January 2023" in page
    assert f'data-open-total="{open_then}"' in page


def test_recurrence_rate_matches_the_recorded_history(world: World, client: Any) -> None:
    history = build_history(world, seed=7)
    scope = visible_tickets(world.national)
    verified = {t for t, states in history.states.items() if states[-1][1] == "verified"}
    expected: dict[str, tuple[int, int]] = {}
    for district in sorted(set(history.district.values())):
        fixes = {t for t in verified if history.district[t] == district}
        expected[district] = (len(fixes), len(fixes & history.came_back))
    assert any(c for _f, c in expected.values()), "the history should have recurrences"
    got = recurrence.counts_by(scope, reports.Filters(), WIB, Ticket.district_code)
    assert got == {k: v for k, v in expected.items() if v[0]}
    # The province dashboard shows the rate beside the reopen rate, linked to the list.
    login(client, world.province)
    page = client.get("/dashboard/province/35").get_data(as_text=True)
    assert "recurrence rate" in page
    fixes, back = expected["35.01"]
    assert f"{round(back / fixes * 100)}%" in page
    listing = client.get("/dashboard/came-back?district=35.01").get_data(as_text=True)
    for ticket_id in history.came_back:
        if history.district[ticket_id] == "35.01":
            assert db.session.get(Ticket, ticket_id).number in listing


def test_as_of_means_the_district_raised_in_and_the_deadline_then(
    world: World, client: Any
) -> None:
    """docs/dashboard.md, "Figures as of a date": a ticket stays in the district it was raised
    in; overdue as of a day uses the deadline stored when the ticket entered its state if it
    has not moved since, else today's settings counted from its entry into that state."""
    from ticketing.services import schools as school_service
    from ticketing.services import sla_settings

    officer = world.officer_a
    with frozen_at(datetime(2026, 1, 5, 3)):  # Monday: assigned, 5 working days
        stays = world.raise_ticket(title="Tetap")
        moves_on = world.raise_ticket(title="Berpindah")
        for ticket in (stays, moves_on):
            ticket_service.fire(ticket, "assign", actor=officer, assignee=officer)
    first_due = stays.due_at
    with frozen_at(datetime(2026, 1, 6, 3)):  # later: 30 working days for new deadlines
        sla_settings.set_policy(world.admin, "35", "assigned", 30)
    with frozen_at(datetime(2026, 1, 7, 3)):  # the school moves to another district
        school = world.school_a
        school_service.update_school(
            world.admin, school, name=school.name, level=school.level, status=school.status,
            cohort=school.cohort, district_code="35.02",
        )  # fmt: skip
    with frozen_at(datetime(2026, 1, 26, 3)):
        ticket_service.fire(moves_on, "escalate", actor=officer, note="Berat")
    db.session.commit()
    assert first_due is not None and first_due < asof.moment_of(date(2026, 1, 20), WIB)
    scope = visible_tickets(world.province)
    moment = asof.moment_of(date(2026, 1, 20), WIB)
    with frozen_at(datetime(2026, 2, 2, 3)):
        # Both open on 20 January in 35.01, where they were raised, though the school moved.
        assert asof.open_by(scope, moment, Ticket.district_code) == {
            "35.01": {**dict.fromkeys(OPEN_STATES, 0), "assigned": 2}
        }
        # The one still assigned: its stored deadline (5 days, the setting then) had passed.
        # The one escalated since: its assigned deadline counted again with today's 30 days.
        assert asof.overdue_by(scope, moment, Ticket.district_code) == {"35.01": 1}
        # The meeting report's "overdue at the end of January" and the live dashboard agree.
        login(client, world.province)
        page = client.get("/dashboard/province/35/meeting?month=2026-01").get_data(as_text=True)
        assert 'data-figure="overdue">1<' in page
        live = client.get("/dashboard/province/35").get_data(as_text=True)
        assert 'data-figure="overdue">1<' in live
