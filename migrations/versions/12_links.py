"""ticket links (recurrence, related, duplicate) and the province's recurrence window

Revision ID: 12_links
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "12_links"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "ticket_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("other_ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("ticket_id <> other_ticket_id", name=op.f("ck_ticket_links_not_self")),
        sa.CheckConstraint(
            "kind IN ('recurrence', 'related', 'duplicate')", name=op.f("ck_ticket_links_kind")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_ticket_links_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["other_ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_links_other_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"],
            ["tickets.id"],
            name=op.f("fk_ticket_links_ticket_id_tickets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_links")),
        sa.UniqueConstraint("ticket_id", "other_ticket_id", "kind", name="pair_kind"),
    )
    with op.batch_alter_table("ticket_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ticket_links_other_ticket_id", ["other_ticket_id", "kind"], unique=False
        )
    with op.batch_alter_table("provinces", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("recurrence_days", sa.Integer(), server_default="90", nullable=False)
        )
        batch_op.create_check_constraint(
            op.f("ck_provinces_recurrence_days_positive"), "recurrence_days > 0"
        )


def downgrade():
    with op.batch_alter_table("provinces", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_provinces_recurrence_days_positive"), type_="check")
        batch_op.drop_column("recurrence_days")
    with op.batch_alter_table("ticket_links", schema=None) as batch_op:
        batch_op.drop_index("ix_ticket_links_other_ticket_id")
    op.drop_table("ticket_links")
