"""The district to-do list by deadline from the index alone: ix_tickets_district_state_id
carries due_at (PostgreSQL)

Revision ID: 18_i15_inbox_index
Revises: 18_i15_asof_indexes
Create Date: 2026-12-02 05:40:00

"""

from alembic import op

revision = "18_i15_inbox_index"
down_revision = "18_i15_asof_indexes"
branch_labels = None
depends_on = None


def _index(batch_op, include):
    batch_op.create_index(
        "ix_tickets_district_state_id",
        ["district_code", "state", "id"],
        unique=False,
        postgresql_include=include,
    )


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_district_state_id")
        _index(batch_op, ["due_at"])


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_district_state_id")
        _index(batch_op, [])
