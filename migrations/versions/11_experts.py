"""Experts and consultations: role expert, expert_fields, consultations, consultation_events

Revision ID: 11_experts
Revises: 11_tiers
Create Date: 2026-12-01 22:43:39.059137

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '11_experts'
down_revision = '11_tiers'
branch_labels = None
depends_on = None

ROLE_NEW = (
    "role IN ('facilitator', 'district_pmo', 'province_pmo', 'central_pmo', 'admin', 'expert')"
)
ROLE_OLD = "role IN ('facilitator', 'district_pmo', 'province_pmo', 'central_pmo', 'admin')"
SCOPE_NEW = (
    "(role IN ('facilitator', 'district_pmo') AND district_code IS NOT NULL"
    " AND province_code IS NOT NULL)"
    " OR (role IN ('province_pmo') AND province_code IS NOT NULL AND district_code IS NULL)"
    " OR (role IN ('admin', 'expert') AND district_code IS NULL)"
    " OR (role IN ('central_pmo') AND province_code IS NULL AND district_code IS NULL)"
)
SCOPE_OLD = (
    "(role IN ('facilitator', 'district_pmo') AND district_code IS NOT NULL"
    " AND province_code IS NOT NULL)"
    " OR (role IN ('province_pmo') AND province_code IS NOT NULL AND district_code IS NULL)"
    " OR (role IN ('admin') AND district_code IS NULL)"
    " OR (role IN ('central_pmo') AND province_code IS NULL AND district_code IS NULL)"
)


def _user_checks(role, scope):
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_users_role"), type_="check")
        batch_op.create_check_constraint("role", role)
        batch_op.drop_constraint(op.f("ck_users_scope_matches_role"), type_="check")
        batch_op.create_check_constraint("scope_matches_role", scope)


def upgrade():
    _user_checks(ROLE_NEW, SCOPE_NEW)
    op.create_table('expert_fields',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_expert_fields_category_id_categories')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_expert_fields_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_fields')),
    sa.UniqueConstraint('user_id', 'category_id', name='user_category')
    )
    with op.batch_alter_table('expert_fields', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_expert_fields_category_id'), ['category_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_expert_fields_user_id'), ['user_id'], unique=False)

    op.create_table('consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('last_reminded_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('requested', 'answered', 'withdrawn')", name=op.f('ck_consultations_state')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_consultations_asked_by_id_users')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_consultations_category_id_categories')),
    sa.ForeignKeyConstraint(['expert_id'], ['users.id'], name=op.f('fk_consultations_expert_id_users')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_consultations_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultations'))
    )
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultations_asked_by_id'), ['asked_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_consultations_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_consultations_expert_state', ['expert_id', 'state'], unique=False)
        batch_op.create_index('ix_consultations_state_due_at', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_consultations_ticket_id_id', ['ticket_id', 'id'], unique=False)

    op.create_table('consultation_events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('from_state', sa.String(length=12), nullable=True),
    sa.Column('to_state', sa.String(length=12), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_consultation_events_actor_id_users')),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'], name=op.f('fk_consultation_events_consultation_id_consultations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consultation_events'))
    )
    with op.batch_alter_table('consultation_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_consultation_events_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index('ix_consultation_events_consultation_id_id', ['consultation_id', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('consultation_events', schema=None) as batch_op:
        batch_op.drop_index('ix_consultation_events_consultation_id_id')
        batch_op.drop_index(batch_op.f('ix_consultation_events_actor_id'))

    op.drop_table('consultation_events')
    with op.batch_alter_table('consultations', schema=None) as batch_op:
        batch_op.drop_index('ix_consultations_ticket_id_id')
        batch_op.drop_index('ix_consultations_state_due_at')
        batch_op.drop_index('ix_consultations_expert_state')
        batch_op.drop_index(batch_op.f('ix_consultations_category_id'))
        batch_op.drop_index(batch_op.f('ix_consultations_asked_by_id'))

    op.drop_table('consultations')
    with op.batch_alter_table('expert_fields', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_expert_fields_user_id'))
        batch_op.drop_index(batch_op.f('ix_expert_fields_category_id'))

    op.drop_table('expert_fields')
    _user_checks(ROLE_OLD, SCOPE_OLD)
