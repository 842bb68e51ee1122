"""tickets.raised_by_id: who raised the ticket; the idempotency key is unique per raiser

A raise's idempotency key belongs to whoever submitted it. It was unique per current
facilitator, so a repeat after a hand-over (an offline submission sent late) made a second
ticket. The raiser never changes; existing tickets take it from their "raise" audit row.

Revision ID: 17_i9_raised_by
Revises: 16_rollup_referred
Create Date: 2026-12-02 01:05:00

"""
from alembic import op
import sqlalchemy as sa


revision = "17_i9_raised_by"
down_revision = "16_rollup_referred"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("raised_by_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE tickets SET raised_by_id = (SELECT e.actor_id FROM ticket_events e"
        " WHERE e.ticket_id = tickets.id AND e.event = 'raise' ORDER BY e.id LIMIT 1)"
    )
    op.execute("UPDATE tickets SET raised_by_id = facilitator_id WHERE raised_by_id IS NULL")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.alter_column("raised_by_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            "fk_tickets_raised_by_id_users", "users", ["raised_by_id"], ["id"]
        )
        batch_op.drop_constraint("uq_tickets_facilitator_idempotency_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_tickets_raised_by_idempotency_key", ["raised_by_id", "idempotency_key"]
        )


def downgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint("uq_tickets_raised_by_idempotency_key", type_="unique")
        batch_op.create_unique_constraint(
            "uq_tickets_facilitator_idempotency_key", ["facilitator_id", "idempotency_key"]
        )
        batch_op.drop_constraint("fk_tickets_raised_by_id_users", type_="foreignkey")
        batch_op.drop_column("raised_by_id")
