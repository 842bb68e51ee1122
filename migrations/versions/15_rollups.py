"""dashboard rollups and the open-tickets index

Revision ID: 15_rollups
Revises: 9_idempotency
Create Date: 2026-12-01 22:20:00

"""

import sqlalchemy as sa
from alembic import op

revision = "15_rollups"
down_revision = "13_api_tokens"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ticket_rollups",
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("district_code", sa.String(length=5), nullable=False),
        sa.Column("category_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("escalated", sa.Integer(), nullable=False),
        sa.Column("resolved_district", sa.Integer(), nullable=False),
        sa.Column("reopens", sa.Integer(), nullable=False),
        sa.Column("unbreached", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "province_code",
            "period",
            "district_code",
            "category_id",
            "state",
            name=op.f("pk_ticket_rollups"),
        ),
    )
    op.create_table(
        "verify_rollups",
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("district_code", sa.String(length=5), nullable=False),
        sa.Column("category_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "province_code",
            "period",
            "district_code",
            "category_id",
            "days",
            name=op.f("pk_verify_rollups"),
        ),
    )
    for table in ("ticket_rollups", "verify_rollups"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f"ix_{table}_period"), ["period"], unique=False)
    with op.batch_alter_table("verify_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_verify_rollups_months",
            ["province_code", "period"],
            unique=False,
            postgresql_include=["tickets"],
            postgresql_where=sa.text("days = -1"),
            sqlite_where=sa.text("days = -1"),
        )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_open",
            ["province_code", "district_code", "created_at"],
            unique=False,
            postgresql_include=["category_id", "state", "due_at", "sla_breaches"],
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        )
    # Existing tickets are counted into the rollups by 17_i15_open_rollups, the last revision
    # that changes their columns (the rebuild uses today's code, so it must run at the end).


def downgrade():
    with op.batch_alter_table("verify_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_verify_rollups_months")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_open")
    op.drop_table("verify_rollups")
    op.drop_table("ticket_rollups")
