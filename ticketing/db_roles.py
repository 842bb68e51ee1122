"""Least privilege in PostgreSQL: an owner role for migrations, an app role for the app.

The owner owns the schema and every table (it runs ``flask db upgrade``). The app role may
read and write the tables it needs but only SELECT and INSERT on ``ticket_events``: no
UPDATE, DELETE or TRUNCATE, and, owning nothing, it cannot ALTER a table or disable the
append-only triggers. ``flask db roles`` runs these statements (as a superuser or the
database owner); docs/operations.md and the README's production section show the steps.
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

AUDIT_TABLE = "ticket_events"
READ_ONLY_TABLES = ("alembic_version",)
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def _ident(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a plain role name: {name!r}")
    return f'"{name}"'


def _ensure_role(conn: Any, name: str, password: str | None) -> None:
    exists = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first()
    if not exists:
        try:
            with conn.begin_nested():
                conn.execute(sa.text(f"CREATE ROLE {_ident(name)} LOGIN"))
        except sa.exc.ProgrammingError:
            pass  # created meanwhile by someone else (roles are cluster-wide)
        except sa.exc.IntegrityError:
            pass
    if password is not None:
        # The password cannot be a bind parameter in ALTER ROLE: quote it as a literal.
        literal = "'" + password.replace("'", "''") + "'"
        conn.execute(sa.text(f"ALTER ROLE {_ident(name)} LOGIN PASSWORD {literal}"))


def setup_roles(
    engine: sa.Engine,
    *,
    owner: str,
    app: str,
    owner_password: str | None = None,
    app_password: str | None = None,
) -> list[str]:
    """Create both roles if missing, give the owner the schema and tables, grant the app role
    what it may do. Safe to run again (after every migration, to be sure)."""
    o, a = _ident(owner), _ident(app)
    done: list[str] = []
    with engine.begin() as conn:
        _ensure_role(conn, owner, owner_password)
        _ensure_role(conn, app, app_password)
        database = conn.execute(sa.text("SELECT current_database()")).scalar_one()
        tables = conn.execute(
            sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ).scalars()
        sequences = conn.execute(
            sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        ).scalars()
        statements = [f"ALTER SCHEMA public OWNER TO {o}"]
        statements += [f'ALTER TABLE public."{t}" OWNER TO {o}' for t in tables]
        statements += [f'ALTER SEQUENCE public."{s}" OWNER TO {o}' for s in sequences]
        statements += [
            f'GRANT CONNECT ON DATABASE "{database}" TO {a}',
            f"GRANT USAGE ON SCHEMA public TO {a}",
            f"REVOKE CREATE ON SCHEMA public FROM {a}",
            "REVOKE CREATE ON SCHEMA public FROM PUBLIC",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {a}",
            f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA public FROM {a}",
            f"REVOKE UPDATE, DELETE ON {AUDIT_TABLE} FROM {a}",
            *[f"REVOKE INSERT, UPDATE, DELETE ON {t} FROM {a}" for t in READ_ONLY_TABLES],
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {a}",
            # Tables and sequences the owner creates later (new migrations) are granted too;
            # a new migration that must stay append-only revokes for itself.
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public"
            f" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {a}",
            f"ALTER DEFAULT PRIVILEGES FOR ROLE {o} IN SCHEMA public"
            f" GRANT USAGE, SELECT ON SEQUENCES TO {a}",
        ]
        for statement in statements:
            conn.execute(sa.text(statement))
            done.append(statement)
    return done


def grants(engine: sa.Engine, role: str) -> dict[str, list[str]]:
    """The privileges ``role`` holds per table (for the report and the tests)."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT table_name, privilege_type FROM information_schema.role_table_grants"
                " WHERE grantee = :r AND table_schema = 'public'"
                " ORDER BY table_name, privilege_type"
            ),
            {"r": role},
        ).all()
    out: dict[str, list[str]] = {}
    for table, privilege in rows:
        out.setdefault(table, []).append(privilege)
    return out
