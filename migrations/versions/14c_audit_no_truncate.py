"""The audit trail refuses TRUNCATE too (issue 14; PostgreSQL: a statement trigger).

Revision ID: 14c_truncate
Revises: 13_api_tokens
"""

from alembic import op

revision = "14c_truncate"
down_revision = "15_rollups"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER ticket_events_no_truncate BEFORE TRUNCATE ON ticket_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION ticket_events_append_only()"
        )
    # SQLite has no TRUNCATE statement; DELETE is refused by the existing trigger.


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ticket_events_no_truncate ON ticket_events")
