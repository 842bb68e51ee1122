"""Fill a database with N tickets and believable histories, fast (bulk inserts, no services).

The schema comes from the migrations and the regions from services.regions.load_regions, as in
production. Everything else is written with the database driver directly: executemany on
SQLite, COPY on PostgreSQL, with the secondary indexes of the two big tables dropped during
the load and rebuilt afterwards from their own definitions.

Histories follow the workflow (raise, assign, escalate, return_to_district, resolve, reopen,
verify, withdraw) and the ticket columns the workflow maintains (state, resolved_tier,
reopen_count, escalation_count, resolved_at, closed_at, due_at) agree with the events.
"""

from __future__ import annotations

import random
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

PASSWORD = "Bench-Password-2026"
BENCH_DISTRICT = "35.78"  # Kota Surabaya: the district whose officer is measured
BENCH_PROVINCE = "35"
LEVELS = ("PAUD", "SD", "SD", "SD", "SMP", "SMP", "SMA", "SMK", "SLB")
CHUNK = 50_000
OPEN_STATES = ("raised", "assigned", "escalated", "resolved")
DAY = 86_400.0
# Default working days of the PMO states (docs/sla.md), as calendar time: n working days are
# about n * 7/5 days, plus the rest of the entry day. Close enough for believable figures.
PMO_LIMITS = {s: timedelta(days=n * 7 / 5 + 1) for s, n in
              (("raised", 3), ("assigned", 5), ("escalated", 10))}  # fmt: skip

TICKET_COLUMNS = (
    "id", "number", "school_id", "district_code", "province_code", "category_id",
    "facilitator_id", "assignee_id", "title", "description", "state", "resolution",
    "resolved_tier", "reopen_count", "escalation_count", "created_at", "updated_at",
    "state_changed_at", "resolved_at", "closed_at", "due_at", "version_id", "sla_breaches",
    "raised_by_id",
)  # fmt: skip
EVENT_COLUMNS = ("id", "ticket_id", "event", "from_state", "to_state", "actor_id", "note",
                 "created_at")  # fmt: skip
TITLES = (
    "Tidak ada guru bahasa Inggris", "Guru belum memahami asesmen diagnostik",
    "Sekolah belum ada listrik yang stabil", "Internet sekolah tidak tersedia",
    "Dana BOS belum cair untuk kegiatan P5", "Kepala sekolah dirotasi di tengah program",
    "Guru belum memiliki laptop", "Kurikulum operasional belum disusun",
    "Kekurangan guru olahraga", "Modul ajar belum tersedia",
)  # fmt: skip
# Next event from a state: (event, weight); "stop" leaves the ticket in the state.
CHOICES: dict[str, tuple[tuple[str, float], ...]] = {
    "raised": (("assign", 80), ("escalate", 8), ("withdraw", 4), ("stop", 8)),
    "assigned": (("resolve", 70), ("escalate", 15), ("withdraw", 3), ("stop", 12)),
    "escalated": (("resolve", 62), ("return_to_district", 23), ("stop", 15)),
    "resolved": (("verify", 72), ("reopen", 20), ("stop", 8)),
}


@dataclass
class People:
    """Who exists, by district: ids for events and for the measured users."""

    officers: dict[str, list[int]] = field(default_factory=dict)
    schools: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # (school, facil.)
    province_pmo: dict[str, int] = field(default_factory=dict)
    next_user_id: int = 1


def _fmt(value: Any, sqlite: bool) -> Any:
    # SQLAlchemy stores SQLite DateTime as this exact text; comparisons depend on it.
    if sqlite and isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="microseconds")
    return value


class Loader:
    """Bulk writer for one raw DBAPI connection (sqlite3 or psycopg)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.sqlite = engine.dialect.name == "sqlite"
        self.raw = engine.raw_connection()
        self.conn: Any = self.raw.driver_connection
        cur = self.conn.cursor()
        if self.sqlite:
            cur.execute("PRAGMA foreign_keys=OFF")
            cur.execute("PRAGMA synchronous=OFF")
            cur.execute("PRAGMA journal_mode=MEMORY")
        else:
            # Data are consistent by construction: skip per-row FK triggers during the load.
            cur.execute("SET session_replication_role = replica")
        cur.close()

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        """Append rows to a table."""
        if not rows:
            return
        cur = self.conn.cursor()
        if self.sqlite:
            marks = ", ".join("?" for _ in columns)
            cur.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                [tuple(_fmt(v, True) for v in row) for row in rows],
            )
        else:
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        cur.close()

    def execute(self, sql: str) -> list[Any]:
        """Run one statement and return its rows (if any)."""
        cur = self.conn.cursor()
        cur.execute(sql)
        rows = cur.fetchall() if cur.description else []
        cur.close()
        return list(rows)

    def drop_indexes(self, tables: tuple[str, ...]) -> list[str]:
        """Drop the secondary indexes of the tables; returns the statements that rebuild them."""
        ddl: list[tuple[str, str]] = []
        for table in tables:
            if self.sqlite:
                rows = self.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type='index' "
                    f"AND tbl_name='{table}' AND sql IS NOT NULL"
                )
            else:
                rows = self.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                    f"WHERE i.tablename='{table}' AND i.indexname NOT IN "
                    "(SELECT conname FROM pg_constraint)"
                )
            ddl.extend((str(name), str(sql)) for name, sql in rows)
        for name, _sql in ddl:
            self.execute(f"DROP INDEX {name}")
        self.commit()
        return [sql for _name, sql in ddl]

    def commit(self) -> None:
        """Commit the load so far."""
        self.conn.commit()

    def close(self) -> None:
        """Give the connection back."""
        self.raw.close()


def _people(loader: Loader, districts: list[tuple[str, str]], n_schools: int,
            rng: random.Random, now: datetime) -> People:  # fmt: skip
    """Users (officers, facilitators, province PMO, administrators) and schools."""
    password = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
    people = People()
    users: list[tuple[Any, ...]] = []
    schools: list[tuple[Any, ...]] = []
    assignments: list[tuple[Any, ...]] = []

    def user(role: str, province: str | None, district: str | None, email: str) -> int:
        uid = people.next_user_id
        people.next_user_id += 1
        users.append((uid, email, email.split("@")[0], password, role, province, district, True,
                      secrets.token_urlsafe(24), "id", False, now))  # fmt: skip
        return uid

    user("admin", None, None, "national@bench.id")
    for province in sorted({p for _d, p in districts}):
        people.province_pmo[province] = user(
            "province_pmo", province, None, f"pmo{province}@bench.id"
        )
        user("admin", province, None, f"admin{province}@bench.id")
    school_id = 0
    per_district = max(1, n_schools // len(districts))
    for district, province in districts:
        slug = district.replace(".", "")
        people.officers[district] = [
            user("district_pmo", province, district, f"officer{k}-{slug}@bench.id")
            for k in range(2)
        ]
        people.schools[district] = []
        facilitator = 0
        for k in range(per_district):
            if k % 4 == 0:
                facilitator = user("facilitator", province, district, f"fsp{k}-{slug}@bench.id")
            school_id += 1
            level = rng.choice(LEVELS)
            schools.append((school_id, f"{10_000_000 + school_id}", f"{level} Bench {school_id}",
                            level, "negeri", rng.randint(1, 3), district, province, True, now,
                            now))  # fmt: skip
            assignments.append((school_id, facilitator, school_id, now))
            people.schools[district].append((school_id, facilitator))
    loader.insert("users", ("id", "email", "name", "password_hash", "role", "province_code",
                            "district_code", "active", "session_token", "locale",
                            "email_notifications", "created_at"), users)  # fmt: skip
    loader.insert("schools", ("id", "npsn", "name", "level", "status", "cohort", "district_code",
                              "province_code", "active", "created_at", "updated_at"),
                  schools)  # fmt: skip
    loader.insert("school_assignments", ("id", "facilitator_id", "school_id", "created_at"),
                  assignments)  # fmt: skip
    return people


def _history(rng: random.Random, created: datetime, now: datetime, forced: list[str] | None,
             ) -> list[tuple[str, str | None, str, datetime]]:  # fmt: skip
    """Events (event, from, to, when) from raise until now or a final state."""
    out: list[tuple[str, str | None, str, datetime]] = [("raise", None, "raised", created)]
    state, tier, when = "raised", None, created
    steps = iter(forced) if forced is not None else None
    while state in OPEN_STATES and (steps is not None or len(out) < 12):
        if steps is not None:
            event = next(steps, "stop")
        else:
            names, weights = zip(*CHOICES[state], strict=True)
            event = rng.choices(names, weights)[0]
        if event == "stop":
            break
        when = when + timedelta(seconds=rng.expovariate(1 / (3 * DAY)) + 600)
        if when > now and steps is None:
            break
        if event == "assign" or event == "return_to_district":
            target = "assigned"
        elif event == "escalate" or (event == "reopen" and tier == "province"):
            target = "escalated"
        elif event == "reopen":
            target = "assigned"
        elif event == "resolve":
            tier = "district" if state == "assigned" else "province"
            target = "resolved"
        else:  # verify, withdraw
            target = "verified" if event == "verify" else "withdrawn"
        out.append((event, state, target, when))
        state = target
    return out


def _ticket_rows(tid: int, number: str, school: int, facilitator: int, district: str,
                 province: str, category: int, officers: list[int], pmo: int,
                 history: list[tuple[str, str | None, str, datetime]], rng: random.Random,
                 first_event_id: int) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:  # fmt: skip
    """The ticket row and its event rows, with the columns the workflow keeps."""
    state, tier, assignee = "raised", None, None
    reopens = escalations = breaches = 0
    resolved_at = closed_at = None
    resolution = None
    events = []
    for k, (event, source, target, when) in enumerate(history):
        actor: int | None = facilitator
        note = None
        if event in ("assign", "escalate", "return_to_district") or (
            event == "resolve" and source == "assigned"
        ):
            actor = officers[k % len(officers)] if event != "return_to_district" else pmo
            if event == "assign":
                assignee = officers[tid % len(officers)]
            if event == "escalate":
                escalations += 1
                note = "Di luar kewenangan kabupaten/kota"
            if event == "return_to_district":
                note = "Mohon ditindaklanjuti oleh dinas"
        if event == "resolve":
            actor = officers[0] if source == "assigned" else pmo
            tier = "district" if source == "assigned" else "province"
            resolved_at = when
            resolution = note = "Sudah ditindaklanjuti"
        if event == "reopen":
            reopens += 1
            resolved_at = None
            note = "Masalah belum selesai di sekolah"
        if event in ("verify", "withdraw"):
            closed_at = when
            note = "Dibatalkan" if event == "withdraw" else None
        if source in PMO_LIMITS and when - history[k - 1][3] > PMO_LIMITS[source]:
            breaches += 1  # left a PMO state after its deadline
        state = target
        events.append((first_event_id + k, tid, event, source, target, actor, note, when))
    changed = history[-1][3]
    due = changed + PMO_LIMITS.get(state, timedelta(days=7)) if state in OPEN_STATES else None
    title = TITLES[rng.randrange(len(TITLES))]
    ticket = (tid, number, school, district, province, category, facilitator, assignee, title,
              f"{title}. Sudah dibahas dengan kepala sekolah.", state, resolution, tier, reopens,
              escalations, history[0][3], changed, changed, resolved_at, closed_at, due,
              len(history), breaches, facilitator)  # fmt: skip
    return ticket, events


def fill(url: str, n_tickets: int, *, seed: int = 1, years: float = 3.0,
         log: Any = print) -> dict[str, Any]:  # fmt: skip
    """Migrate, load regions and fill ``url`` with ``n_tickets`` tickets; returns facts."""
    from flask_migrate import upgrade

    from ticketing import create_app
    from ticketing.clock import utcnow
    from ticketing.extensions import db
    from ticketing.services.regions import ensure_default_categories, load_regions

    started = time.perf_counter()
    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        upgrade()
        load_regions()
        ensure_default_categories()
        db.session.commit()
        db.engine.dispose()
    engine = sa.create_engine(url)
    rng = random.Random(seed)
    now = utcnow().replace(microsecond=0)
    with engine.connect() as conn:
        districts = [tuple(r) for r in conn.execute(sa.text(
            "SELECT code, province_code FROM districts ORDER BY code"))]  # fmt: skip
        categories = [r[0] for r in conn.execute(sa.text("SELECT id FROM categories"))]
    loader = Loader(engine)
    people = _people(loader, districts, max(len(districts), n_tickets // 20), rng, now)  # type: ignore[arg-type]
    loader.commit()
    log(f"  people: {people.next_user_id - 1} users, {time.perf_counter() - started:.1f}s")
    rebuild = loader.drop_indexes(("tickets", "ticket_events"))
    span = years * 365 * DAY
    start = now - timedelta(seconds=span)
    district_names = [d for d, _p in districts]
    province_of = dict(districts)
    counters: dict[int, int] = {}
    event_id = 1
    tickets: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    total_events = 0
    # The last two tickets are the measured ones: a 20-event history and a transition loop.
    special = {
        n_tickets: ["assign", *(["resolve", "reopen"] * 8), "resolve", "verify"],
        n_tickets - 1: ["assign"],
    }
    for tid in range(1, n_tickets + 1):
        forced = special.get(tid)
        if forced is not None:
            district = BENCH_DISTRICT
            created = now - timedelta(days=20)
        else:
            district = district_names[rng.randrange(len(district_names))]
            created = start + timedelta(seconds=(tid - 1 + rng.random()) / n_tickets * span)
        province = province_of[district]
        school, facilitator = rng.choice(people.schools[district])
        history = _history(rng, created, now, forced)
        if forced is not None:
            # Compress the forced history so it ends before now.
            history = [(e, s, t, created + timedelta(hours=k)) for k, (e, s, t, _w)
                       in enumerate(history)]  # fmt: skip
        year = created.year
        counters[year] = counters.get(year, 0) + 1
        ticket, rows = _ticket_rows(
            tid, f"ESK-{year}-{counters[year]:06d}", school, facilitator, district, province,
            categories[rng.randrange(len(categories))], people.officers[district],
            people.province_pmo[province], history, rng, event_id,
        )  # fmt: skip
        event_id += len(rows)
        tickets.append(ticket)
        events.extend(rows)
        if len(tickets) >= CHUNK:
            loader.insert("tickets", TICKET_COLUMNS, tickets)
            loader.insert("ticket_events", EVENT_COLUMNS, events)
            loader.commit()
            total_events += len(events)
            tickets, events = [], []
            log(f"  {tid} tickets, {time.perf_counter() - started:.0f}s")
    loader.insert("tickets", TICKET_COLUMNS, tickets)
    loader.insert("ticket_events", EVENT_COLUMNS, events)
    total_events += len(events)
    loader.insert("ticket_counters", ("year", "last_value"), sorted(counters.items()))
    loader.commit()
    log(f"  rows written, {time.perf_counter() - started:.0f}s; rebuilding indexes")
    for sql in rebuild:
        loader.execute(sql)
    loader.commit()
    loader.close()
    # The dashboard rollups, recomputed from the tickets (as `flask rollups rebuild` does).
    from ticketing import rollups

    with engine.begin() as conn:
        written = rollups.rebuild(conn)
    log(f"  rollups rebuilt ({written}), {time.perf_counter() - started:.0f}s")
    loader = Loader(engine)
    if loader.sqlite:
        loader.execute("ANALYZE")
        loader.commit()
    else:
        for table in ("users", "schools", "school_assignments", "tickets", "ticket_events"):
            loader.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        loader.commit()
        loader.conn.autocommit = True
        # Index-only scans need the visibility map: vacuum once after the bulk load.
        loader.execute("VACUUM ANALYZE")
    loader.close()
    engine.dispose()
    seconds = time.perf_counter() - started
    log(f"  filled {n_tickets} tickets, {total_events} events in {seconds:.0f}s")
    return {"tickets": n_tickets, "events": total_events, "seconds": seconds}
