"""Dashboard rollups: kept with every change, equal to the tickets, checked by a command."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from tests.rollup_checks import assert_rollups_agree
from ticketing import reports, rollups
from ticketing.clock import frozen_at, utcnow
from ticketing.errors import ServiceError
from ticketing.extensions import db
from ticketing.models import ALL_TIME, School, Ticket, TicketRollup, User
from ticketing.services import tickets as svc


def _walk(world) -> list[Ticket]:
    """A few tickets through most of the workflow."""
    w = world
    raised = w.raise_ticket()
    assigned = w.raise_ticket()
    svc.fire(assigned, "assign", actor=w.officer_a, assignee=w.officer_a)
    escalated = w.raise_ticket(facilitator=w.facilitator_b, school=w.school_b)
    svc.fire(escalated, "escalate", actor=w.officer_b, note="berat")
    verified = w.raise_ticket()
    svc.fire(verified, "assign", actor=w.officer_a, assignee=w.officer_a)
    svc.fire(verified, "resolve", actor=w.officer_a, note="beres")
    svc.fire(verified, "reopen", actor=w.facilitator_a, note="belum")
    svc.fire(verified, "resolve", actor=w.officer_a, note="beres")
    svc.fire(verified, "verify", actor=w.facilitator_a)
    withdrawn = w.raise_ticket()
    svc.fire(withdrawn, "withdraw", actor=w.facilitator_a, note="salah")
    other = w.raise_ticket(facilitator=w.facilitator_c, school=w.school_c)
    db.session.commit()
    return [raised, assigned, escalated, verified, withdrawn, other]


def test_rollups_follow_every_change(app, world):
    tickets = _walk(world)
    assert_rollups_agree()
    stored = {
        (r.province_code, r.state): r.tickets
        for r in db.session.scalars(select(TicketRollup).where(TicketRollup.period == ALL_TIME))
        if r.tickets
    }
    assert stored == {
        ("35", "raised"): 1,
        ("35", "assigned"): 1,
        ("35", "escalated"): 1,
        ("35", "verified"): 1,
        ("35", "withdrawn"): 1,
        ("33", "raised"): 1,
    }
    table = reports.province(
        select(Ticket).where(Ticket.province_code == "35"),
        db.session.get(type(tickets[0].province), "35"),
        reports.Filters(),
    )
    assert table.total.total == 5 and table.total.reopens == 1 and table.total.verified == 1


def test_a_fix_that_came_back_moves_the_rollups(app, world):
    """Linking a recurrence to a verified ticket (and removing the link) moves the rollups."""
    from ticketing import recurrence
    from ticketing.services import links

    tickets = _walk(world)
    verified = tickets[3]
    again = world.raise_ticket()
    row = links.link(again, verified, kind="recurrence", actor=world.officer_a)
    db.session.commit()
    assert_rollups_agree()
    scope = select(Ticket).where(Ticket.province_code == "35")
    counts = recurrence.counts_by(scope, reports.Filters(), "Asia/Jakarta", Ticket.district_code)
    assert counts == {verified.district_code: (1, 1)}
    links.unlink(row, actor=world.officer_a)
    db.session.commit()
    assert_rollups_agree()
    counts = recurrence.counts_by(scope, reports.Filters(), "Asia/Jakarta", Ticket.district_code)
    assert counts == {verified.district_code: (1, 0)}


def test_a_refused_change_leaves_the_rollups_alone(app, world):
    ticket = world.raise_ticket()
    db.session.commit()
    with pytest.raises(ServiceError):
        svc.fire(ticket, "verify", actor=world.facilitator_a)
    db.session.rollback()
    assert_rollups_agree()


def test_rollups_serve_whole_months_and_refuse_partial_ones(app, world):
    _walk(world)
    now = datetime.now()
    scope = select(Ticket).where(Ticket.province_code == "35")
    groups = [Ticket.district_code, Ticket.category_id]
    month = date(now.year, now.month, 1)
    whole = reports.Filters(date_from=month, date_to=now.date() + timedelta(days=1))
    tables = reports._from_rollups(scope, whole, "Asia/Jakarta", groups, now)
    assert tables is not None and tables[0].total.total == 5
    partial = reports.Filters(date_from=month + timedelta(days=1))
    assert reports._from_rollups(scope, partial, "Asia/Jakarta", groups, now) is None
    # A district's scope reads the rollups at the grain of a school, for its schools' groups.
    narrow = scope.where(Ticket.district_code == world.school_a.district_code)
    assert reports._from_rollups(narrow, reports.Filters(), "Asia/Jakarta", groups, now) is None
    schools = [Ticket.school_id, Ticket.category_id]
    tables = reports._from_rollups(narrow, reports.Filters(), "Asia/Jakarta", schools, now)
    assert tables is not None and tables[0].total.total >= 1
    # A scope narrower still (a facilitator's) never reads them.
    own = narrow.where(Ticket.facilitator_id == world.facilitator_a.id)
    assert reports._from_rollups(own, reports.Filters(), "Asia/Jakarta", schools, now) is None
    # Nor a scope that joins another table (its rows could be narrower or repeated).
    joined = narrow.join(School, School.id == Ticket.school_id).where(School.level == "SD")
    assert reports._from_rollups(joined, reports.Filters(), "Asia/Jakarta", schools, now) is None
    chosen = select(Ticket).select_from(School).where(Ticket.province_code == "35")
    assert reports._from_rollups(chosen, reports.Filters(), "Asia/Jakarta", groups, now) is None


PLANTED = {
    "ticket_rollups": "UPDATE ticket_rollups SET reopens = reopens + 1 WHERE state = 'verified'",
    "school_rollups": "UPDATE school_rollups SET tickets = tickets + 1 WHERE state = 'raised'",
    "school_verify_rollups": "UPDATE school_verify_rollups SET came_back = came_back + 1",
    "verify_rollups": "UPDATE verify_rollups SET tickets = tickets + 2",
    "open_rollups": "UPDATE open_rollups SET tickets = tickets - 1 WHERE dim = 'school'",
}


@pytest.mark.parametrize("table", sorted(PLANTED))
def test_check_finds_a_difference_planted_by_raw_sql(app, world, table):
    _walk(world)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["rollups", "check"]).exit_code == 0
    db.session.execute(sa.text(PLANTED[table]))
    db.session.commit()
    result = runner.invoke(args=["rollups", "check"])
    assert result.exit_code == 1
    assert f"{table}: stored row not matched" in result.output
    rebuilt = runner.invoke(args=["rollups", "rebuild"])
    assert rebuilt.exit_code == 0, rebuilt.output
    db.session.expire_all()
    assert runner.invoke(args=["rollups", "check"]).exit_code == 0
    assert_rollups_agree()


def test_median_of_counts():
    assert reports._median_of_counts({}) is None
    assert reports._median_of_counts({3: 1}) == 3
    assert reports._median_of_counts({1: 1, 4: 1}) == 2.5
    assert reports._median_of_counts({1: 2, 9: 1}) == 1
    assert rollups.took_days(datetime(2026, 1, 1, 10), datetime(2026, 1, 3, 9, 59)) == 1


def test_days_to_verify_are_floored_alike_in_python_and_sql(app, world):
    """A verification 1.6 days after the raise counts 1 day in the rollups and in the check.

    PostgreSQL rounded the SQL's NUMERIC division when casting it to an integer (2 days),
    so `rollups check` reported the row that the service had written (1 day).
    """
    start = datetime(2026, 3, 2, 1, 0)
    with frozen_at(start):
        ticket = world.raise_ticket()
        svc.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
    with frozen_at(start + timedelta(days=1, hours=14)):
        svc.fire(ticket, "resolve", actor=world.officer_a, note="beres")
        svc.fire(ticket, "verify", actor=world.facilitator_a)
        db.session.commit()
        assert rollups.differences(db.session.connection()) == []
        assert_rollups_agree(start + timedelta(days=1, hours=14))


def test_median_age_counts_whole_days_from_the_local_day_of_raising(app, world):
    """Raised at 23:00 and 01:00 Jakarta time on two days, seen at 08:00 on the third."""
    with frozen_at(datetime(2026, 3, 1, 16, 0)):  # 23:00 WIB on 1 March
        world.raise_ticket()
    with frozen_at(datetime(2026, 3, 1, 18, 0)):  # 01:00 WIB on 2 March
        world.raise_ticket()
    db.session.commit()
    now = datetime(2026, 3, 3, 1, 0)  # 08:00 WIB on 3 March: ages 2 and 1 days
    scope = select(Ticket).where(Ticket.province_code == "35")
    groups = [Ticket.district_code, Ticket.category_id]
    tables = reports._from_rollups(scope, reports.Filters(), "Asia/Jakarta", groups, now)
    assert tables is not None and tables[0].total.median_age_days == 1.5
    assert_rollups_agree(now)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_concurrent_transitions_keep_the_rollups(app, world):
    """Eight sessions move eight tickets of one district at once: the counts stay exact.

    Half resolve, a quarter are verified too (leaving the open tickets' distribution, whose
    rows they all share).
    """
    tickets = [world.raise_ticket() for _ in range(8)]
    db.session.commit()
    ids = [t.id for t in tickets]
    officer = world.officer_a.id
    facilitator = world.facilitator_a.id
    barrier = threading.Barrier(len(ids))
    errors: list[BaseException] = []

    def move(ticket_id: int, index: int) -> None:
        with app.app_context():
            try:
                row = db.session.get(Ticket, ticket_id)
                actor = db.session.get(User, officer)
                assert row is not None and actor is not None
                barrier.wait(timeout=10)
                svc.fire(row, "assign", actor=actor, assignee=actor)
                if index % 2:
                    svc.fire(row, "resolve", actor=actor, note="beres")
                if index % 4 == 3:
                    verifier = db.session.get(User, facilitator)
                    svc.fire(row, "verify", actor=verifier)
                db.session.commit()
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=move, args=(t, i)) for i, t in enumerate(ids)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    db.session.expire_all()
    assert_rollups_agree()


@pytest.mark.parametrize("page", ["district", "province"])
def test_dashboard_pages_are_the_same_from_rollups_and_from_tickets(app, world, client, page):
    """Through the door: the whole page, figures and links, with the rollups on and off."""
    import re

    from tests.factories import login

    _walk(world)
    user = world.officer_a if page == "district" else world.province
    code = world.school_a.district_code if page == "district" else "35"
    login(client, user)

    def body() -> str:
        response = client.get(f"/dashboard/{page}/{code}")
        assert response.status_code == 200
        # Forms carry a fresh CSRF token per request.
        return re.sub(r'name="csrf_token"[^>]*', "", response.get_data(as_text=True))

    with frozen_at(utcnow() + timedelta(days=1)):
        from_rollups = body()
        app.config["DASHBOARD_ROLLUPS"] = False
        try:
            from_tickets = body()
        finally:
            app.config["DASHBOARD_ROLLUPS"] = True
    assert "<table" in from_rollups
    assert from_rollups == from_tickets
