"""The as-of figures' fast paths (issue 15) against a replay of every candidate's audit rows.

asof.open_counts, oldest_open and reopened_most read the tickets that have not changed state
since the moment from their own rows and replay only the others; the meeting report's events
are read for the tickets changed since the month began. Here each is compared with the
direct computation (every candidate's state from its audit rows, every event of the month)
at many moments: local midnights, the moments of audit rows themselves and half a second
after them (inside the second of margin of asof._settled_before).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from sqlalchemy import distinct, func, select

from tests.factories import World
from tests.test_history_figures import WIB, build_history
from ticketing import asof, meeting, sla
from ticketing.extensions import db
from ticketing.models import OPEN_STATES, Ticket, TicketEvent
from ticketing.permissions import visible_tickets

GROUPS = (Ticket.district_code, Ticket.category_id)


def _replayed(scope: Any, moment: datetime) -> asof.OpenCounts:
    """Open and overdue per (district, category): every candidate's audit rows replayed."""
    at = asof.states_at(asof.candidates(scope, moment), moment)
    query = (
        select(
            *GROUPS,
            at.c.state,
            at.c.entered_at,
            Ticket.province_code,
            Ticket.category_id,
            asof.stored_due(moment),
        )
        .select_from(at)
        .join(Ticket, Ticket.id == at.c.ticket_id)
        .where(at.c.state.in_(OPEN_STATES))
    )
    by_state: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(OPEN_STATES, 0))
    overdue: dict[Any, int] = defaultdict(int)
    deadlines = asof.Deadlines()
    for district, category, state, entered, province, category_id, stored in db.session.execute(
        query
    ):
        key = (str(district), str(category))
        by_state[key][state] += 1
        if state in sla.SLA_STATES:
            due = deadlines.of(province, category_id, state, entered, stored)
            if due < moment:
                overdue[key] += 1
    return asof.OpenCounts(dict(by_state), dict(overdue))


def _oldest_replayed(scope: Any, moment: datetime, limit: int) -> list[int]:
    at = asof.states_at(asof.candidates(scope, moment), moment)
    query = (
        select(Ticket.id)
        .join(at, at.c.ticket_id == Ticket.id)
        .where(at.c.state.in_(OPEN_STATES))
        .order_by(Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _reopened_replayed(scope: Any, moment: datetime, limit: int) -> list[tuple[int, int]]:
    ids = scope.with_only_columns(Ticket.id).select_from(Ticket).scalar_subquery()
    counts = (
        select(TicketEvent.ticket_id, func.count().label("n"))
        .where(
            TicketEvent.event == "reopen",
            TicketEvent.created_at < moment,
            TicketEvent.ticket_id.in_(ids),
        )
        .group_by(TicketEvent.ticket_id)
        .subquery("reopens")
    )
    query = (
        select(Ticket.id, counts.c.n)
        .join(counts, counts.c.ticket_id == Ticket.id)
        .order_by(counts.c.n.desc(), Ticket.created_at, Ticket.id)
        .limit(limit)
    )
    return [(i, int(n)) for i, n in db.session.execute(query)]


def _events_replayed(scope: Any, low: datetime, high: datetime) -> set[tuple[Any, ...]]:
    ids = scope.with_only_columns(Ticket.id).select_from(Ticket).scalar_subquery()
    query = (
        select(
            Ticket.district_code,
            Ticket.category_id,
            TicketEvent.event,
            func.count(distinct(TicketEvent.ticket_id)),
        )
        .select_from(TicketEvent)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(
            TicketEvent.created_at >= low,
            TicketEvent.created_at < high,
            TicketEvent.event.in_(list(meeting._EVENTS)),
            TicketEvent.ticket_id.in_(ids),
        )
        .group_by(Ticket.district_code, Ticket.category_id, TicketEvent.event)
    )
    return {(d, c, meeting._EVENTS[e], int(n)) for d, c, e, n in db.session.execute(query)}


def _moments() -> list[datetime]:
    days = [asof.moment_of(datetime(2023, 1, 1).date() + timedelta(days=d), WIB)
            for d in range(0, 50, 4)]  # fmt: skip
    rows = db.session.scalars(select(TicketEvent.created_at).order_by(TicketEvent.id)).all()
    at_rows = rows[:: max(1, len(rows) // 12)]
    return [*days, *at_rows, *(r + timedelta(milliseconds=500) for r in at_rows)]


def test_fast_paths_equal_the_replay_of_the_audit_rows(world: World) -> None:
    build_history(world, seed=5)
    scopes = {
        "national": visible_tickets(world.national),
        "province": visible_tickets(world.province),
        "district": visible_tickets(world.officer_a),
        "category": visible_tickets(world.national).where(Ticket.category_id == 1),
    }
    moments = _moments()
    assert db.session.scalar(select(func.count()).where(TicketEvent.event == "reopen"))
    for name, scope in scopes.items():
        got = asof.open_counts(scope, moments, GROUPS)
        for moment, counts in zip(moments, got, strict=True):
            want = _replayed(scope, moment)
            assert counts.by_state == want.by_state, (name, moment)
            assert counts.overdue == want.overdue, (name, moment)
            oldest = [t.id for t in asof.oldest_open(scope, moment, limit=3)]
            assert oldest == _oldest_replayed(scope, moment, 3), (name, moment)
            want_reopened = _reopened_replayed(scope, moment, 2)
            reopened = [(t.id, n) for t, n in asof.reopened_most(scope, moment, limit=2)]
            assert reopened == want_reopened, (name, moment)
            # An early moment's way: from the reopens before it.
            early = [(t.id, n) for t, n in asof._reopened_before(scope, moment, limit=2)]
            assert early == want_reopened, (name, moment)
        assert any(c.by_state for c in got), name
        for low, high in pairwise(moments):
            if low < high:
                events = {e for e in meeting._events(scope, low, high) if e[2] != "came_back"}
                assert events == _events_replayed(scope, low, high), (name, low, high)
    assert any(c.overdue for c in asof.open_counts(scopes["national"], moments, GROUPS))


def test_deadline_days_for_many_keys_follow_the_rule_of_deadline_days(world: World) -> None:
    """sla.DeadlineDays (two queries per report) answers as sla.deadline_days (per key)."""
    from ticketing.models import Category, Province
    from ticketing.services import sla_settings

    parent = world.category
    child = Category(code="test-child", kind=parent.kind, name_id="Anak", name_en="Child",
                     parent_id=parent.id)  # fmt: skip
    db.session.add(child)
    db.session.flush()
    assert child.parent_id is not None
    sla_settings.set_policy(world.admin, "35", "assigned", 7)
    sla_settings.set_policy(world.admin, "35", "assigned", 9, category_id=child.parent_id)
    sla_settings.set_policy(world.admin, "35", "escalated", 4, category_id=child.id)
    sla_settings.set_policy(world.admin, "35", "raised", 2, category_id=child.parent_id)
    db.session.commit()
    book = sla.DeadlineDays()
    categories = [None, *db.session.scalars(select(Category.id))]
    for province in db.session.scalars(select(Province.code)):
        for category in categories:
            for state in sla.SLA_STATES:
                want = sla.deadline_days(province, category, state)
                assert book(province, category, state) == want, (province, category, state)
    assert book("35", child.id, "assigned") == 9 and book("35", child.id, "escalated") == 4
