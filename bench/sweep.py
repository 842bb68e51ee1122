"""Time `flask sla sweep` on a filled bench database, with N district tickets past due.

The sweep runs "as of" the moment when exactly N tickets of the district states have passed
their deadline (the N-th smallest ``due_at``), so no data is changed to stage it (the sweep
itself changes data: run it on a copy, made anew for each measured run). Reports the seconds
of each phase (escalations, province reminders, verification reminders, consultation
reminders), the escalations and reminders per second, and the process's peak resident memory.

    python -m bench.sweep --database-url postgresql+psycopg://.../bench --due 100000
"""

from __future__ import annotations

import argparse
import resource
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# The sweep's phases, in order (functions of ticketing.sla, timed by wrapping them).
PHASES = (
    "_escalate_overdue",
    "_remind_overdue_province",
    "_remind_verification",
    "_remind_consultations",
)


def _timed(module: Any, seconds: dict[str, float]) -> None:
    """Wrap each phase of the sweep so that its seconds are recorded."""
    for name in PHASES:
        phase = getattr(module, name)

        def wrapper(*args: Any, _phase: Callable[..., Any] = phase, _name: str = name) -> Any:
            started = time.perf_counter()
            try:
                return _phase(*args)
            finally:
                seconds[_name] = time.perf_counter() - started

        setattr(module, name, wrapper)


def _rate(count: int, seconds: float | None) -> str:
    return f"{count / seconds:.0f}/s" if seconds else "-"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, pick the moment, sweep, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--due", type=int, default=100_000)
    parser.add_argument("--batch-size", type=int, default=1000)
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
        phases: dict[str, float] = {}
        _timed(sla, phases)
        started = time.perf_counter()
        result = sla.sweep(now=moment, batch_size=args.batch_size)
        seconds = time.perf_counter() - started
        print(f"{result}", flush=True)
        escalating = phases.get("_escalate_overdue")
        reminders = result.overdue_reminders + result.verify_reminders
        reminding = phases.get("_remind_overdue_province", 0) + phases.get(
            "_remind_verification", 0
        )
        print(
            f"{seconds:.0f} s, {result.escalated / seconds:.0f} escalations/s overall;"
            f" escalations {escalating or 0:.1f} s ({_rate(result.escalated, escalating)}),"
            f" reminders {reminding:.1f} s ({_rate(reminders, reminding)}),"
            f" consultations {phases.get('_remind_consultations', 0):.1f} s;"
            f" batch {args.batch_size}, peak RSS {_rss_mb():.0f} MB"
            f" (before the sweep {before:.0f} MB)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
