"""Covering indexes for the dashboards' rollup reads: monthly trends and open-ticket day rows

Revision ID: 18_i15_dashboard_indexes
Revises: 17_i15_open_rollups
Create Date: 2026-12-02 04:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "18_i15_dashboard_indexes"
down_revision = "17_i15_open_rollups"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ticket_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_rollups_months",
            ["province_code", "period"],
            unique=False,
            postgresql_include=["tickets"],
        )
    with op.batch_alter_table("school_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_school_rollups_months",
            ["district_code", "period"],
            unique=False,
            postgresql_include=["tickets"],
        )
    with op.batch_alter_table("school_verify_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_school_verify_rollups_months",
            ["district_code", "period"],
            unique=False,
            postgresql_include=["tickets"],
            postgresql_where=sa.text("days = -1"),
            sqlite_where=sa.text("days = -1"),
        )
    with op.batch_alter_table("open_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_open_rollups_days",
            ["place", "dim", "period", "group_key"],
            unique=False,
            postgresql_include=["day", "tickets"],
            postgresql_where=sa.text("day <> 0"),
            sqlite_where=sa.text("day <> 0"),
        )


def downgrade():
    with op.batch_alter_table("open_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_open_rollups_days")
    with op.batch_alter_table("school_verify_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_school_verify_rollups_months")
    with op.batch_alter_table("school_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_school_rollups_months")
    with op.batch_alter_table("ticket_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_rollups_months")
