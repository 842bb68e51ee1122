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
