"""Benchmark at national scale: fill a database, time the real views, load-test the inbox.

Usage (see docs/performance.md):
    .venv/bin/python bench/run.py --tickets 10000                 # SQLite file in /tmp
    .venv/bin/python bench/run.py --tickets 100000 --postgres     # throwaway PostgreSQL DB
    .venv/bin/python bench/run.py --database-url URL --reuse      # an already filled database

Timings use the Flask test client with a signed-in user, so they measure the real views
(routing, scope, queries, templates). The load test runs gunicorn (2 workers) and wrk against
the district inbox, /healthz (no session, no template: the issue's reference) and the signed-in
/help page (session, user loader, base layout, no queries of its own) of the same app, and
reports the inbox's requests per second as a ratio of each.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.fill import BENCH_DISTRICT, BENCH_PROVINCE, fill  # noqa: E402

PG_ADMIN_URL = os.environ.get(
    "BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SECRET = "bench-secret-not-for-production"


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _create_pg() -> str:
    name = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(False)


def _drop_pg(url: str) -> None:
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
            {"n": name},
        )
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


def _ticket_count(url: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM tickets")).scalar_one())
    except sa.exc.SQLAlchemyError:
        return 0
    finally:
        engine.dispose()


class Bench:
    """The measured app, its users and the client calls."""

    def __init__(self, url: str) -> None:
        from ticketing import create_app
        from ticketing.extensions import db
        from ticketing.models import Ticket, User
        from ticketing.services import sessions

        self.app = create_app(
            "development",
            SQLALCHEMY_DATABASE_URI=url,
            SECRET_KEY=SECRET,
            WTF_CSRF_ENABLED=False,
            RATELIMIT_ENABLED=False,
            # Off by default since the rollups; on here to measure what it still saves.
            DASHBOARD_CACHE_SECONDS=60,
        )
        self.db = db
        with self.app.app_context():
            find = lambda email: db.session.scalars(  # noqa: E731
                sa.select(User).where(User.email == email)
            ).one()
            slug = BENCH_DISTRICT.replace(".", "")
            # One device session each, as a sign-in makes (services.sessions).
            self.users = {
                "province": find(f"pmo{BENCH_PROVINCE}@bench.id"),
                "officer": find(f"officer0-{slug}@bench.id"),
            }
            for user in self.users.values():
                sessions.start(user, user_agent="bench")
            self.tokens = {who: user.get_id() for who, user in self.users.items()}
            self.officer_id = self.users["officer"].id
            db.session.commit()
            self.long_ticket, self.loop_ticket = db.session.scalars(
                sa.select(Ticket.id).where(Ticket.district_code == BENCH_DISTRICT)
                .order_by(Ticket.id.desc()).limit(2)
            ).all()  # fmt: skip
            ids = db.session.scalars(
                sa.select(Ticket.id)
                .where(Ticket.district_code == BENCH_DISTRICT)
                .order_by(Ticket.id.desc())
            ).all()
            # A deep page: 80% down the district's list, reached by the list's keyset cursor.
            self.deep_before = ids[int(len(ids) * 0.8)] if ids else 0
            self.district_tickets = len(ids)

    def client(self, who: str) -> Any:
        """A test client signed in as 'province' or 'officer'."""
        client = self.app.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = self.tokens[who]
            session["_fresh"] = True
        return client

    def get(self, client: Any, path: str) -> Callable[[], Any]:
        """A call that GETs the path and insists on 200."""

        def call() -> None:
            response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path}: {response.status_code}")

        return call

    def uncached(self, client: Any, path: str) -> Callable[[], Any]:
        """GET the path after emptying the dashboard cache: the cost of computing the page."""
        from ticketing.dashboard.cache import cache

        get = self.get(client, path)

        def call() -> None:
            with self.app.app_context():
                cache.clear()
            get()

        return call

    def from_tickets(self, client: Any, path: str) -> Callable[[], Any]:
        """Computed without the rollups (DASHBOARD_ROLLUPS off): the pass over the tickets."""
        computed = self.uncached(client, path)

        def call() -> None:
            self.app.config["DASHBOARD_ROLLUPS"] = False
            try:
                computed()
            finally:
                self.app.config["DASHBOARD_ROLLUPS"] = True

        return call

    def transition(self) -> Callable[[], Any]:
        """One state change and its audit row (resolve, then reopen, alternately), committed."""
        from ticketing.models import Ticket, User
        from ticketing.services import tickets as ticket_service

        app, db = self.app, self.db

        def call() -> None:
            with app.app_context():
                ticket = db.session.get(Ticket, self.loop_ticket)
                assert ticket is not None
                if ticket.state == "assigned":
                    actor = db.session.get(User, self.officer_id)
                    ticket_service.fire(ticket, "resolve", actor=actor, note="Sudah diperbaiki")
                else:
                    actor = db.session.get(User, ticket.facilitator_id)
                    ticket_service.fire(ticket, "reopen", actor=actor, note="Belum selesai")
                db.session.commit()
                db.session.remove()

        return call


def measure(url: str, runs: int, warmup: int) -> list[tuple[str, float, float]]:
    """p50/p95 of each measured operation, the operations interleaved (one call of each in turn).

    Interleaved, a burst of other work on a shared machine weighs on every operation alike,
    so that the ratios between them (e.g. the inbox and the signed-in /help page, computed and
    cached dashboards) mean something even when the absolute figures do not.
    """
    bench = Bench(url)
    province = bench.client("province")
    officer = bench.client("officer")
    province_page = f"/dashboard/province/{BENCH_PROVINCE}"
    district_page = f"/dashboard/district/{BENCH_DISTRICT}"
    # The as-of figures and the monthly report meet the dashboards' budget (issue 15): a day
    # three months back, and the last complete month.
    today = date.today()
    past_day = (today - timedelta(days=90)).isoformat()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    cases: list[tuple[str, Callable[[], Any]]] = [
        ("province dashboard (35), computed", bench.uncached(province, province_page)),
        (
            "province dashboard (35), from the tickets (no rollups)",
            bench.from_tickets(province, province_page),
        ),
        ("province dashboard (35), from the 60 s cache", bench.get(province, province_page)),
        ("district dashboard, computed", bench.uncached(officer, district_page)),
        ("district dashboard, from the 60 s cache", bench.get(officer, district_page)),
        (
            "province dashboard as of a day 90 days ago, computed",
            bench.uncached(province, f"{province_page}?asof={past_day}"),
        ),
        (
            "province monthly report (last month), computed",
            bench.uncached(province, f"{province_page}/meeting?month={last_month}"),
        ),
        ("district inbox, first page", bench.get(officer, "/")),
        ("district inbox, deep page", bench.get(officer, f"/?before={bench.deep_before}")),
        ("ticket page, 20 events", bench.get(officer, f"/tickets/{bench.long_ticket}")),
        ("signed-in /help (the trivial page)", bench.get(officer, "/help")),
        ("transition + audit row", bench.transition()),
    ]
    for _ in range(warmup):
        for _name, call in cases:
            call()
    samples: dict[str, list[float]] = {name: [] for name, _call in cases}
    for _ in range(runs):
        for name, call in cases:
            start = time.perf_counter()
            call()
            samples[name].append((time.perf_counter() - start) * 1000)
    results = []
    for name, _call in cases:
        p50, p95 = statistics.median(samples[name]), percentile(samples[name], 95)
        results.append((name, p50, p95))
        print(f"  {name:<30} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms", flush=True)
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wrk(url: str, cookie: str | None, seconds: int) -> float:
    command = [shutil.which("wrk") or "/usr/bin/wrk", "-t2", "-c8", f"-d{seconds}s"]
    if cookie:
        command += ["-H", f"Cookie: session={cookie}"]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        raise RuntimeError(f"wrk saw {non2xx.group(1)} error responses from {url}")
    return float(match.group(1)) if match else 0.0


LOAD_ROUNDS = 3
LOAD_TARGETS = ("inbox", "/healthz", "signed-in /help")


class Load:
    """Requests per second of each target in each round (rounds interleave the targets)."""

    def __init__(self, rounds: list[dict[str, float]], worker_rss_mb: list[float] | None = None,
                 ) -> None:  # fmt: skip
        self.rounds = rounds
        self.worker_rss_mb = worker_rss_mb or []

    def rps(self, target: str) -> float:
        """Median requests per second of a target over the rounds."""
        return statistics.median(r[target] for r in self.rounds)

    def ratios(self, target: str) -> list[float]:
        """The inbox's rps over the target's rps, per round (measured a few seconds apart)."""
        return [r["inbox"] / r[target] for r in self.rounds]

    def summary(self) -> str:
        """One line: rps of each target, and the inbox's ratio to each trivial route."""
        parts = [f"district inbox {self.rps('inbox'):.0f} rps"]
        for target in LOAD_TARGETS[1:]:
            ratios = self.ratios(target)
            parts.append(
                f"{target} {self.rps(target):.0f} rps, ratio {statistics.median(ratios):.2f} "
                f"({min(ratios):.2f}-{max(ratios):.2f})"
            )
        return "; ".join(parts)


def load_test(url: str, seconds: int) -> Load:
    """Requests per second of the inbox, /healthz and signed-in /help under gunicorn (2 workers).

    The signed-in /help page is the fair "trivial page": it pays for the session cookie, the
    user loader and the base layout (header, notification badge) like the inbox does, but runs
    no queries of its own. /healthz stays as the issue's reference. The three targets are
    measured in turn, LOAD_ROUNDS times for ``seconds / LOAD_ROUNDS`` each, so that a burst of
    other work on the machine weighs on all three alike; the ratio is the median of the
    per-round ratios.
    """
    bench = Bench(url)
    with bench.app.test_request_context():
        serializer = bench.app.session_interface.get_signing_serializer(bench.app)  # type: ignore[attr-defined]
        cookie = serializer.dumps({"_user_id": bench.tokens["officer"], "_fresh": True})
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, APP_ENV="development")
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-w", "2", "-b", f"127.0.0.1:{port}", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        # Workers boot after the socket opens (seconds on a loaded machine): wait for both.
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        targets = dict(zip(LOAD_TARGETS, ((f"{base}/", cookie), (f"{base}/healthz", None),
                                          (f"{base}/help", cookie)), strict=True))  # fmt: skip
        for target, with_cookie in targets.values():
            _wrk(target, with_cookie, 2)  # warm-up
        rounds = []
        for _ in range(LOAD_ROUNDS):
            rounds.append({name: _wrk(target, with_cookie, max(2, seconds // LOAD_ROUNDS))
                           for name, (target, with_cookie) in targets.items()})  # fmt: skip
            print("  " + ", ".join(f"{k} {v:.0f} rps" for k, v in rounds[-1].items()))
        # Resident memory of the workers after serving every kind of page.
        province_cookie = serializer.dumps({"_user_id": bench.tokens["province"],
                                            "_fresh": True})  # fmt: skip
        _wrk(f"{base}/dashboard/province/{BENCH_PROVINCE}", province_cookie, 3)
        _wrk(f"{base}/dashboard/district/{BENCH_DISTRICT}", cookie, 3)
        ps = ["ps", "--ppid", str(server.pid), "-o", "rss="]
        rss = subprocess.run(ps, capture_output=True, text=True, check=False).stdout.split()
        print(f"  gunicorn worker RSS: {', '.join(f'{int(k) / 1024:.0f} MB' for k in rss)}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
    load = Load(rounds, [int(k) / 1024 for k in rss])
    print(f"  {load.summary()}")
    return load


def write_report(path: Path, database: str, n: int, fill_facts: dict[str, Any] | None,
                 results: list[tuple[str, float, float]],
                 load: Load | None) -> None:  # fmt: skip
    """Append one section to the performance document."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"\n### {database}, {n:,} tickets ({when})\n"]
    if fill_facts:
        lines.append(
            f"Fill: {fill_facts['tickets']:,} tickets, {fill_facts['events']:,} events "
            f"in {fill_facts['seconds']:.0f} s.\n"
        )
    lines += ["| operation | p50 ms | p95 ms |", "|---|---:|---:|"]
    lines += [f"| {name} | {p50:.1f} | {p95:.1f} |" for name, p50, p95 in results]
    if load is not None:
        lines.append(
            f"\nLoad (gunicorn, 2 workers, wrk -t2 -c8, {len(load.rounds)} interleaved rounds; "
            f"median, ratio range over the rounds): {load.summary()}."
        )
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, fill, measure, report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--database-url", help="SQLite or PostgreSQL URL (default: a new file)")
    parser.add_argument("--postgres", action="store_true", help="use a throwaway PostgreSQL DB")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument("--reuse", action="store_true", help="skip the fill if already filled")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-wrk", action="store_true", help="skip the gunicorn/wrk load test")
    parser.add_argument("--wrk-seconds", type=int, default=15, help="per target, all rounds")
    parser.add_argument("--output", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument("--json", help="also write the run's figures to this JSON file "
                        "(bench/table.py makes the document's table from several)")  # fmt: skip
    args = parser.parse_args(argv)

    throwaway = None
    url = args.database_url
    if url is None and args.postgres:
        url = throwaway = _create_pg()
    elif url is None:
        url = f"sqlite:////tmp/bench-{args.tickets}-{uuid.uuid4().hex[:6]}.sqlite"
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    try:
        facts = None
        existing = _ticket_count(url) if args.reuse else 0
        if existing:
            print(f"reusing {existing:,} tickets at {database}")
            args.tickets = existing
        else:
            print(f"filling {args.tickets:,} tickets into {database}")
            facts = fill(url, args.tickets)
        print("measuring")
        load_before = os.getloadavg()[0]
        results = measure(url, args.runs, args.warmup)
        load = None
        if not args.no_wrk:
            load = load_test(url, args.wrk_seconds)
        write_report(Path(args.output), database, args.tickets, facts, results, load)
        if args.json:
            record = {
                "database": database, "tickets": args.tickets, "runs": args.runs,
                "when": datetime.now(UTC).isoformat(timespec="minutes"),
                "load_average": [load_before, os.getloadavg()[0]],
                "operations": {name: {"p50": p50, "p95": p95} for name, p50, p95 in results},
                "wrk": None if load is None else {
                    "rounds": load.rounds,
                    "ratios": {t: load.ratios(t) for t in LOAD_TARGETS[1:]},
                    "worker_rss_mb": load.worker_rss_mb,
                },
            }  # fmt: skip
            Path(args.json).write_text(json.dumps(record, indent=1), encoding="utf-8")
        print(f"written to {args.output}")
    finally:
        if throwaway and not args.keep:
            _drop_pg(throwaway)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
