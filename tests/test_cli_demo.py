"""CLI commands and the demo data: regions idempotent, demo histories replay to their state."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.test_properties import replay
from ticketing.extensions import db
from ticketing.models import District, Province, School, Ticket, TicketEvent, User


def test_regions_load_is_idempotent(app):
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["regions", "load"])
        assert result.exit_code == 0, result.output
        assert "38 provinces, 514 districts" in result.output
    assert db.session.scalar(select(func.count()).select_from(Province)) == 38
    assert db.session.scalar(select(func.count()).select_from(District)) == 514
    east_java = db.session.get(Province, "35")
    assert east_java is not None and east_java.zone_abbreviation == "WIB"
    assert len(east_java.districts) == 38
    assert db.session.get(Province, "94").zone_abbreviation == "WIT"  # Papua


def test_users_create(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["users", "create", "--email", "Budi@Dinas.id", "--name", "Budi",
                                 "--role", "district_pmo", "--region", "35.78",
                                 "--password", "Surabaya-Hebat-77"])  # fmt: skip
    assert result.exit_code == 0, result.output
    user = db.session.scalars(select(User).where(User.email == "budi@dinas.id")).one()
    assert (user.role, user.district_code, user.province_code) == ("district_pmo", "35.78", "35")
    refused = runner.invoke(args=["users", "create", "--email", "x@y.id", "--name", "X",
                                  "--role", "district_pmo", "--region", "35",
                                  "--password", "Surabaya-Hebat-77"])  # fmt: skip
    assert refused.exit_code != 0 and "district code" in refused.output
    weak = runner.invoke(args=["users", "create", "--email", "w@y.id", "--name", "W",
                               "--role", "province_pmo", "--region", "35",
                               "--password", "password1"])  # fmt: skip
    assert weak.exit_code != 0 and "common" in weak.output


def test_demo_seed_histories_replay_to_their_state(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "seed", "--tickets", "150"])
    assert result.exit_code == 0, result.output
    assert "Penggerak-Demo-2026" in result.output and "admin@demo.psp.id" in result.output
    again = runner.invoke(args=["demo", "seed", "--if-empty"])
    assert again.exit_code == 0 and "already present" in again.output

    tickets = db.session.scalars(select(Ticket)).all()
    assert len(tickets) == 150
    assert {t.state for t in tickets} == {
        "raised",
        "assigned",
        "escalated",
        "resolved",
        "verified",
        "withdrawn",
    }
    assert {t.district_code[:2] for t in tickets} == {"35"}
    rows = db.session.scalars(select(TicketEvent).order_by(TicketEvent.ticket_id, TicketEvent.id))
    trails: dict[int, list[TicketEvent]] = {}
    for row in rows:
        trails.setdefault(row.ticket_id, []).append(row)
    for ticket in tickets:
        assert replay(trails[ticket.id]) == ticket.state, ticket.number
        assert ticket.reopen_count == sum(1 for r in trails[ticket.id] if r.event == "reopen")
    districts = db.session.scalar(select(func.count(func.distinct(School.district_code))))
    assert districts == 38
