"""Migrations: empty -> head -> empty on both databases, and the models match head."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from tests.conftest import _require_pg, make_database
from ticketing import create_app
from ticketing.extensions import db


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    url, drop = make_database(_require_pg())
    try:
        yield url
    finally:
        drop()


def tables(url: str) -> set[str]:
    engine = sa.create_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_from_empty_and_downgrade_back(empty_url, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_url, UPLOAD_FOLDER=str(tmp_path))
    with app.app_context():
        upgrade()
        assert tables(empty_url) == set(db.metadata.tables)
        downgrade(revision="base")
        assert tables(empty_url) == set()
        upgrade()  # and up again: downgrade left nothing behind
        assert tables(empty_url) == set(db.metadata.tables)
        db.engine.dispose()


def test_models_match_the_migrations(empty_url, tmp_path):
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_url, UPLOAD_FOLDER=str(tmp_path))
    with app.app_context():
        upgrade()
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "render_as_batch": True}
            )
            diff = compare_metadata(context, db.metadata)
            # Alembic does not compare INCLUDE columns (PostgreSQL): compare them here.
            included = _included_columns(connection)
        db.engine.dispose()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
    if included is not None:
        wanted = {
            index.name: sorted(index.dialect_options["postgresql"]["include"] or [])
            for table in db.metadata.tables.values()
            for index in table.indexes
            if index.dialect_options["postgresql"]["include"]
        }
        assert "referral_count" in wanted["ix_tickets_dashboard"]
        assert {name: included.get(name) for name in wanted} == wanted


def _included_columns(connection: sa.Connection) -> dict[str, list[str]] | None:
    """Index name -> its INCLUDE columns, as the database has them (None: not PostgreSQL)."""
    if connection.dialect.name != "postgresql":
        return None
    inspector = sa.inspect(connection)
    return {
        index["name"]: sorted(index.get("dialect_options", {}).get("postgresql_include") or [])
        for table in inspector.get_table_names()
        for index in inspector.get_indexes(table)
        if index["name"]
    }


def test_recent_migrations_keep_a_database_with_tickets(empty_url, tmp_path):
    """Down to 16 and up again with tickets, events, comments and files in the database.

    SQLite rebuilds a table to alter it (batch mode); with foreign keys enforced, dropping the
    old tickets table under comments and events fails unless the migration run turns them off.
    An empty database never shows it: a `make run` user's instance/ database does.
    """
    from sqlalchemy import func, select

    from tests.conftest import migrate_and_load
    from tests.factories import build_world
    from ticketing.models import Comment, Ticket, TicketEvent
    from ticketing.services import tickets as ticket_service

    migrate_and_load(empty_url, tmp_path)
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=empty_url, UPLOAD_FOLDER=str(tmp_path))
    with app.app_context():
        world = build_world()
        for title in ("Atap bocor", "Listrik padam"):
            ticket = world.raise_ticket(title=title)
            ticket_service.fire(ticket, "assign", actor=world.officer_a, assignee=world.officer_a)
            ticket_service.add_comment(ticket, actor=world.officer_a, body="Sedang ditangani.")
        db.session.commit()
        counts = [db.session.scalar(select(func.count()).select_from(model))
                  for model in (Ticket, TicketEvent, Comment)]  # fmt: skip
        raiser = world.facilitator_a.id
        db.session.remove()
        downgrade(revision="16_rollup_referred")
        upgrade()
        assert [db.session.scalar(select(func.count()).select_from(model))
                for model in (Ticket, TicketEvent, Comment)] == counts  # fmt: skip
        raisers = db.session.scalars(select(Ticket.raised_by_id)).all()
        assert raisers == [raiser] * 2
        with db.engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        db.session.remove()
        db.engine.dispose()
