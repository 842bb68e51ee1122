"""How long the monthly meeting report of East Java (province 35) takes to build.

Fills a database with bench/fill.py (N tickets over all 514 districts; East Java holds its
share), adds recurrence links (one verified ticket in ten is followed by a later ticket of
the same school linked to it), then times ``meeting.build`` for the last complete month
and the running month, and the XLSX file, each cold (first call) and warm (median).

    python bench/meeting.py --tickets 100000 [--postgres | --database-url URL] [--reuse]
    python bench/meeting.py --database-url URL --read-only    # someone else's database

``--read-only`` measures a database another engineer filled without changing it: no fill, no
links added, no migrations (it says which revision the database is at), and every session of
the run is a read-only transaction (PostgreSQL refuses any write).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fill import BENCH_PROVINCE, fill  # noqa: E402
from bench.run import _create_pg, _drop_pg, _ticket_count  # noqa: E402

LINKS_SQL = """
INSERT INTO ticket_links (ticket_id, other_ticket_id, kind, created_by_id, created_at)
SELECT next_id, id, 'recurrence', NULL, next_created FROM (
  SELECT id, state, lead(id) OVER w AS next_id, lead(created_at) OVER w AS next_created
  FROM tickets WINDOW w AS (PARTITION BY school_id ORDER BY created_at, id)
) pairs
WHERE state = 'verified' AND next_id IS NOT NULL AND id % 10 = 0
"""


def add_recurrences(url: str) -> int:
    """Link some later tickets to earlier verified ones of the same school."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            if conn.execute(sa.text("SELECT count(*) FROM ticket_links")).scalar_one():
                return int(conn.execute(sa.text("SELECT count(*) FROM ticket_links")).scalar_one())
            conn.execute(sa.text(LINKS_SQL))
            return int(conn.execute(sa.text("SELECT count(*) FROM ticket_links")).scalar_one())
    finally:
        engine.dispose()


READ_ONLY = {"options": "-c default_transaction_read_only=on"}


def _scalar(url: str, sql: str) -> object:
    """One value from the database, in a read-only transaction."""
    engine = sa.create_engine(url, connect_args=READ_ONLY)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def measure(url: str, runs: int, read_only: bool = False) -> list[tuple[str, float, float]]:
    """(what, cold ms, warm median ms) for the report's month and the running month."""
    from ticketing import create_app, meeting
    from ticketing.clock import utcnow
    from ticketing.extensions import db
    from ticketing.models import Province, Ticket

    options: dict[str, object] = {"SQLALCHEMY_DATABASE_URI": url}
    if read_only:
        options["SQLALCHEMY_ENGINE_OPTIONS"] = {"connect_args": READ_ONLY}
    app = create_app("testing", **options)
    out = []
    with app.app_context():
        if not read_only:
            from flask_migrate import upgrade

            upgrade()  # a reused database may predate the newest migrations
        province = db.session.get(Province, BENCH_PROVINCE)
        assert province is not None
        scope = sa.select(Ticket)
        this_month = utcnow().date().replace(day=1)
        months = {"last complete month": meeting.previous_month(this_month),
                  "running month": this_month}  # fmt: skip
        for name, month in months.items():
            samples = []
            for _ in range(runs + 1):
                start = time.perf_counter()
                report = meeting.build(scope, province, month, "id")
                samples.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
            out.append((f"build, {name}", samples[0], statistics.median(samples[1:])))
            start = time.perf_counter()
            meeting.xlsx(report, "id")
            out.append((f"XLSX, {name}", (time.perf_counter() - start) * 1000, 0.0))
        facts = db.session.execute(sa.text(
            "SELECT count(*) FROM tickets WHERE province_code = :p"), {"p": BENCH_PROVINCE}
        ).scalar_one()  # fmt: skip
        print(f"East Java: {facts:,} tickets; open at the end of {months['last complete month']}"
              f": {report.total.now['open_end'] if report else '?'}")  # fmt: skip
        db.engine.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    """Fill (or reuse), link, measure, print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--database-url")
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--read-only", action="store_true",
                        help="measure a database as it is: no fill, links or migrations")  # fmt: skip
    args = parser.parse_args(argv)
    if args.read_only:
        if not args.database_url:
            parser.error("--read-only needs --database-url")
        url = args.database_url
        at = _scalar(url, "SELECT version_num FROM alembic_version")
        links = int(str(_scalar(url, "SELECT count(*) FROM ticket_links")))
        print(f"read only; database {url.split('@')[-1]} at revision {at}; "
              f"{_ticket_count(url):,} tickets, {links:,} links")  # fmt: skip
        for what, cold, warm in measure(url, args.runs, read_only=True):
            warm_text = f", warm median {warm:.0f} ms" if warm else ""
            print(f"  {what}: cold {cold:.0f} ms{warm_text}")
        return 0
    throwaway = None
    url = args.database_url
    if url is None and args.postgres:
        url = throwaway = _create_pg()
    elif url is None:
        url = f"sqlite:////tmp/bench-meeting-{args.tickets}-{uuid.uuid4().hex[:6]}.sqlite"
    try:
        existing = _ticket_count(url) if args.reuse else 0
        if not existing:
            started = time.perf_counter()
            fill(url, args.tickets)
            print(f"filled {args.tickets:,} tickets in {time.perf_counter() - started:.0f} s")
        links = add_recurrences(url)
        print(f"{links:,} recurrence links; database {url.split('@')[-1]}")
        for what, cold, warm in measure(url, args.runs):
            warm_text = f", warm median {warm:.0f} ms" if warm else ""
            print(f"  {what}: cold {cold:.0f} ms{warm_text}")
    finally:
        if throwaway and not args.keep:
            _drop_pg(throwaway)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
