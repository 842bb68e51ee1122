"""A pg_dump of the database, restored into a new one, replays every audit trail."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from tests.conftest import _require_pg, make_database
from ticketing import create_app
from ticketing.extensions import db
from ticketing.models import Ticket, TicketEvent


def _libpq(url: str) -> str:
    return (
        sa.engine.make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_restored_dump_replays_every_audit_trail(app, pg_database: str, tmp_path: Path):
    if not shutil.which("pg_dump") or not shutil.which("pg_restore"):
        pytest.fail("pg_dump and pg_restore are needed (Debian: postgresql-client)")
    runner = app.test_cli_runner()
    seeded = runner.invoke(args=["demo", "seed", "--tickets", "60"])
    assert seeded.exit_code == 0, seeded.output
    before = (
        db.session.scalar(select(func.count(Ticket.id))),
        db.session.scalar(select(func.count(TicketEvent.id))),
    )
    db.session.commit()
    dump = tmp_path / "eskalasi.dump"
    # As docs/operations.md says: custom format, by the owner.
    subprocess.run(
        ["pg_dump", "--format=custom", "--file", str(dump), _libpq(pg_database)], check=True
    )
    restored_url, drop = make_database(_require_pg())
    try:
        subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-owner", "-d", _libpq(restored_url), str(dump)],
            check=True,
        )
        restored = create_app(
            "testing", instance_path=str(tmp_path / "r"), SQLALCHEMY_DATABASE_URI=restored_url
        )
        with restored.app_context():
            after = (
                db.session.scalar(select(func.count(Ticket.id))),
                db.session.scalar(select(func.count(TicketEvent.id))),
            )
            result = restored.test_cli_runner().invoke(args=["audit", "verify"])
            db.session.remove()
            db.engine.dispose()
    finally:
        drop()
    assert after == before and before[0] == 60
    assert result.exit_code == 0, result.output
    assert "Every audit trail replays" in result.output


def test_audit_verify_finds_a_broken_trail(app: Any, world: Any) -> None:
    from ticketing.audit_check import verify_trails

    ticket = world.raise_ticket()
    db.session.commit()
    assert verify_trails(db.session).problems == []
    # A state changed behind the trail's back (the ticket row is not append-only).
    db.session.execute(
        sa.text("UPDATE tickets SET state = 'assigned' WHERE id = :i"), {"i": ticket.id}
    )
    db.session.commit()
    problems = verify_trails(db.session).problems
    assert len(problems) == 1 and "ends at raised" in problems[0]
