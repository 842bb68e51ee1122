"""The central tier: state 'referred', tier 'central', role 'central_pmo', referral_count

Revision ID: 11_tiers
Revises: 14b_sessions
Create Date: 2026-12-01 22:10:00

The CHECK texts are written out here (a migration is frozen in time); they equal what
ticketing/vocabulary.py generates today (tests/test_vocabulary.py compares them).
"""
from alembic import op
import sqlalchemy as sa


revision = "11_tiers"
down_revision = "14c_truncate"
branch_labels = None
depends_on = None

STATES_NEW = "state IN ('raised', 'assigned', 'escalated', 'referred', 'resolved', 'verified', 'withdrawn')"
STATES_OLD = "state IN ('raised', 'assigned', 'escalated', 'resolved', 'verified', 'withdrawn')"
TIER_NEW = "resolved_tier IS NULL OR resolved_tier IN ('district', 'province', 'central')"
TIER_OLD = "resolved_tier IS NULL OR resolved_tier IN ('district', 'province')"
SLA_NEW = "state IN ('raised', 'assigned', 'escalated', 'referred', 'resolved')"
SLA_OLD = "state IN ('raised', 'assigned', 'escalated', 'resolved')"
ROLE_NEW = "role IN ('facilitator', 'district_pmo', 'province_pmo', 'central_pmo', 'admin')"
ROLE_OLD = "role IN ('facilitator', 'district_pmo', 'province_pmo', 'admin')"
SCOPE_NEW = (
    "(role IN ('facilitator', 'district_pmo') AND district_code IS NOT NULL"
    " AND province_code IS NOT NULL)"
    " OR (role IN ('province_pmo') AND province_code IS NOT NULL AND district_code IS NULL)"
    " OR (role IN ('admin') AND district_code IS NULL)"
    " OR (role IN ('central_pmo') AND province_code IS NULL AND district_code IS NULL)"
)
SCOPE_OLD = (
    "(role IN ('facilitator', 'district_pmo')"
    " AND district_code IS NOT NULL AND province_code IS NOT NULL)"
    " OR (role = 'province_pmo' AND province_code IS NOT NULL AND district_code IS NULL)"
    " OR (role = 'admin' AND district_code IS NULL)"
)


def _checks(table, pairs):
    with op.batch_alter_table(table, schema=None) as batch_op:
        for name, condition in pairs:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(name, condition)


def upgrade():
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("referral_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_index("ix_tickets_referral_count_id", ["referral_count", "id"])
    _checks("tickets", [("state", STATES_NEW), ("resolved_tier", TIER_NEW)])
    _checks("sla_policies", [("state", SLA_NEW)])
    _checks("users", [("role", ROLE_NEW), ("scope_matches_role", SCOPE_NEW)])


def downgrade():
    _checks("users", [("role", ROLE_OLD), ("scope_matches_role", SCOPE_OLD)])
    _checks("sla_policies", [("state", SLA_OLD)])
    _checks("tickets", [("state", STATES_OLD), ("resolved_tier", TIER_OLD)])
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_referral_count_id")
        batch_op.drop_column("referral_count")
