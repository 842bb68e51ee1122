"""tickets.idempotency_key, unique per facilitator

Revision ID: 9_idempotency
Revises: 0001
Create Date: 2026-12-01 22:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "9_idempotency"
down_revision = "12_links"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            "uq_tickets_facilitator_idempotency_key", ["facilitator_id", "idempotency_key"]
        )


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_tickets_facilitator_idempotency_key", type_="unique")
        batch_op.drop_column("idempotency_key")
