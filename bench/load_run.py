"""The orchestrator of bench/load.py: database, servers, job loops, SMTP sink, the fault, checks."""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
PG_ADMIN_URL = os.environ.get(
    "LOAD_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/14")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Sink:
    """An SMTP server on 127.0.0.1 that keeps the Message-ID of every message it receives."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.ids: list[str] = []
        sink = self

        class Handler:
            async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
                from email import message_from_bytes

                message = message_from_bytes(envelope.content)
                sink.ids.append(str(message.get("Message-ID", "")))
                return "250 OK"

        self.port = _free_port()
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


def _env(database_url: str, sink_port: int, prefix: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        APP_ENV="production",
        FLASK_APP="wsgi.py",
        SECRET_KEY="load-test-" + prefix,
        DATABASE_URL=database_url,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=prefix,
        SESSION_COOKIE_SECURE="0",
        HSTS_SECONDS="0",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(sink_port),
        BASE_URL="http://127.0.0.1",
        INSTANCE_PATH=str(Path("/tmp") / f"load-{prefix}"),
    )
    return env


def _flask(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "flask"), *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


class Server:
    """gunicorn (2 workers) in its own process group, so that it can be killed whole."""

    def __init__(self, env: dict[str, str], name: str) -> None:
        self.env, self.name, self.port = env, name, _free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> float:
        log = (Path("/tmp") / f"load-gunicorn-{self.name}.log").open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-w", "2", "-b", f"127.0.0.1:{self.port}", "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True,
        )  # fmt: skip
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return time.time()
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server {self.name} did not start")

    def kill(self) -> float:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        return time.time()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=30)


class JobLoop(threading.Thread):
    """`flask jobs run` every few seconds, as cron would on one host; killable mid-send."""

    def __init__(self, env: dict[str, str], every: float = 3.0) -> None:
        super().__init__(daemon=True)
        self.env, self.every = env, every
        self.running = True
        self.paused = threading.Event()
        self.current: subprocess.Popen[bytes] | None = None
        self.runs = 0

    def run(self) -> None:
        while self.running:
            if not self.paused.is_set():
                self.current = subprocess.Popen(
                    [str(BIN / "flask"), "jobs", "run"], cwd=ROOT, env=self.env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
                self.current.wait()
                self.runs += 1
            time.sleep(self.every)

    def kill(self) -> None:
        self.paused.set()
        if self.current is not None and self.current.poll() is None:
            self.current.send_signal(signal.SIGKILL)


def _prepare_database() -> tuple[str, Any]:
    sys.path.insert(0, str(ROOT))
    from tests.conftest import make_database

    return make_database(PG_ADMIN_URL)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--short", action="store_true", help="2 minutes")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--tickets", type=int, default=200, help="demo tickets to start with")
    args = parser.parse_args(argv)
    minutes = 2.0 if args.short else args.minutes
    seconds = int(minutes * 60)
    prefix = uuid.uuid4().hex[:8]
    work = Path("/tmp") / f"load-{prefix}"
    work.mkdir(parents=True, exist_ok=True)
    database_url, drop = _prepare_database()
    sink = Sink()
    env = _env(database_url, sink.port, prefix)
    servers: list[Server] = []
    loops: list[JobLoop] = []
    try:
        print(f"database {database_url.rsplit('/', 1)[1]}, SMTP sink :{sink.port}", flush=True)
        _flask(env, "db", "upgrade")
        _flask(env, "regions", "load")
        _flask(env, "categories", "defaults")
        _flask(env, "demo", "seed", "--tickets", str(args.tickets))
        engine = sa.create_engine(database_url)
        with engine.connect() as conn:
            accounts = [
                {"email": e, "role": r}
                for e, r in conn.execute(
                    sa.text("SELECT email, role FROM users WHERE active ORDER BY role, id")
                )
            ]
            # No mail for the demo's old outbox: count only what the run produces.
            before_outbox = conn.execute(
                sa.text("SELECT coalesce(max(id), 0) FROM outbox_messages")
            ).scalar()
        # Every role, interleaved, so that 50 users cover all of them.
        by_role: dict[str, list[dict[str, str]]] = {}
        for account in accounts:
            by_role.setdefault(account["role"], []).append(account)
        mixed: list[dict[str, str]] = []
        while any(by_role.values()):
            for role in sorted(by_role):
                if by_role[role]:
                    mixed.append(by_role[role].pop(0))
        servers = [Server(env, "A"), Server(env, "B")]
        for server in servers:
            server.start()
        loops = [JobLoop(env), JobLoop(env)]
        for loop in loops:
            loop.start()
        from ticketing.demo import DEMO_PASSWORD

        config = work / "config.json"
        record, errors = work / "record.jsonl", work / "errors.jsonl"
        config.write_text(json.dumps({
            "accounts": mixed, "hosts": [s.url for s in servers], "record": str(record),
            "password": DEMO_PASSWORD,
        }))  # fmt: skip
        locust = subprocess.Popen(
            [str(BIN / "locust"), "-f", str(ROOT / "bench" / "load.py"), "--headless",
             "-u", str(args.users), "-r", "10", "-t", f"{seconds}s", "--csv", str(work / "stats"),
             "--only-summary", "--host", servers[0].url],
            cwd=ROOT, env={**env, "LOAD_CONFIG": str(config), "LOAD_ERRORS": str(errors),
                           "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        time.sleep(seconds / 2)
        killed_at = servers[1].kill()
        loops[1].kill()
        print(f"server B and its job loop killed at {seconds // 2} s", flush=True)
        time.sleep(5)
        ready_at = servers[1].start()
        loops[1].paused.clear()
        print(f"server B back after {ready_at - killed_at:.1f} s", flush=True)
        locust.wait()
        for loop in loops:
            loop.running = False
        # Drain the outbox (a message whose send failed waits for its backoff: run until empty).
        for _ in range(20):
            _flask(env, "outbox", "send")
            with engine.connect() as conn:
                pending = conn.execute(
                    sa.text(
                        "SELECT count(*) FROM outbox_messages WHERE sent_at IS NULL AND id > :m"
                    ),
                    {"m": before_outbox},
                ).scalar()
                if not pending:
                    break
                conn.execute(
                    sa.text(
                        "UPDATE outbox_messages SET next_attempt_at = now() WHERE sent_at IS NULL"
                    )
                )
                conn.commit()
        report = _check(engine, env, work, servers[1].url, killed_at, ready_at, sink, before_outbox)
        print(report, flush=True)
        (work / "report.txt").write_text(report)
        engine.dispose()
        return 0
    finally:
        for loop in loops:
            loop.running = False
        for server in servers:
            server.stop()
        sink.stop()
        drop()


def _check(engine: Any, env: dict[str, str], work: Path, killed_url: str, killed_at: float,
           ready_at: float, sink: Sink, before_outbox: int) -> str:  # fmt: skip
    lines = []
    raised = [json.loads(x) for x in (work / "record.jsonl").read_text().splitlines()] if (
        work / "record.jsonl").exists() else []  # fmt: skip
    titles = [r["raised"] for r in raised]
    with engine.connect() as conn:
        counts = Counter(
            dict(
                conn.execute(
                    sa.text(
                        "SELECT title, count(*) FROM tickets WHERE title LIKE 'LOAD-%' GROUP BY title"
                    )
                ).all()
            )
        )
        outbox = [r[0] for r in conn.execute(
            sa.text("SELECT id FROM outbox_messages WHERE id > :m AND sent_at IS NOT NULL"),
            {"m": before_outbox},
        )]  # fmt: skip
        unsent = conn.execute(
            sa.text("SELECT count(*) FROM outbox_messages WHERE id > :m AND sent_at IS NULL"),
            {"m": before_outbox},
        ).scalar()
    lost = [t for t in titles if counts.get(t, 0) == 0]
    duplicated = [t for t, n in counts.items() if n > 1]
    verify = subprocess.run([str(BIN / "flask"), "audit", "verify"], cwd=ROOT, env=env,
                            capture_output=True, text=True)  # fmt: skip
    errors = [json.loads(x) for x in (work / "errors.jsonl").read_text().splitlines()] if (
        work / "errors.jsonl").exists() else []  # fmt: skip
    in_window = [
        e for e in errors
        if e["url"].startswith(killed_url) and killed_at - 2 <= e["t"] <= ready_at + 2
    ]  # fmt: skip
    five_xx = [e for e in errors if e["status"] >= 500]
    other = [e for e in errors if e not in in_window]
    delivered = Counter(
        int(i.split("outbox-")[1].split("@")[0].split(".")[0])
        for i in sink.ids if "outbox-" in i
    )  # fmt: skip
    undelivered = [i for i in outbox if delivered.get(i, 0) == 0]
    duplicates = sum(n - 1 for i, n in delivered.items() if i > before_outbox and n > 1)
    stats = list(csv.DictReader((work / "stats_stats.csv").open()))
    total = next((r for r in stats if r["Name"] == "Aggregated"), {})
    lines.append("Load run (bench/load.py)")
    lines.append(
        f"  requests: {total.get('Request Count')}, failures: {total.get('Failure Count')}"
    )
    lines.append(f"  5xx: {len(five_xx)} (in flight on the killed server: "
                 f"{sum(1 for e in in_window if e['status'] >= 500)});"
                 f" connection errors while B was down: "
                 f"{sum(1 for e in in_window if e['status'] == 0)};"
                 f" errors outside the kill window: {len(other)}")  # fmt: skip
    lines.append(f"  raises with a success: {len(titles)}, lost: {len(lost)},"
                 f" duplicated: {len(duplicated)}")  # fmt: skip
    lines.append(f"  audit trails: {verify.stdout.strip().splitlines()[0] if verify.stdout else ''}"
                 f" -> {'OK' if verify.returncode == 0 else 'PROBLEMS'}")  # fmt: skip
    lines.append(
        f"  notifications: {len(outbox)} sent, {unsent} unsent, "
        f"{len(undelivered)} not received by the sink, {duplicates} duplicates"
    )
    lines.append("  p95 per page (ms):")
    for row in stats:
        if row["Name"] != "Aggregated":
            lines.append(f"    {row['Type']:5} {row['Name']:34} n={row['Request Count']:>6}"
                         f"  p50={row['50%']:>6}  p95={row['95%']:>6}")  # fmt: skip
    if other:
        lines.append("  first errors outside the window: " + json.dumps(other[:3]))
    if verify.returncode != 0:
        lines.append(verify.stdout[-2000:])
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
