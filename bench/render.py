"""Where a dashboard page's time goes: the figures, the SQL outside the cache, the rendering.

Times the province and district pages (Flask test client, signed in as bench/fill.py's
province PMO and district officer) from the 60-second figure cache and computed (cache
emptied), in turn round after round, and splits each request: the figures (cache or rollups),
the headline and consultation queries, the table cells, the charts and the template. The
rest is the request itself (session, user loader, scope, permissions). Prints p50/p95 of each
page and the median of each part, in ms, with the load average.

    python -m bench.render --database-url postgresql+psycopg://.../bench_1m --rounds 20

Read-only on the database except the device sessions that bench.run.Bench starts.
To compare two versions of the code, run this with each on PYTHONPATH in turn, in the same
minute (absolute figures on a shared machine are not comparable between minutes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from bench.run import BENCH_DISTRICT, BENCH_PROVINCE, Bench, percentile

# (module, function, part): the calls whose time is each part of a page.
PARTS = (
    ("ticketing.dashboard.views", "render_template", "template"),
    ("ticketing.dashboard.views", "_cells", "cells"),
    ("ticketing.dashboard.views", "_headlines", "headlines"),
    ("ticketing.dashboard.present", "this_month", "headline SQL"),
    ("ticketing.dashboard.present", "chart_data", "charts"),
    ("ticketing.reports", "consultation_figures", "consultations"),
    ("ticketing.dashboard.figures", "remember", "figures"),
)


def _timed(spent: dict[str, float]) -> None:
    """Wrap each part's function so that its time adds up in ``spent``."""
    import importlib

    for module_name, name, part in PARTS:
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def wrapper(*args: Any, _f: Callable[..., Any] = original, _p: str = part,
                    **kwargs: Any) -> Any:  # fmt: skip
            start = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                spent[_p] += time.perf_counter() - start

        setattr(module, name, wrapper)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, time the pages in turn, print the split."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args(argv)

    bench = Bench(args.database_url)
    spent: dict[str, float] = defaultdict(float)
    _timed(spent)
    province, officer = bench.client("province"), bench.client("officer")
    province_page = f"/dashboard/province/{BENCH_PROVINCE}"
    district_page = f"/dashboard/district/{BENCH_DISTRICT}"
    cases = {
        "province, from the cache": (bench.get(province, province_page), True),
        "province, computed": (bench.uncached(province, province_page), False),
        "district, from the cache": (bench.get(officer, district_page), True),
        "district, computed": (bench.uncached(officer, district_page), False),
    }
    for call, _cached in cases.values():
        for _ in range(3):
            call()
    totals: dict[str, list[float]] = defaultdict(list)
    parts: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    loads = []
    for _ in range(args.rounds):
        loads.append(os.getloadavg()[0])
        for name, (call, cached) in cases.items():
            if cached:
                call()  # the computed case before it emptied the cache
            spent.clear()
            start = time.perf_counter()
            call()
            totals[name].append((time.perf_counter() - start) * 1000)
            for part, seconds in spent.items():
                parts[name][part].append(seconds * 1000)
    print(f"load average (1 min) during the rounds: {min(loads):.1f}-{max(loads):.1f}")
    names = [part for _m, _f, part in PARTS]
    print(f"{'page':28} {'p50':>6} {'p95':>6}  " + " ".join(f"{n:>13}" for n in names))
    for name, samples in totals.items():
        medians = [statistics.median(parts[name][n]) if parts[name][n] else 0.0 for n in names]
        print(f"{name:28} {statistics.median(samples):6.1f} {percentile(samples, 95):6.1f}  "
              + " ".join(f"{m:13.1f}" for m in medians))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
