"""Time `flask sla sweep` on a filled bench database, with N district tickets past due.

The sweep runs "as of" the moment when exactly N tickets of the district states have passed
their deadline (the N-th smallest ``due_at``), so no data is changed to stage it. Reports the
seconds, the tickets escalated per second and the process's peak resident memory.

    python -m bench.sweep --database-url postgresql+psycopg://.../bench --due 100000
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

import sqlalchemy as sa


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, pick the moment, sweep, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args(argv)

    from ticketing import create_app, sla
    from ticketing.extensions import db

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=args.database_url)
    with app.app_context():
        moment: Any = db.session.scalar(
            sa.text(
                "SELECT due_at FROM tickets WHERE state IN ('raised', 'assigned')"
                " AND due_at IS NOT NULL ORDER BY due_at OFFSET :n LIMIT 1"
            ),
            {"n": args.due},
        )
        db.session.rollback()
        print(f"sweeping as of {moment} ({args.due:,} district tickets past due)", flush=True)
        before = _rss_mb()
        started = time.perf_counter()
        result = sla.sweep(now=moment, batch_size=args.batch_size)
        seconds = time.perf_counter() - started
        print(f"{result}", flush=True)
        print(
            f"{seconds:.0f} s, {result.escalated / seconds:.0f} escalations/s,"
            f" peak RSS {_rss_mb():.0f} MB (before the sweep {before:.0f} MB)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
