"""ticket_rollups.referred: tickets referred to the central PMO at least once

Revision ID: 16_rollup_referred
Revises: 9_event_assignee
Create Date: 2026-12-01 23:58:00

"""
from alembic import op
import sqlalchemy as sa


revision = "16_rollup_referred"
down_revision = "9_event_assignee"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket_rollups") as batch_op:
        batch_op.add_column(
            sa.Column("referred", sa.Integer(), nullable=False, server_default="0")
        )
    # The rollups are refilled from the tickets by 17_i15_open_rollups, which changed their
    # shape (the rebuild uses today's code, so it runs in the newest revision that needs it).


def downgrade():
    with op.batch_alter_table("ticket_rollups") as batch_op:
        batch_op.drop_column("referred")
