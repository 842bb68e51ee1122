"""As-of figures and the monthly report: ix_tickets_open carries state_changed_at, school_id, id; ix_tickets_changed; ix_tickets_reopened

Revision ID: 18_i15_asof_indexes
Revises: 18_i15_dashboard_indexes
Create Date: 2026-12-02 04:50:00

"""

import sqlalchemy as sa
from alembic import op

revision = "18_i15_asof_indexes"
down_revision = "18_i15_dashboard_indexes"
branch_labels = None
depends_on = None

OPEN_INCLUDE = ["category_id", "state", "due_at", "sla_breaches"]


def _open_index(batch_op, include):
    batch_op.create_index(
        "ix_tickets_open",
        ["province_code", "district_code", "created_at"],
        unique=False,
        postgresql_include=include,
        postgresql_where=sa.text("closed_at IS NULL"),
        sqlite_where=sa.text("closed_at IS NULL"),
    )


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_open")
        _open_index(batch_op, [*OPEN_INCLUDE, "state_changed_at", "school_id", "id"])
        batch_op.create_index(
            "ix_tickets_changed",
            ["province_code", "state_changed_at"],
            unique=False,
            postgresql_include=["id", "district_code", "category_id", "created_at", "closed_at"],
        )
        batch_op.create_index(
            "ix_tickets_reopened",
            ["province_code", "reopen_count"],
            unique=False,
            postgresql_include=["created_at", "id"],
            postgresql_where=sa.text("reopen_count > 0"),
            sqlite_where=sa.text("reopen_count > 0"),
        )


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_reopened")
        batch_op.drop_index("ix_tickets_changed")
        batch_op.drop_index("ix_tickets_open")
        _open_index(batch_op, OPEN_INCLUDE)
