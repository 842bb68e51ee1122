"""Side by side: the dashboards' figures from the rollups and from a pass over the tickets.

Calls what the province and district dashboards compute, without rendering (their tables,
recurrence counts and monthly trend), alternately with the rollups on and off, so that the
load of a shared machine weighs on both alike; prints p50/p95 of each and their ratios.

    python -m bench.figures --database-url postgresql+psycopg://.../bench --runs 20
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import sqlalchemy as sa

from bench.run import BENCH_DISTRICT, BENCH_PROVINCE, percentile


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, time both ways, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args(argv)

    from ticketing import create_app, reports
    from ticketing.dashboard import figures as dashboard_figures
    from ticketing.extensions import db
    from ticketing.models import District, Province, Ticket

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=args.database_url)
    samples: dict[str, list[float]] = {}
    with app.app_context():
        province = db.session.get(Province, BENCH_PROVINCE)
        district = db.session.get(District, BENCH_DISTRICT)
        assert province is not None and district is not None
        scope = sa.select(Ticket).where(Ticket.province_code == province.code)
        filters = reports.Filters()

        local = reports.district_scope(scope, district)

        def province_page() -> Any:
            return dashboard_figures.province("province", scope, province, filters, "id")

        def district_page() -> Any:
            return dashboard_figures.district(local, district, filters, "id")

        cases = {"province, rollups": (province_page, True),
                 "province, tickets": (province_page, False),
                 "district, rollups": (district_page, True),
                 "district, tickets": (district_page, False)}  # fmt: skip
        for run in range(args.runs + 2):
            for name, (call, rollups) in cases.items():
                app.config["DASHBOARD_ROLLUPS"] = rollups
                started = time.perf_counter()
                call()
                elapsed = (time.perf_counter() - started) * 1000
                db.session.rollback()
                if run >= 2:  # warm-up
                    samples.setdefault(name, []).append(elapsed)
    for name, values in samples.items():
        print(f"  {name:<22} p50 {statistics.median(values):7.1f} ms"
              f"   p95 {percentile(values, 95):7.1f} ms")  # fmt: skip
    for page in ("province", "district"):
        ratio = statistics.median(samples[f"{page}, tickets"]) / statistics.median(
            samples[f"{page}, rollups"]
        )
        print(f"  {page}: tickets / rollups = {ratio:.1f}x (p50)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
