"""Least privilege in PostgreSQL: the app role may only SELECT and INSERT on ticket_events."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from tests.conftest import PG_APP_ROLE
from tests.factories import login
from ticketing import create_app
from ticketing.db_roles import grants
from ticketing.extensions import db
from ticketing.models import TicketEvent

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def test_the_app_connects_as_the_app_role(app: Any, world: Any) -> None:
    assert db.session.execute(sa.text("SELECT current_user")).scalar_one() == PG_APP_ROLE
    superuser = db.session.execute(
        sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar_one()
    assert superuser is False


def test_the_app_writes_the_audit_trail_but_cannot_rewrite_it(app: Any, world: Any) -> None:
    ticket = world.raise_ticket()  # INSERTs an audit row as the app role
    db.session.commit()
    assert db.session.query(TicketEvent).filter_by(ticket_id=ticket.id).count() == 1
    for statement in (
        "UPDATE ticket_events SET note = 'x'",
        "DELETE FROM ticket_events",
        "TRUNCATE ticket_events",
        "ALTER TABLE ticket_events DISABLE TRIGGER ALL",
        "DROP TRIGGER ticket_events_append_only ON ticket_events",
        "SET session_replication_role = replica",
        "CREATE TABLE sneaky (id int)",
    ):
        with pytest.raises(sa.exc.DatabaseError) as caught:
            db.session.execute(sa.text(statement))
        db.session.rollback()
        assert "permission denied" in str(caught.value) or "must be owner" in str(caught.value)
    assert db.session.query(TicketEvent).filter_by(ticket_id=ticket.id).count() == 1


def test_even_the_owner_cannot_truncate_the_audit_trail(pg_database: str, world: Any) -> None:
    engine = sa.create_engine(pg_database)
    try:
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text("TRUNCATE ticket_events CASCADE"))
    finally:
        engine.dispose()


def test_grants_of_the_app_role(pg_database: str, database_url: str) -> None:
    engine = sa.create_engine(pg_database)
    try:
        held = grants(engine, PG_APP_ROLE)
    finally:
        engine.dispose()
    assert held["ticket_events"] == ["INSERT", "SELECT"]
    assert held["alembic_version"] == ["SELECT"]
    assert held["tickets"] == ["DELETE", "INSERT", "SELECT", "UPDATE"]
    assert not any("TRUNCATE" in p or "TRIGGER" in p for p in held.values())


def test_flask_db_roles_command(pg_database: str, tmp_path: Any, database_url: str) -> None:
    owner_app = create_app(
        "testing", instance_path=str(tmp_path / "owner"), SQLALCHEMY_DATABASE_URI=pg_database
    )
    owner = sa.engine.make_url(pg_database).username
    runner = owner_app.test_cli_runner()
    result = runner.invoke(args=["db", "roles", "--owner", owner, "--app", PG_APP_ROLE])
    assert result.exit_code == 0, result.output
    assert "REVOKE UPDATE, DELETE ON ticket_events" in result.output
    assert f"{PG_APP_ROLE} on ticket_events: INSERT, SELECT" in result.output
    with owner_app.app_context():
        db.engine.dispose()


def test_the_app_works_as_the_app_role(app: Any, world: Any, client: Any) -> None:
    """Pages that write (raise, comment, move) succeed with the app role's grants."""
    login(client, world.officer_a)
    ticket = world.raise_ticket()
    db.session.commit()
    assert client.post(f"/tickets/{ticket.id}/comments", data={"body": "Cek"}).status_code == 302
    page = client.get(f"/tickets/{ticket.id}/assign")
    assert page.status_code == 200
