"""Files on experts' answers (attachments.consultation_event_id); the dashboard index covers
referral_count (the share referred to central)

Revision ID: 17_i11_consult_files
Revises: 17_i9_raised_by
Create Date: 2026-12-02 01:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "17_i11_consult_files"
down_revision = "17_i9_raised_by"
branch_labels = None
depends_on = None

DASHBOARD_KEY = ["province_code", "district_code", "created_at"]
DASHBOARD_OLD = [
    "state", "due_at", "escalation_count", "reopen_count", "resolved_tier", "category_id",
    "school_id", "closed_at", "sla_breaches",
]  # fmt: skip
DASHBOARD_NEW = [*DASHBOARD_OLD, "referral_count"]


def _dashboard_index(include: list[str]) -> None:
    # INCLUDE exists on PostgreSQL only; on SQLite the index is the same either way.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_tickets_dashboard", table_name="tickets")
    op.create_index(
        "ix_tickets_dashboard", "tickets", DASHBOARD_KEY, unique=False,
        postgresql_include=include,
    )  # fmt: skip


def upgrade():
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "consultation_event_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_attachments_consultation_event_id_consultation_events"),
            "consultation_events",
            ["consultation_event_id"],
            ["id"],
        )
    _dashboard_index(DASHBOARD_NEW)


def downgrade():
    _dashboard_index(DASHBOARD_OLD)
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_attachments_consultation_event_id_consultation_events"),
            type_="foreignkey",
        )
        batch_op.drop_column("consultation_event_id")
