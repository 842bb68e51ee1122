"""worklist: province holder, internal notes, reply templates, saved views, e-mail digest

Revision ID: 10_worklist
Revises: 14b_sessions
"""

import sqlalchemy as sa
from alembic import op

revision = "10_worklist"
down_revision = "14b_sessions"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("province_holder_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_tickets_province_holder_id"), ["province_holder_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_tickets_province_holder_id_users"),
            "users",
            ["province_holder_id"],
            ["id"],
        )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("internal", sa.Boolean(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_digest", sa.Boolean(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digested_at", sa.DateTime(), nullable=True))
    op.create_table(
        "reply_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("province_code", sa.String(length=2), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["province_code"],
            ["provinces.code"],
            name=op.f("fk_reply_templates_province_code_provinces"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_templates")),
    )
    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reply_templates_province_code"), ["province_code"], unique=False
        )
    op.create_table(
        "saved_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("query_string", sa.String(length=1000), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_saved_views_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_views")),
        sa.UniqueConstraint("user_id", "name", name="user_name"),
    )
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_views_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("saved_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_views_user_id"))
    op.drop_table("saved_views")
    with op.batch_alter_table("reply_templates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_templates_province_code"))
    op.drop_table("reply_templates")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("digested_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("email_digest")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("internal")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_tickets_province_holder_id_users"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_tickets_province_holder_id"))
        batch_op.drop_column("province_holder_id")
