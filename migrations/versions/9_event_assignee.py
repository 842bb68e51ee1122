"""ticket_events.assignee_id: the officer an assign or return gave the ticket to

Revision ID: 9_event_assignee
Revises: 9_form_stash
Create Date: 2026-12-01 22:25:00

"""
from alembic import op
import sqlalchemy as sa


revision = "9_event_assignee"
down_revision = "9_form_stash"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "sqlite":
        # No batch copy: it would drop the append-only triggers of the audit table.
        op.execute(
            "ALTER TABLE ticket_events ADD COLUMN assignee_id INTEGER "
            "CONSTRAINT fk_ticket_events_assignee_id_users REFERENCES users (id)"
        )
        return
    op.add_column("ticket_events", sa.Column("assignee_id", sa.Integer(), nullable=True))
    op.create_foreign_key(
        "fk_ticket_events_assignee_id_users", "ticket_events", "users", ["assignee_id"], ["id"]
    )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE ticket_events DROP COLUMN assignee_id")
        return
    op.drop_constraint("fk_ticket_events_assignee_id_users", "ticket_events", type_="foreignkey")
    op.drop_column("ticket_events", "assignee_id")
