"""Provinces: the sites allowed to frame the public dashboard (issue 14).

Revision ID: 14a_embed
Revises: 9_idempotency
"""

import sqlalchemy as sa
from alembic import op

revision = "14a_embed"
down_revision = "9_idempotency"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("provinces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("embed_origins", sa.String(length=1000), server_default="", nullable=False)
        )


def downgrade():
    with op.batch_alter_table("provinces", schema=None) as batch_op:
        batch_op.drop_column("embed_origins")
