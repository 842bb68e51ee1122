"""The performance document's table from several runs of bench/run.py (their --json files).

Each cell is the median over the runs of each run's p95, the range of the runs' p95 in
brackets, and the median p50 after a slash; columns are the databases and sizes measured.

    python -m bench.table /work/runs/*.json
"""

from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path
from typing import Any


def _size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n // 1_000_000}M"
    return f"{n // 1_000}k" if n >= 1_000 else str(n)


def _cell(p95s: list[float], p50s: list[float]) -> str:
    if not p95s:
        return "-"
    low, high = min(p95s), max(p95s)
    spread = f" ({low:,.0f}-{high:,.0f})" if len(p95s) > 1 else ""
    return f"{statistics.median(p95s):,.0f}{spread} / {statistics.median(p50s):,.0f}"


def _ratio_cell(per_run: list[list[float]]) -> str:
    if not per_run:
        return "-"
    medians = [statistics.median(r) for r in per_run]
    rounds = [x for r in per_run for x in r]
    return (f"{statistics.median(medians):.2f} (runs {min(medians):.2f}-{max(medians):.2f};"
            f" rounds {min(rounds):.2f}-{max(rounds):.2f})")  # fmt: skip


def table(records: list[dict[str, Any]]) -> str:
    """A markdown table: one row per operation, one column per database and size."""
    columns: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for record in records:
        columns.setdefault((record["database"], record["tickets"]), []).append(record)
    keys = sorted(columns, key=lambda k: (k[0] != "PostgreSQL", k[1]))
    operations: list[str] = []
    for record in records:
        for name in record["operations"]:
            if name not in operations:
                operations.append(name)
    head = "| p95 ms (range of runs) / p50 | " + " | ".join(
        f"{'PG' if db == 'PostgreSQL' else db} {_size(n)}" for db, n in keys
    )
    lines = [head + " |", "|---|" + "---:|" * len(keys)]

    def row(label: str, cell: Any) -> None:
        lines.append(f"| {label} | " + " | ".join(cell(columns[k]) for k in keys) + " |")

    row("runs (load average)", lambda rs: f"{len(rs)} ({min(r['load_average'][0] for r in rs):.0f}"
        f"-{max(max(r['load_average']) for r in rs):.0f})")  # fmt: skip
    for name in operations:
        row(name, lambda rs, n=name: _cell(
            [r["operations"][n]["p95"] for r in rs if n in r["operations"]],
            [r["operations"][n]["p50"] for r in rs if n in r["operations"]]))  # fmt: skip
    for target in ("signed-in /help", "/healthz"):
        row(f"inbox / {target} rps (wrk), median",
            lambda rs, t=target: _ratio_cell([r["wrk"]["ratios"][t] for r in rs
                                              if r.get("wrk") and t in r["wrk"]["ratios"]]))  # fmt: skip
    row("gunicorn worker RSS MB", lambda rs: _rss([m for r in rs if r.get("wrk")
                                                   for m in r["wrk"]["worker_rss_mb"]]))  # fmt: skip
    return "\n".join(lines)


def _rss(values: list[float]) -> str:
    return f"{min(values):.0f}-{max(values):.0f}" if values else "-"


def main(argv: list[str] | None = None) -> int:
    """Print the table of the given runs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", help="JSON files written by bench/run.py --json")
    args = parser.parse_args(argv)
    records = [json.loads(Path(p).read_text(encoding="utf-8")) for p in args.runs]
    print(table(records))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
