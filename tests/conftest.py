"""Test fixtures: an app on SQLite (always) and on PostgreSQL (when TEST_DATABASE_URL is set).

Schemas are made by the Alembic migrations, as in production. SQLite: one migrated template
file per run, copied for each test. PostgreSQL: one throwaway database per run, emptied
between tests (TRUNCATE does not fire the audit trail's append-only triggers).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, g, request_started
from flask.testing import FlaskClient

from ticketing import create_app, sla
from ticketing.extensions import db
from ticketing.tickets.queries import forget_choices

REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
PG_ADMIN_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite", "postgresql"]
# Tables kept between tests: the regions never change in tests.
KEEP = {"provinces", "districts", "alembic_version"}


def _require_pg() -> str:
    if not PG_ADMIN_URL:
        if REQUIRE_POSTGRES:
            pytest.fail("REQUIRE_POSTGRES=1 but TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL not configured (set TEST_DATABASE_URL)")
    return PG_ADMIN_URL


def make_database(admin_url: str) -> tuple[str, Any]:
    """Create a throwaway PostgreSQL database; returns its URL and a function that drops it."""
    name = f"ticketing_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(admin_url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return url, drop


def migrate_and_load(url: str, tmp: Path) -> None:
    """Run the migrations to head and load the regions and categories."""
    from flask_migrate import upgrade

    from ticketing.services.regions import ensure_default_categories, load_regions

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, UPLOAD_FOLDER=str(tmp / "up"))
    with app.app_context():
        upgrade()
        load_regions()
        ensure_default_categories()
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with regions, copied for every test."""
    tmp = tmp_path_factory.mktemp("sqlite")
    path = tmp / "template.sqlite"
    migrate_and_load(f"sqlite:///{path}", tmp)
    return path


@pytest.fixture(scope="session")
def pg_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated PostgreSQL database for this test run."""
    admin_url = _require_pg()
    url, drop = make_database(admin_url)
    try:
        migrate_and_load(url, tmp_path_factory.mktemp("pg"))
        yield url
    finally:
        drop()


def _empty_pg(url: str) -> None:
    from ticketing.services.regions import ensure_default_categories

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        tables = [t.name for t in db.metadata.sorted_tables if t.name not in KEEP]
        conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(sa.text("UPDATE provinces SET public_dashboard = false"))
    engine.dispose()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        ensure_default_categories()
        db.session.commit()
        db.engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh database with regions and categories, on each backend."""
    if request.param == "sqlite":
        target = tmp_path / "test.sqlite"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    url: str = request.getfixturevalue("pg_database")
    _empty_pg(url)
    return url


@pytest.fixture
def app(request: pytest.FixtureRequest, database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The application bound to the test database, inside an app context.

    Tests read the English source strings; tests marked ``indonesian`` see the interface as
    users do by default (test_translations.py checks that every string is translated).
    """
    locale = "id" if request.node.get_closest_marker("indonesian") else "en"
    application = create_app(
        "testing",
        instance_path=str(tmp_path / "instance"),
        SQLALCHEMY_DATABASE_URI=database_url,
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
        BABEL_DEFAULT_LOCALE=locale,
    )
    # The fixture's app context spans every request of the test, so requests share ``g``;
    # without this, Flask-Login's user and Flask-Babel's language would leak between requests.
    request_started.connect(_forget_request_state, application)
    # Calendars are cached per database URL; PostgreSQL tests share one URL.
    sla.forget_calendars()
    forget_choices()
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def _forget_request_state(_sender: Flask, **_extra: Any) -> None:
    # Flask-Login's user and Flask-Babel 4's locale, zone and translations (g._flask_babel).
    for name in ("_login_user", "_flask_babel", "unread_notifications"):
        g.pop(name, None)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client (CSRF off; see test_csrf.py for the tests with it on)."""
    return app.test_client()


@pytest.fixture
def world(app: Flask) -> Any:
    """A small programme: two provinces, three districts, people in every role, schools."""
    from tests.factories import build_world

    return build_world()
