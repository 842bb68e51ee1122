"""form_stashes: text of refused forms kept until the user is back on the form

Revision ID: 9_form_stash
Revises: 15_rollups
Create Date: 2026-12-01 22:10:00

"""
from alembic import op
import sqlalchemy as sa


revision = "9_form_stash"
down_revision = "11_experts"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "form_stashes",
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_form_stashes")),
    )
    with op.batch_alter_table("form_stashes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_form_stashes_created_at"), ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("form_stashes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_form_stashes_created_at"))
    op.drop_table("form_stashes")
