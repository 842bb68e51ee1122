"""open_rollups (median age of open tickets), school rollups (district dashboard), came_back (recurrence), ix_tickets_open_due

Revision ID: 17_i15_open_rollups
Revises: 17_i11_consult_files
Create Date: 2026-12-02 01:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "17_i15_open_rollups"
down_revision = "17_i11_consult_files"
branch_labels = None
depends_on = None

COUNTS = ("tickets", "escalated", "referred", "resolved_district", "reopens", "unbreached")


def upgrade():
    op.create_table(
        "school_rollups",
        sa.Column("district_code", sa.String(length=5), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("school_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("category_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        *[sa.Column(name, sa.Integer(), nullable=False) for name in COUNTS],
        sa.PrimaryKeyConstraint(
            "district_code", "period", "school_id", "category_id", "state",
            name=op.f("pk_school_rollups"),
        ),
    )  # fmt: skip
    op.create_table(
        "school_verify_rollups",
        sa.Column("district_code", sa.String(length=5), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("school_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("category_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("days", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.Column("came_back", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint(
            "district_code", "period", "school_id", "category_id", "days",
            name=op.f("pk_school_verify_rollups"),
        ),
    )  # fmt: skip
    op.create_table(
        "open_rollups",
        sa.Column("place", sa.String(length=5), nullable=False),
        sa.Column("dim", sa.String(length=10), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("group_key", sa.String(length=12), nullable=False),
        sa.Column("tickets", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "place", "dim", "period", "day", "group_key", name=op.f("pk_open_rollups")
        ),
    )
    with op.batch_alter_table("verify_rollups", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("came_back", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("open_rollups", schema=None) as batch_op:
        batch_op.create_index(
            "ix_open_rollups_months",
            ["place", "dim", "period"],
            unique=False,
            postgresql_include=["group_key", "tickets"],
            postgresql_where=sa.text("day = 0"),
            sqlite_where=sa.text("day = 0"),
        )
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_open_due",
            ["province_code", "due_at"],
            unique=False,
            postgresql_include=["district_code", "school_id", "category_id", "state",
                                "sla_breaches", "created_at"],
            postgresql_where=sa.text("closed_at IS NULL"),
            sqlite_where=sa.text("closed_at IS NULL"),
        )
    # Existing tickets: fill every rollup from them (the same SQL as `flask rollups rebuild`).
    # It uses today's code, so a later revision that changes the rollups moves this call.
    from ticketing import rollups

    rollups.rebuild(op.get_bind())


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_open_due")
    with op.batch_alter_table("open_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_open_rollups_months")
    op.drop_table("open_rollups")
    with op.batch_alter_table("verify_rollups", schema=None) as batch_op:
        batch_op.drop_column("came_back")
    op.drop_table("school_verify_rollups")
    op.drop_table("school_rollups")
